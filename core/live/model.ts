/**
 * Live messages: a message the bot posted that follows a server-side object (a roster, a red packet, a vote
 * tally). The feature owns the object and picks the ref; core/live keeps what the message must show, which
 * version of it the platform shows, and schedules the edits.
 */
import type { JsonValue } from '../ledger/model.js';
import { LOCALES, type Locale } from '../locale.js';
import type { Platform } from '../platform.js';

/** The outbox kind of an edit (workers/live). */
export const LIVE_EDIT_KIND = 'live.edit';

/**
 * The outbox kind that posts a live message from a worker (workers/live: its platform's editor `post`), for a card
 * whose cause is not a command in that chat: a tap in a DM, a timed job.
 */
export const LIVE_POST_KIND = 'live.post';

/** How long after the first change of a burst its edit runs: the changes in between cost no edit of their own. */
export const LIVE_EDIT_DELAY_MS = 2_000;

/** A message template, as notifications carry them (rendered by the command layer's `renderNotification`). */
export interface LiveTemplate {
  /** i18n message key. */
  key: string;
  params?: Record<string, string>;
  /** Buttons: i18n label key + the opaque pending-action id they carry. */
  buttons?: Array<Array<{ labelKey: string; actionId: string }>>;
}

/** What the message shows: rendered when it is edited, in the chat's language and time zone. */
export interface LiveView {
  template: LiveTemplate;
  locale: Locale;
  /** IANA time zone name, for dates in the text. */
  timeZone: string;
}

/** Where a live message was posted. */
export interface LivePlace {
  platform: Platform;
  chatId: string;
  messageId: string;
}

export interface LiveMessage {
  ref: string;
  view: LiveView;
  /** Goes up by one at each change. */
  version: bigint;
  /** The version the platform shows (0: not posted). */
  shownVersion: bigint;
  /** Undefined until the message is posted and bound. */
  place: LivePlace | undefined;
  /** The outbox key of the edit not yet started, if any. */
  editKey: string | null;
}

/** An edit to make: show `view` (at `version`) in the message at `place`. */
export interface LiveEdit {
  ref: string;
  version: bigint;
  view: LiveView;
  place: LivePlace;
}

export type LiveError = 'UnknownLive';

export const MAX_REF_LENGTH = 150;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isStringRecord = (v: unknown): v is Record<string, string> =>
  isRecord(v) && Object.values(v).every((x) => typeof x === 'string');

const isButtons = (v: unknown): v is LiveTemplate['buttons'] =>
  Array.isArray(v) &&
  v.every(
    (row) =>
      Array.isArray(row) &&
      row.every((b: unknown) => isRecord(b) && typeof b.labelKey === 'string' && typeof b.actionId === 'string'),
  );

/** A stored view, checked; undefined when malformed (nothing can render it). */
export function readLiveView(value: unknown): LiveView | undefined {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!isRecord(v) || !isRecord(v.template)) return undefined;
  const { template, locale, timeZone } = v;
  const { key, params, buttons } = template;
  if (typeof key !== 'string' || key === '') return undefined;
  if (params !== undefined && !isStringRecord(params)) return undefined;
  if (buttons !== undefined && !isButtons(buttons)) return undefined;
  if (typeof locale !== 'string' || !(LOCALES as readonly string[]).includes(locale)) return undefined;
  if (typeof timeZone !== 'string' || timeZone === '') return undefined;
  return {
    template: { key, ...(params ? { params } : {}), ...(buttons ? { buttons } : {}) },
    locale: locale as Locale,
    timeZone,
  };
}

export const viewJson = (view: LiveView): JsonValue => view as unknown as JsonValue;
