import { describe, expect, it } from 'vitest';
import { ref } from '../../test/support/ledger.js';
import { CHAT, fund, person, auditedCore } from '../../test/support/core.js';
import { amountFromWire, bigintFromWire, once, pruneCommandLog, toWire, type Person, type Tx } from '../index.js';

const f = auditedCore();

const transfersWithRef = async (key: string): Promise<number> =>
  Number((await f.db.query(`SELECT count(*) AS n FROM transfers WHERE ref = $1`, [key])).rows[0]?.n);

/** `from` pays `to` under `key` in the transaction, as a /pay would; the outcome as `once` records it. */
const payIn = async (tx: Tx, key: string, from: Person, to: Person, minor: bigint) =>
  toWire(
    await f.core.payments.pay(tx, {
      key,
      from,
      to: { personId: to.id },
      amount: { minor, currency: 'USD' },
      chat: CHAT,
    }),
  );

/** What the command log holds for `key` (undefined: nothing recorded). */
async function recordedOutcome(key: string): Promise<unknown> {
  const r = await f.db.query<{ outcome: unknown }>(`SELECT outcome FROM command_log WHERE key = $1`, [key]);
  return r.rows[0]?.outcome ?? undefined;
}

describe('once', () => {
  it('records a success and returns it on redelivery without running the command again', async () => {
    const alice = await person(f.core, 'alice_once1', 50_00n);
    const bob = await person(f.core, 'bob_once1');
    const key = ref('tg:1');
    let runs = 0;
    const deliver = () =>
      once(f.db, { key, personId: alice.id, command: 'pay' }, async (tx) => {
        runs++;
        return payIn(tx, key, alice, bob, 5_00n);
      });
    const first = await deliver();
    const second = await deliver();
    expect(runs).toBe(1);
    expect(first.replayed).toBe(false);
    expect(second.replayed).toBe(true);
    expect(second.outcome).toEqual(first.outcome);
    expect(first.outcome).toMatchObject({
      type: 'paid',
      amount: { minor: '500', currency: 'USD' },
      toName: 'Bob_once1',
    });
    expect(await transfersWithRef(key)).toBe(1);
  });

  it('records a rejection: a redelivery returns it even after the money arrived', async () => {
    const alice = await person(f.core, 'alice_once2', 1_00n);
    const bob = await person(f.core, 'bob_once2');
    const key = ref('tg:2');
    const deliver = () =>
      once(f.db, { key, personId: alice.id, command: 'pay' }, async (tx) => payIn(tx, key, alice, bob, 5_00n));
    const short = { type: 'rejected', error: 'InsufficientFunds', available: { minor: '100', currency: 'USD' } };
    expect((await deliver()).outcome).toEqual(short);
    await fund(f.core, alice, 10_00n);
    const again = await deliver();
    expect(again).toEqual({ outcome: short, replayed: true });
    expect(await transfersWithRef(key)).toBe(0);
    expect(await recordedOutcome(key)).toEqual(short);
  });

  it('five concurrent deliveries of one key have exactly one ledger effect and one outcome', async () => {
    const alice = await person(f.core, 'alice_once3', 50_00n);
    const bob = await person(f.core, 'bob_once3');
    const key = ref('tg:3');
    let runs = 0;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        once(f.db, { key, personId: alice.id, command: 'pay' }, async (tx) => {
          runs++;
          return payIn(tx, key, alice, bob, 7_00n);
        }),
      ),
    );
    expect(runs).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    for (const r of results) expect(r.outcome).toEqual(results[0]?.outcome);
    expect(await transfersWithRef(key)).toBe(1);
    const [line] = await f.core.payments.balances(f.db, alice.id);
    expect(line?.available.minor).toBe(43_00n);
  });

  it('a first delivery records its outcome with its key, and a redelivery replays it', async () => {
    const alice = await person(f.core, 'alice_once5', 50_00n);
    const bob = await person(f.core, 'bob_once5');
    const key = ref('tg:5');
    let runs = 0;
    const deliver = (fresh: boolean) =>
      once(f.db, { key, personId: alice.id, command: 'pay', fresh }, async (tx) => {
        runs++;
        return payIn(tx, key, alice, bob, 2_00n);
      });
    const first = await deliver(true);
    const again = await deliver(false);
    expect([first.replayed, again.replayed, runs]).toEqual([false, true, 1]);
    expect(again.outcome).toEqual(first.outcome);
    expect(await recordedOutcome(key)).toEqual(first.outcome);
    expect(await transfersWithRef(key)).toBe(1);
  });

  it('a first delivery and a twin running at once: one payment lands, and both answer with it', async () => {
    const alice = await person(f.core, 'alice_once6', 50_00n);
    const bob = await person(f.core, 'bob_once6');
    const key = ref('tg:6');
    const pay = (tx: Parameters<Parameters<typeof once>[2]>[0], minor: bigint) =>
      f.core.payments.pay(tx, {
        key,
        from: alice,
        to: { personId: bob.id },
        amount: { minor, currency: 'USD' },
        chat: CHAT,
      });
    // The twin (a second claim after a lease ran out) claims the key first and is still running…
    let finishTwin: () => void = () => undefined;
    const twinMayFinish = new Promise<void>((resolve) => {
      finishTwin = resolve;
    });
    let twinClaimed: () => void = () => undefined;
    const claimed = new Promise<void>((resolve) => {
      twinClaimed = resolve;
    });
    const twin = once(f.db, { key, personId: alice.id, command: 'pay' }, async (tx) => {
      twinClaimed();
      await twinMayFinish;
      return toWire(await pay(tx, 3_00n));
    });
    await claimed;
    // …while the first delivery runs without reading the key. The two wait on each other (the key, the payment's
    // ref): the database aborts one, which runs again, reads the key and replays the other's outcome.
    const first = once(f.db, { key, personId: alice.id, command: 'pay', fresh: true }, async (tx) =>
      toWire(await pay(tx, 9_00n)),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    finishTwin();
    const results = await Promise.all([twin, first]);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(results[0].outcome).toEqual(results[1].outcome);
    expect(await recordedOutcome(key)).toEqual(results[0].outcome);
    expect(await transfersWithRef(key)).toBe(1);
    const paid = amountFromWire((results[0].outcome as { amount: Parameters<typeof amountFromWire>[0] }).amount);
    const [line] = await f.core.payments.balances(f.db, alice.id);
    expect(line?.available.minor).toBe(50_00n - paid.minor);
  });

  it('first deliveries arriving together commit as one: each sees the payments before it, none overdraws', async () => {
    const alice = await person(f.core, 'alice_once7', 20_00n);
    const bob = await person(f.core, 'bob_once7');
    const keys = Array.from({ length: 5 }, (_, i) => ref(`tg:7:${i}`));
    const results = await Promise.all(
      keys.map((key) =>
        once(f.db, { key, personId: alice.id, command: 'pay', fresh: true }, async (tx) =>
          payIn(tx, key, alice, bob, 5_00n),
        ),
      ),
    );
    const types = results.map((r) => (r.outcome as { type: string }).type);
    expect(types.filter((t) => t === 'paid')).toHaveLength(4);
    expect(results.map((r) => r.outcome)).toContainEqual({
      type: 'rejected',
      error: 'InsufficientFunds',
      available: { minor: '0', currency: 'USD' },
    });
    // One transaction recorded them all.
    const xids = await f.db.query<{ n: string }>(
      `SELECT count(DISTINCT xmin::text)::text AS n FROM command_log WHERE key = ANY($1::text[])`,
      [keys],
    );
    expect(xids.rows[0]?.n).toBe('1');
    for (const [i, key] of keys.entries()) expect(await recordedOutcome(key)).toEqual(results[i]?.outcome);
    const [line] = await f.core.payments.balances(f.db, alice.id);
    expect(line?.available.minor).toBe(0n);
  });

  it('a command that throws in a shared batch fails alone; its neighbours still commit', async () => {
    const alice = await person(f.core, 'alice_once8', 20_00n);
    const bob = await person(f.core, 'bob_once8');
    const keys = Array.from({ length: 4 }, (_, i) => ref(`tg:8:${i}`));
    const results = await Promise.allSettled(
      keys.map((key, i) =>
        once(f.db, { key, personId: alice.id, command: 'pay', fresh: true }, async (tx) => {
          const outcome = await f.core.payments.pay(tx, {
            key,
            from: alice,
            to: { personId: bob.id },
            amount: { minor: 1_00n, currency: 'USD' },
            chat: CHAT,
          });
          if (i === 2) throw new Error('boom');
          return toWire(outcome);
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await recordedOutcome(keys[2]!)).toBeUndefined();
    expect(await transfersWithRef(keys[2]!)).toBe(0);
    for (const key of [keys[0]!, keys[1]!, keys[3]!]) expect(await transfersWithRef(key)).toBe(1);
    const [line] = await f.core.payments.balances(f.db, alice.id);
    expect(line?.available.minor).toBe(17_00n);
  });

  it('a batch stuck behind a locked wallet lets its other commands commit; the stuck one waits alone', async () => {
    const alice = await person(f.core, 'alice_once9', 10_00n);
    const carol = await person(f.core, 'carol_once9', 10_00n);
    const bob = await person(f.core, 'bob_once9');
    const dave = await person(f.core, 'dave_once9');
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    // A slow transaction holds alice's wallet.
    const slow = f.db.transaction(async (tx) => {
      await tx.query(`SELECT id FROM accounts WHERE owner = $1 FOR UPDATE`, [`person:${alice.id}`]);
      locked();
      await released;
    });
    await isLocked;
    const payFrom = (from: typeof alice, to: typeof bob, key: string) =>
      once(f.db, { key, personId: from.id, command: 'pay', fresh: true }, async (tx) =>
        toWire(
          await f.core.payments.pay(tx, {
            key,
            from,
            to: { personId: to.id },
            amount: { minor: 1_00n, currency: 'USD' },
            chat: CHAT,
          }),
        ),
      );
    const [aliceKey, carolKey] = [ref('tg:9:alice'), ref('tg:9:carol')];
    const alicePays = payFrom(alice, bob, aliceKey);
    const carolPays = payFrom(carol, dave, carolKey);
    alicePays.catch(() => undefined); // awaited below
    expect((await carolPays).outcome).toMatchObject({ type: 'paid' });
    expect(await transfersWithRef(aliceKey)).toBe(0);
    release();
    await slow;
    expect((await alicePays).outcome).toMatchObject({ type: 'paid' });
    expect(await transfersWithRef(aliceKey)).toBe(1);
  });

  it('an exception records nothing, so a redelivery runs the command', async () => {
    const key = ref('tg:4');
    await expect(
      once(f.db, { key, command: 'boom' }, async (tx) => {
        await tx.query(`INSERT INTO outbox (key, kind, due_at) VALUES ($1, 'test', now())`, [`${key}:side-effect`]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await recordedOutcome(key)).toBeUndefined();
    expect((await f.db.query(`SELECT 1 FROM outbox WHERE key = $1`, [`${key}:side-effect`])).rowCount).toBe(0);
    const retried = await once(f.db, { key, command: 'boom' }, () => Promise.resolve({ ok: true }));
    expect(retried).toEqual({ outcome: { ok: true }, replayed: false });
  });

  it('old keys are pruned after the retention period', async () => {
    const key = ref('tg:5');
    await once(f.db, { key, command: 'old' }, () => Promise.resolve(1));
    await f.db.query(`UPDATE command_log SET created_at = now() - interval '8 days' WHERE key = $1`, [key]);
    expect(await pruneCommandLog(f.db)).toBeGreaterThanOrEqual(1);
    expect(await recordedOutcome(key)).toBeUndefined();
  });

  it('outcomes cross JSON as decimal strings and come back typed', () => {
    const wire = toWire({
      id: 12345678901234567890n,
      amount: { minor: 1_250_75n, currency: 'USD' },
      at: new Date(0),
      note: null,
    });
    expect(wire).toEqual({
      id: '12345678901234567890',
      amount: { minor: '125075', currency: 'USD' },
      at: '1970-01-01T00:00:00.000Z',
      note: null,
    });
    expect(bigintFromWire(wire.id)).toBe(12345678901234567890n);
    expect(amountFromWire(wire.amount)).toEqual({ minor: 1_250_75n, currency: 'USD' });
    expect(() => bigintFromWire('1e3')).toThrow();
  });
});
