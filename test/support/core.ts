/** Fixtures for the core domain tests: a core over a fresh test database, people, money, button presses. */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { audit } from '../../core/ledger/index.js';
import {
  createCore,
  once,
  parseMaxAmount,
  toWire,
  type ActorInput,
  type Core,
  type CoreConfig,
  type Person,
  type PressOutcome,
  type Wire,
} from '../../core/index.js';
import type { Db } from '../../core/db/executor.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { ref } from './ledger.js';

const maxAmount = parseMaxAmount('10000', 'USD');
if (!maxAmount.ok) throw new Error(maxAmount.message);

export const TEST_CONFIG: CoreConfig = {
  defaultCurrency: 'USD',
  defaultLocale: 'en',
  defaultTimezone: 'UTC',
  maxAmount: maxAmount.value,
  confirmThreshold: { minor: 20_00n, currency: 'USD' },
  demoMoney: true,
  holdTtlMs: 24 * 3_600_000,
  requestTtlMs: 24 * 3_600_000,
  undoWindowMs: 60_000,
};

export interface CoreFixture {
  t: TestDatabase;
  db: Db;
  core: Core;
}

export async function coreFixture(overrides: Partial<CoreConfig> = {}, max = 8): Promise<CoreFixture> {
  const t = await createTestDatabase(max);
  return { t, db: t.db, core: createCore({ db: t.db, config: { ...TEST_CONFIG, ...overrides } }) };
}

/**
 * The usual core test file's fixture: `coreFixture` in beforeAll, and in afterAll the ledger's audit, which must come
 * out clean, before the database is dropped. Call it at the top of the file; use it in tests and later hooks.
 */
export function auditedCore(overrides: Partial<CoreConfig> = {}, max = 8): CoreFixture {
  let ready: CoreFixture | undefined;
  const get = (): CoreFixture => {
    if (!ready) throw new Error('the core fixture is used before its beforeAll ran');
    return ready;
  };
  beforeAll(async () => {
    ready = await coreFixture(overrides, max);
  });
  afterAll(async () => {
    if (!ready) return;
    expect((await audit(ready.db)).violations).toEqual([]);
    await ready.t.drop();
  });
  return {
    get t() {
      return get().t;
    },
    get db() {
      return get().db;
    },
    get core() {
      return get().core;
    },
  };
}

/** Dollars in minor units, the currency most tests pay in. */
export const usd = (minor: bigint): { minor: bigint; currency: string } => ({ minor, currency: 'USD' });

/** A second core over the same database with other settings (short TTLs). */
export const coreWith = (db: Db, overrides: Partial<CoreConfig>): Core =>
  createCore({ db, config: { ...TEST_CONFIG, ...overrides } });

export const CHAT = { platform: 'telegram' as const, chatId: '-1001234' };

/** A Telegram user with a fresh numeric id. */
export function actor(username: string | undefined, overrides: Partial<ActorInput> = {}): ActorInput {
  return {
    platform: 'telegram',
    userId: String(randomInt(10_000_000, 2 ** 40)),
    ...(username ? { username } : {}),
    displayName: username ? username[0]?.toUpperCase() + username.slice(1) : 'Anonymous',
    isBot: false,
    ...overrides,
  };
}

export async function touch(core: Core, who: ActorInput): Promise<Person> {
  const r = await core.db.transaction((tx) => core.people.touch(tx, who));
  if (!r.ok) throw new Error(`touch refused: ${r.error}`);
  return r.person;
}

/** A new person, optionally with money from the faucet. */
export async function person(core: Core, username?: string, minor = 0n, currency = 'USD'): Promise<Person> {
  const p = await touch(core, actor(username));
  if (minor > 0n) await fund(core, p, minor, currency);
  return p;
}

export async function fund(core: Core, p: Person, minor: bigint, currency = 'USD'): Promise<void> {
  const r = await core.db.transaction((tx) =>
    core.payments.faucet(tx, { key: ref('faucet'), person: p, amount: { minor, currency } }),
  );
  if (r.type !== 'funded') throw new Error(`faucet refused: ${r.error}`);
}

export async function available(core: Core, p: Person, currency = 'USD'): Promise<bigint> {
  const lines = await core.payments.balances(core.db, p.id);
  return lines.find((l) => l.currency === currency)?.available.minor ?? 0n;
}

/** A button press delivered once (as the command layer will): consume + run under the delivery's key. */
export async function press(
  core: Core,
  who: Person,
  actionId: string,
  chat: { platform: 'telegram' | 'discord' | 'sandbox'; chatId: string } = CHAT,
  key = ref('tgcb'),
): Promise<Wire<PressOutcome>> {
  const r = await once(core.db, { key, personId: who.id, command: 'button' }, async (tx) =>
    toWire(await core.press(tx, { actionId, person: who, platform: chat.platform, chatId: chat.chatId })),
  );
  return r.outcome;
}

export interface OutboxRow {
  key: string;
  kind: string;
  state: string;
  dueAt: Date;
  payload: Record<string, unknown>;
}

export async function outbox(db: Db, keyPrefix: string): Promise<OutboxRow[]> {
  const r = await db.query(`SELECT key, kind, state, due_at, payload FROM outbox WHERE key LIKE $1 ORDER BY id`, [
    `${keyPrefix}%`,
  ]);
  return r.rows.map((row) => ({
    key: String(row.key),
    kind: String(row.kind),
    state: String(row.state),
    dueAt: new Date(String(row.due_at instanceof Date ? row.due_at.toISOString() : row.due_at)),
    payload: row.payload as Record<string, unknown>,
  }));
}

/** Notifications scheduled for a person, oldest first. */
export async function notificationsOf(
  db: Db,
  p: Person,
): Promise<
  Array<{
    key: string;
    template: {
      key: string;
      params: Record<string, string>;
      buttons?: Array<Array<{ labelKey: string; actionId: string }>>;
    };
  }>
> {
  const r = await db.query(
    `SELECT key, payload FROM outbox WHERE kind = 'notify' AND payload->>'personId' = $1 ORDER BY id`,
    [p.id.toString()],
  );
  return r.rows.map((row) => {
    const payload = row.payload as {
      template: {
        key: string;
        params: Record<string, string>;
        buttons?: Array<Array<{ labelKey: string; actionId: string }>>;
      };
    };
    return { key: String(row.key), template: payload.template };
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
