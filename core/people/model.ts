import type { Amount } from '../money/amount.js';
import { LOCALES, type Locale } from '../locale.js';
import { PLATFORMS, type Platform } from '../platform.js';

export { LOCALES, PLATFORMS, type Locale, type Platform };

/** Quiet hours in minutes after local midnight; `start > end` wraps midnight (22:00-07:00). */
export interface QuietHours {
  start: number;
  end: number;
}

/** One wallet owner, possibly known on several platforms. Wallet accounts are owned by `person:<id>`. */
export interface Person {
  id: bigint;
  displayName: string;
  /** null: use the platform's language hint. */
  locale: Locale | null;
  /** IANA name; null: the configured default. */
  timezone: string | null;
  quietHours: QuietHours | null;
  /** null: the configured CONFIRM_THRESHOLD; 0n: confirm every payment. Default currency minor units. */
  confirmThresholdMinor: bigint | null;
  lastPlatform: Platform;
}

/** A person as one platform knows them. */
export interface Identity {
  platform: Platform;
  /** The platform's immutable numeric id, as a decimal string. */
  userId: string;
  personId: bigint;
  /** Lower-case, without @; null when the user has none (or another user took it since). */
  username: string | null;
  displayName: string;
  languageCode: string | null;
  lastSeenAt: Date;
}

/** What a transport knows about a user (the `Actor` of bots/commands/types.ts). */
export interface ActorInput {
  platform: Platform;
  /** The platform's numeric id as a decimal string. */
  userId: string;
  /** Without the leading @; absent when the user has none. Mutable: never an identity. */
  username?: string;
  displayName: string;
  /** Platform language hint: Telegram `language_code`, Discord `locale` (e.g. "zh-hans", "zh-CN"). */
  languageCode?: string;
  isBot: boolean;
}

/** The owner of a person's wallets is this prefix and the person's id. */
export const WALLET_OWNER_PREFIX = 'person:';
export const walletOwner = (personId: bigint): string => `${WALLET_OWNER_PREFIX}${personId}`;

/** Telegram's GroupAnonymousBot (anonymous group admins) and its service-notification account. */
export const TELEGRAM_SERVICE_IDS: ReadonlySet<string> = new Set(['1087968824', '777000']);

export const TOUCH_ERRORS = ['IsBot', 'ServiceAccount', 'InvalidUserId'] as const;
export type TouchError = (typeof TOUCH_ERRORS)[number];

export type TouchResult =
  | { ok: true; person: Person; identity: Identity; isNew: boolean; matchedClaims: bigint[] }
  | { ok: false; error: TouchError };

export const SETTINGS_ERRORS = [
  'UnknownPerson',
  'UnknownLocale',
  'UnknownTimezone',
  'BadQuietHours',
  'ThresholdCurrency',
  'NegativeThreshold',
  'ThresholdTooLarge',
] as const;
export type SettingsError = (typeof SETTINGS_ERRORS)[number];

/**
 * A /settings change. Strings are what the user typed; `null` resets to the default. Absent fields are
 * left alone.
 */
export interface SettingsPatch {
  /** "en", "zh-CN" (any case, "zh" accepted) or null. */
  locale?: string | null;
  /** IANA name ("Asia/Shanghai", "utc") or null. */
  timezone?: string | null;
  /** "22:00-07:00", "22-7" or "off" (same as null). */
  quietHours?: string | null;
  /** In the default currency; `minor: 0n` confirms every payment; null: back to the configured default. */
  confirmThreshold?: Amount | null;
}

export type SettingsResult = { ok: true; person: Person } | { ok: false; error: SettingsError };

export const LINK_CODE_ERRORS = ['RateLimited', 'UnknownPerson'] as const;
export type LinkCodeError = (typeof LINK_CODE_ERRORS)[number];
export type LinkCodeResult = { ok: true; code: string; expiresAt: Date } | { ok: false; error: LinkCodeError };

/** Live (unused, unexpired) link codes a person may hold at once. */
export const MAX_LIVE_LINK_CODES = 5;
