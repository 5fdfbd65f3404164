import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CONFIG, actor } from '../test/support/core.js';
import { migrate } from './db/migrate.js';
import { createPgliteDb } from './db/pglite.js';
import type { Db } from './db/executor.js';
import { createCore, once, toWire, type Core } from './index.js';
import { audit } from './ledger/index.js';

// The embedded default runs the same domain SQL: people, actions, claims, requests, the command log.
let dir: string;
let db: Db;
let core: Core;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chipin-pglite-core-'));
  db = await createPgliteDb(dir);
  await migrate(db);
  core = createCore({ db, config: { ...TEST_CONFIG, holdTtlMs: 60_000 } });
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

const chat = { platform: 'telegram' as const, chatId: '-1' };

describe('the chat-command core on PGlite', () => {
  it('pays, holds for an unseen username, matches, releases, requests and expires', async () => {
    const touch = async (username: string) => {
      const r = await core.people.seen(actor(username));
      if (!r.ok) throw new Error(r.error);
      return r.person;
    };
    const alice = await touch('alice_lite');
    const bob = await touch('bob_lite');
    await db.transaction((tx) =>
      core.payments.faucet(tx, { key: 'f:1', person: alice, amount: { minor: 50_00n, currency: 'USD' } }),
    );

    const deliveries = await Promise.all(
      [1, 2, 3].map(() =>
        once(db, { key: 'tg:1:1', personId: alice.id, command: 'pay' }, async (tx) =>
          toWire(
            await core.payments.pay(tx, {
              key: 'tg:1:1',
              from: alice,
              to: { personId: bob.id },
              amount: { minor: 5_00n, currency: 'USD' },
              chat,
            }),
          ),
        ),
      ),
    );
    expect(deliveries.map((d) => d.replayed).sort()).toEqual([false, true, true]);
    expect(deliveries[0]?.outcome).toMatchObject({ type: 'paid' });

    const held = await db.transaction((tx) =>
      core.payments.pay(tx, {
        key: 'tg:1:2',
        from: alice,
        to: { username: 'carol_lite', platform: 'telegram' },
        amount: { minor: 3_00n, currency: 'USD' },
        chat,
      }),
    );
    expect(held.type).toBe('escrowed');
    const carol = await touch('carol_lite');
    const notes = await db.query(`SELECT payload FROM outbox WHERE key LIKE 'notify:claim:%:matched'`);
    const release =
      (notes.rows[0]?.payload as { template: { buttons: Array<Array<{ actionId: string }>> } }).template.buttons[0]?.[0]
        ?.actionId ?? '';
    const pressed = await db.transaction((tx) =>
      core.press(tx, { actionId: release, person: alice, platform: 'telegram', chatId: '1' }),
    );
    expect(pressed).toMatchObject({ type: 'done', outcome: { type: 'released' } });
    expect((await core.payments.balances(db, carol.id))[0]?.available.minor).toBe(3_00n);

    const asked = await db.transaction((tx) =>
      core.requests.request(tx, {
        key: 'tg:1:3',
        requester: bob,
        payer: { personId: carol.id },
        amount: { minor: 1_00n, currency: 'USD' },
        dueAt: new Date(Date.now() + 150),
        chat,
      }),
    );
    if (asked.type !== 'requested') throw new Error(asked.error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await core.requests.expire(db, asked.requestId)).toEqual({ type: 'expired', requestId: asked.requestId });

    expect((await core.payments.balances(db, alice.id))[0]?.available.minor).toBe(42_00n);
    expect((await core.payments.history(db, alice.id, { limit: 10 })).entries).toHaveLength(3);
    expect(await core.payments.exportCsv(db, alice.id)).toContain('@carol_lite');
    expect((await audit(db)).violations).toEqual([]);
  });
});
