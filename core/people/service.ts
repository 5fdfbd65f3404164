import { cleanName } from '../text/clean.js';
import { randomBytes } from 'node:crypto';
import { big, bigOrNull, date, textOrNull } from '../db/rows.js';
import { inTx } from '../db/retry.js';
import { createBatcher } from '../db/batch.js';
import type { Db, Executor, Row, Tx } from '../db/executor.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import type { Ledger } from '../ledger/service.js';
import { redeemLinkCode, sweepJoinedWallets, type LinkResult } from './link.js';
import {
  MAX_LIVE_LINK_CODES,
  TELEGRAM_SERVICE_IDS,
  type ActorInput,
  type Identity,
  type LinkCodeResult,
  type Locale,
  type Person,
  type Platform,
  type SettingsPatch,
  type SettingsResult,
  type TouchError,
  type TouchResult,
} from './model.js';
import { parseLocale, parseQuietHours, parseTimezone } from './settings.js';

export interface PeopleDeps {
  db: Db;
  defaults: { locale: Locale; timezone: string; confirmThreshold: Amount };
  /** Largest confirm threshold a person may set, in default-currency minor units (MAX_AMOUNT). */
  maxThresholdMinor?: bigint;
  /**
   * Money held for a username that someone now holds (a payment held as a claim, a pot waiting for them): matched
   * to them, and each sender (pot creator) asked to release (in the transaction that recorded the username).
   * Returns the matched claim ids.
   */
  matchHeld: (tx: Tx, claimant: Person, identity: Identity) => Promise<bigint[]>;
  /** Needed by `redeemLinkCode` only (joining two wallets is a ledger transfer). */
  ledger?: Pick<Ledger, 'apply'>;
  log?: Log;
}

/** Someone a command names. */
export type Someone =
  | { personId: bigint }
  | { actor: ActorInput }
  | { username: string; platform: Platform }
  /** A platform user id without the user (a Discord `<@id>` typed into text): someone the bot has seen. */
  | { userId: string; platform: Platform };
export type ResolveError = 'UnknownRecipient' | 'RecipientIsBot' | 'InvalidUsername';

export interface People {
  /**
   * Creates or refreshes the person behind a platform user (every command, button and message): the
   * identity row, the username (taken from whoever held it before) and the display name. When the
   * username has money held for it, the claims are matched and each sender is asked to release, in the
   * same transaction. Bots and Telegram service accounts never become people.
   */
  touch(tx: Tx, actor: ActorInput): Promise<TouchResult>;
  /** `touch` outside any transaction (the actor of a delivery). */
  seen(actor: ActorInput): Promise<TouchResult>;
  get(exec: Executor, personId: bigint): Promise<Person | undefined>;
  /** The person who holds `@username` on `platform` now (the identity seen most recently with it). */
  findByUsername(
    exec: Executor,
    platform: Platform,
    username: string,
  ): Promise<{ person: Person; identity: Identity } | undefined>;
  findByUserId(
    exec: Executor,
    platform: Platform,
    userId: string,
  ): Promise<{ person: Person; identity: Identity } | undefined>;
  /**
   * `/link <code>` by `personId`: joins them into the person who made the code (money, identities, open
   * buttons and requests), in the caller's transaction. Wrong codes are rate-limited per person.
   */
  redeemLinkCode(tx: Tx, personId: bigint, code: string): Promise<LinkResult>;
  /** The `link.sweep` job: money that reached `from`'s old wallets after the join moves to `to`. */
  sweepJoinedWallets(exec: Executor, from: bigint, to: bigint): Promise<Amount[]>;
  /** The identity the person (or the person they were joined into) used last: where their notifications go. */
  identityOf(exec: Executor, personId: bigint): Promise<Identity | undefined>;
  /** `identityOf` and the person it belongs to, in one statement (the notifier's lookup of every notice). */
  reach(exec: Executor, personId: bigint): Promise<{ person: Person; identity: Identity } | undefined>;
  /**
   * The person someone named: by id, by the platform user a mention or reply showed (refreshed first), or the
   * current holder of an @username. The identity comes along when it was read on the way.
   */
  resolve(tx: Tx, who: Someone): Promise<{ person: Person; identity?: Identity } | ResolveError>;
  updateSettings(tx: Tx, personId: bigint, patch: SettingsPatch): Promise<SettingsResult>;
  /** A single-use /link code: 8 characters without look-alikes; at most 5 live per person. */
  createLinkCode(tx: Tx, personId: bigint, ttlMs: number): Promise<LinkCodeResult>;
  /** The configured defaults a person's null settings fall back to. */
  defaults: PeopleDeps['defaults'];
}

const USER_ID = /^[0-9]{1,20}$/;
const USERNAME = /^[a-z0-9_.]{1,32}$/;
const PERSON_COLUMNS =
  'id, display_name, locale, timezone, quiet_start, quiet_end, confirm_threshold_minor, last_platform';
/** PERSON_COLUMNS qualified with the alias `p`. */
export const PERSON_COLUMNS_OF_P = PERSON_COLUMNS.split(', ')
  .map((c) => `p.${c}`)
  .join(', ');
/** A touch's input, cleaned. */
interface TouchInput {
  platform: Platform;
  userId: string;
  username: string | null;
  displayName: string;
  languageCode: string | null;
}

interface TouchRow {
  person: Person;
  identity: Identity;
  /** Money is held for the username: match it (in a transaction). */
  held: boolean;
}

const IDENTITY_COLUMNS = 'platform, user_id, person_id, username, display_name, language_code, last_seen_at';
/** IDENTITY_COLUMNS of the alias `i`, its display_name as identity_display_name (beside a person's columns). */
const IDENTITY_COLUMNS_OF_I =
  'i.platform, i.user_id, i.person_id, i.username, i.display_name AS identity_display_name, i.language_code, i.last_seen_at';

/**
 * SQL: money waits for the username `username` (on `platform`) that the person `personId` now holds — a claim held for
 * it, or a fund naming it as beneficiary that someone else opened and has not asked them about. A touch that finds
 * this matches it in a transaction.
 */
const heldFor = (platform: string, username: string, personId: string): string =>
  `(${username} IS NOT NULL AND (
     EXISTS (SELECT 1 FROM claims c WHERE c.platform = ${platform} AND c.username = ${username} AND c.state = 'held')
     OR EXISTS (SELECT 1 FROM funds f
                 WHERE f.platform = ${platform} AND f.beneficiary_username = ${username} AND f.beneficiary IS NULL
                   AND f.state = 'open' AND f.created_by <> ${personId}
                   AND f.beneficiary_asked IS DISTINCT FROM ${personId})))`;

/** The identity a touch leaves: what the input says, with the stored language hint and last-seen time. */
function touchedIdentity(input: TouchInput, personId: bigint, row: Row): Identity {
  return {
    platform: input.platform,
    userId: input.userId,
    personId,
    username: input.username,
    displayName: input.displayName,
    languageCode: textOrNull(row.language_code),
    lastSeenAt: date(row.last_seen_at),
  };
}

/** Lower-case without the leading @, or null when absent or not a username at all. */
export function normalizeUsername(text: string | undefined | null): string | null {
  if (!text) return null;
  const u = text.trim().replace(/^@/, '').toLowerCase();
  return USERNAME.test(u) ? u : null;
}

export function toPerson(r: Row): Person {
  const start = r.quiet_start;
  const end = r.quiet_end;
  return {
    id: big(r.id),
    displayName: String(r.display_name),
    locale: textOrNull(r.locale) as Locale | null,
    timezone: textOrNull(r.timezone),
    quietHours: start === null || end === null ? null : { start: Number(start), end: Number(end) },
    confirmThresholdMinor: bigOrNull(r.confirm_threshold_minor),
    lastPlatform: r.last_platform as Platform,
  };
}

function toIdentity(r: Row): Identity {
  return {
    platform: r.platform as Platform,
    userId: String(r.user_id),
    personId: big(r.person_id),
    username: textOrNull(r.username),
    displayName: String(r.display_name),
    languageCode: textOrNull(r.language_code),
    lastSeenAt: date(r.last_seen_at),
  };
}

// 32 symbols: no 0/O or 1/I, so a code read aloud or retyped survives; 32 divides 256, so no modulo bias.
const LINK_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function newLinkCode(): string {
  return [...randomBytes(8)].map((b) => LINK_ALPHABET[b % 32]).join('');
}

export function createPeople(deps: PeopleDeps): People {
  const log = deps.log ?? silentLog;

  async function get(exec: Executor, personId: bigint): Promise<Person | undefined> {
    const r = await exec.query(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = $1`, [personId]);
    return r.rows[0] ? toPerson(r.rows[0]) : undefined;
  }

  async function withPerson(exec: Executor, identity: Row | undefined) {
    if (!identity) return undefined;
    const id = toIdentity(identity);
    const person = await get(exec, id.personId);
    return person ? { person, identity: id } : undefined;
  }

  async function findByUserId(exec: Executor, platform: Platform, userId: string) {
    const r = await exec.query(`SELECT ${IDENTITY_COLUMNS} FROM identities WHERE platform = $1 AND user_id = $2`, [
      platform,
      userId,
    ]);
    return withPerson(exec, r.rows[0]);
  }

  /**
   * Refreshes an existing identity in one statement (a command touches payer and recipient, so this is on every
   * hot path): the identity and person rows are written only when something changed or last_seen_at is over a
   * minute old, the username is taken from whoever held it before, and the row says whether money is held for
   * the username. Undefined when the user is new.
   */
  async function refresh(exec: Executor, input: TouchInput): Promise<TouchRow | undefined> {
    const r = await exec.query(
      `WITH cur AS (
         SELECT person_id, language_code, last_seen_at FROM identities WHERE platform = $1 AND user_id = $2
       ), ident AS (
         UPDATE identities i SET username = $3, display_name = $4, language_code = coalesce($5, i.language_code),
                last_seen_at = now()
          WHERE i.platform = $1 AND i.user_id = $2
            AND (i.username IS DISTINCT FROM $3 OR i.display_name IS DISTINCT FROM $4
                 OR ($5::text IS NOT NULL AND i.language_code IS DISTINCT FROM $5)
                 OR i.last_seen_at < now() - interval '1 minute')
         RETURNING i.last_seen_at
       ), person AS (
         UPDATE people p SET display_name = $4, last_platform = $1
           FROM cur
          WHERE p.id = cur.person_id AND (p.display_name IS DISTINCT FROM $4 OR p.last_platform IS DISTINCT FROM $1)
         RETURNING p.id
       ), moved AS (
         UPDATE identities o SET username = NULL
          WHERE $3::text IS NOT NULL AND o.platform = $1 AND o.username = $3 AND o.user_id <> $2
         RETURNING o.user_id
       )
       SELECT ${PERSON_COLUMNS_OF_P},
              coalesce($5, cur.language_code) AS language_code,
              coalesce((SELECT last_seen_at FROM ident), cur.last_seen_at) AS last_seen_at,
              (SELECT count(*) FROM moved)::int AS moved,
              ${heldFor('$1', '$3::text', 'cur.person_id')} AS held
         FROM cur JOIN people p ON p.id = cur.person_id`,
      [input.platform, input.userId, input.username, input.displayName, input.languageCode],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    // The statement's snapshot predates its own person update: the new values are the input's.
    const person = { ...toPerson(row), displayName: input.displayName, lastPlatform: input.platform };
    const identity = touchedIdentity(input, person.id, row);
    if (Number(row.moved) > 0)
      log.info(
        { platform: input.platform, userId: input.userId, previousHolders: Number(row.moved) },
        'username moved to another user',
      );
    return { person, identity, held: row.held === true };
  }

  /** The first touch of a user: a person and its identity (a concurrent twin's insert wins; ours is undone). */
  async function create(tx: Tx, input: TouchInput): Promise<boolean> {
    const created = await tx.query(`INSERT INTO people (display_name, last_platform) VALUES ($1, $2) RETURNING id`, [
      input.displayName,
      input.platform,
    ]);
    const createdId = big(created.rows[0]?.id);
    // A concurrent first touch of the same user waits here and then finds the twin's identity.
    const inserted = await tx.query(
      `INSERT INTO identities (platform, user_id, person_id, username, display_name, language_code)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (platform, user_id) DO NOTHING`,
      [input.platform, input.userId, createdId, input.username, input.displayName, input.languageCode],
    );
    if (inserted.rowCount === 1) return true;
    await tx.query(`DELETE FROM people WHERE id = $1`, [createdId]);
    return false;
  }

  /**
   * The users among `inputs` whose identity, as stored, already says what the input says, was seen within the minute
   * and has no money held for its username: `touch` would write nothing for them. One statement for all; undefined
   * for the others (new, changed, stale or held: `touch` them).
   */
  async function steadyAll(inputs: readonly TouchInput[]): Promise<Array<TouchRow | undefined>> {
    const r = await deps.db.query(
      `SELECT i.n, ${PERSON_COLUMNS_OF_P}, x.language_code, x.last_seen_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                WITH ORDINALITY AS i (platform, user_id, username, display_name, language_code, n)
         JOIN identities x ON x.platform = i.platform AND x.user_id = i.user_id
         JOIN people p ON p.id = x.person_id
        WHERE x.username IS NOT DISTINCT FROM i.username AND x.display_name = i.display_name
          AND (i.language_code IS NULL OR x.language_code IS NOT DISTINCT FROM i.language_code)
          AND x.last_seen_at >= now() - interval '1 minute'
          AND p.display_name = i.display_name AND p.last_platform = i.platform
          AND NOT ${heldFor('i.platform', 'i.username', 'x.person_id')}`,
      [
        inputs.map((i) => i.platform),
        inputs.map((i) => i.userId),
        inputs.map((i) => i.username),
        inputs.map((i) => i.displayName),
        inputs.map((i) => i.languageCode),
      ],
    );
    const found = new Map(r.rows.map((row) => [Number(row.n), row]));
    return inputs.map((input, index) => {
      const row = found.get(index + 1);
      if (!row) return undefined;
      const person = toPerson(row);
      return { person, identity: touchedIdentity(input, person.id, row), held: false };
    });
  }
  const steadyBatch = createBatcher(steadyAll);

  async function reach(exec: Executor, personId: bigint): Promise<{ person: Person; identity: Identity } | undefined> {
    const r = await exec.query(
      `SELECT ${IDENTITY_COLUMNS_OF_I}, ${PERSON_COLUMNS_OF_P}
         FROM identities i JOIN people p ON p.id = i.person_id
        WHERE i.person_id = (SELECT coalesce(merged_into, id) FROM people WHERE id = $1)
        ORDER BY i.last_seen_at DESC LIMIT 1`,
      [personId],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    // Both tables have a display_name: the person's is read as such, the identity's under its own name.
    return { person: toPerson(row), identity: toIdentity({ ...row, display_name: row.identity_display_name }) };
  }

  function touchInput(actor: ActorInput): TouchInput | TouchError {
    if (actor.isBot) return 'IsBot';
    if (!USER_ID.test(actor.userId)) return 'InvalidUserId';
    if (actor.platform === 'telegram' && TELEGRAM_SERVICE_IDS.has(actor.userId)) return 'ServiceAccount';
    const username = normalizeUsername(actor.username);
    return {
      platform: actor.platform,
      userId: actor.userId,
      username,
      displayName: cleanName(actor.displayName) || (username ? `@${username}` : `#${actor.userId}`),
      languageCode: actor.languageCode ? actor.languageCode.slice(0, 35) : null,
    };
  }

  /**
   * `exec` a Db: the steady state (a user seen within the minute, unchanged, nothing held: nothing to write) is read
   * together with the concurrent touches of other deliveries, in one statement; otherwise one refreshing statement,
   * and a transaction for a new user or held money. (In a caller's transaction the refresh runs there: a read on
   * another connection could wait for a pool that the waiting transactions hold.) Steady-state touches write nothing
   * and lock nothing: a command touching payer and recipient must not queue behind other commands.
   */
  async function touchWith(exec: Executor, actor: ActorInput): Promise<TouchResult> {
    const input = touchInput(actor);
    if (typeof input === 'string') return { ok: false, error: input };
    if (exec.kind === 'db') {
      const steady = await steadyBatch.push(input);
      if (steady)
        return { ok: true, person: steady.person, identity: steady.identity, isNew: false, matchedClaims: [] };
    }
    const found = await refresh(exec, input);
    if (found && !found.held)
      return { ok: true, person: found.person, identity: found.identity, isNew: false, matchedClaims: [] };
    return inTx(exec, async (tx) => {
      const isNew = found ? false : await create(tx, input);
      const row = found ?? (await refresh(tx, input));
      if (!row) throw new Error(`person of ${actor.platform}:${actor.userId} vanished`);
      const matchedClaims = row.held ? await deps.matchHeld(tx, row.person, row.identity) : [];
      if (matchedClaims.length > 0)
        log.info({ personId: row.person.id, claims: matchedClaims.map(String) }, 'held money matched to a new user');
      return { ok: true, person: row.person, identity: row.identity, isNew, matchedClaims };
    });
  }

  async function updateSettings(tx: Tx, personId: bigint, patch: SettingsPatch): Promise<SettingsResult> {
    const sets: string[] = [];
    const params: unknown[] = [personId];
    const set = (column: string, value: unknown): void => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.locale !== undefined) {
      const locale = patch.locale === null ? null : parseLocale(patch.locale);
      if (locale === undefined) return { ok: false, error: 'UnknownLocale' };
      set('locale', locale);
    }
    if (patch.timezone !== undefined) {
      const tz = patch.timezone === null ? null : parseTimezone(patch.timezone);
      if (tz === undefined) return { ok: false, error: 'UnknownTimezone' };
      set('timezone', tz);
    }
    if (patch.quietHours !== undefined) {
      const quiet = patch.quietHours === null ? null : parseQuietHours(patch.quietHours);
      if (quiet === undefined) return { ok: false, error: 'BadQuietHours' };
      set('quiet_start', quiet?.start ?? null);
      set('quiet_end', quiet?.end ?? null);
    }
    if (patch.confirmThreshold !== undefined) {
      const t = patch.confirmThreshold;
      if (t !== null) {
        if (t.currency !== deps.defaults.confirmThreshold.currency) return { ok: false, error: 'ThresholdCurrency' };
        if (t.minor < 0n) return { ok: false, error: 'NegativeThreshold' };
        if (deps.maxThresholdMinor !== undefined && t.minor > deps.maxThresholdMinor)
          return { ok: false, error: 'ThresholdTooLarge' };
      }
      set('confirm_threshold_minor', t?.minor ?? null);
    }
    const r =
      sets.length === 0
        ? await tx.query(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = $1`, params)
        : await tx.query(`UPDATE people SET ${sets.join(', ')} WHERE id = $1 RETURNING ${PERSON_COLUMNS}`, params);
    const row = r.rows[0];
    return row ? { ok: true, person: toPerson(row) } : { ok: false, error: 'UnknownPerson' };
  }

  async function createLinkCode(tx: Tx, personId: bigint, ttlMs: number): Promise<LinkCodeResult> {
    // The person row lock serialises concurrent /link commands of one person, so the cap holds.
    const locked = await tx.query(`SELECT id FROM people WHERE id = $1 FOR UPDATE`, [personId]);
    if (locked.rowCount === 0) return { ok: false, error: 'UnknownPerson' };
    const live = await tx.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM link_codes WHERE person_id = $1 AND used_at IS NULL AND expires_at > now()`,
      [personId],
    );
    if (Number(live.rows[0]?.n ?? 0) >= MAX_LIVE_LINK_CODES) return { ok: false, error: 'RateLimited' };
    for (;;) {
      const code = newLinkCode();
      const r = await tx.query(
        `INSERT INTO link_codes (code, person_id, expires_at) VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond')
         ON CONFLICT (code) DO NOTHING RETURNING expires_at`,
        [code, personId, Math.max(1, Math.trunc(ttlMs))],
      );
      if (r.rows[0]) return { ok: true, code, expiresAt: date(r.rows[0].expires_at) };
    }
  }

  const findByUsername: People['findByUsername'] = async (exec, platform, text) => {
    const username = normalizeUsername(text);
    if (!username) return undefined;
    const r = await exec.query(
      `SELECT ${IDENTITY_COLUMNS} FROM identities WHERE platform = $1 AND username = $2 ORDER BY last_seen_at DESC LIMIT 1`,
      [platform, username],
    );
    return withPerson(exec, r.rows[0]);
  };

  return {
    defaults: deps.defaults,
    touch: touchWith,
    seen: (actor) => touchWith(deps.db, actor),
    get,
    findByUsername,
    findByUserId,
    async resolve(tx, who) {
      if ('personId' in who) {
        const person = await get(tx, who.personId);
        return person ? { person } : 'UnknownRecipient';
      }
      if ('actor' in who) {
        const touched = await touchWith(tx, who.actor);
        if (touched.ok) return { person: touched.person, identity: touched.identity };
        return touched.error === 'InvalidUserId' ? 'UnknownRecipient' : 'RecipientIsBot';
      }
      if ('userId' in who) {
        if (!USER_ID.test(who.userId)) return 'UnknownRecipient';
        return (await findByUserId(tx, who.platform, who.userId)) ?? 'UnknownRecipient';
      }
      const username = normalizeUsername(who.username);
      if (!username) return 'InvalidUsername';
      const holder = await findByUsername(tx, who.platform, username);
      return holder ?? 'UnknownRecipient';
    },
    async identityOf(exec, personId) {
      return (await reach(exec, personId))?.identity;
    },
    reach,
    updateSettings,
    createLinkCode,
    redeemLinkCode(tx, personId, code) {
      const ledger = deps.ledger;
      if (!ledger) throw new Error('createPeople needs the ledger to redeem link codes');
      return redeemLinkCode({ ledger, get }, tx, personId, code);
    },
    sweepJoinedWallets(exec, from, to) {
      const ledger = deps.ledger;
      if (!ledger) throw new Error('createPeople needs the ledger to sweep joined wallets');
      return sweepJoinedWallets({ ledger, get }, exec, from, to);
    },
  };
}
