import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, type Violation } from '../ledger/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { systemAudit } from './system.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase(2);
});
afterAll(async () => {
  await t?.drop();
});

const deep = async (graceMs = 0): Promise<Violation[]> => (await audit(t.db, [systemAudit({ graceMs })])).violations;
const kinds = (violations: Violation[]): string[] => violations.map((v) => v.invariant).sort();

/** Two wallets with money, and one transfer under `ref` between them. */
async function moneyMoved(ref: string): Promise<void> {
  await t.db.query(
    `INSERT INTO accounts (kind, owner, currency, guarded) VALUES ('system', 'system:test', 'USD', false),
                                                                ('wallet', 'person:audit', 'USD', true)
     ON CONFLICT DO NOTHING`,
  );
  await t.db.query(
    `WITH a AS (SELECT id FROM accounts WHERE owner = 'system:test'), b AS (SELECT id FROM accounts WHERE owner = 'person:audit')
     INSERT INTO transfers (ref, debit_account, credit_account, amount, currency, state, kind)
     SELECT $1, a.id, b.id, 100, 'USD', 'posted', 'test' FROM a, b`,
    [ref],
  );
  await t.db.query(`UPDATE accounts SET debits_posted = debits_posted + 100 WHERE owner = 'system:test'`);
  await t.db.query(`UPDATE accounts SET credits_posted = credits_posted + 100 WHERE owner = 'person:audit'`);
}

describe('chipin check --deep (the system invariants)', () => {
  it('a database where every delivery, command, transfer and outbox row is accounted for is sound', async () => {
    await t.db.query(
      `INSERT INTO inbox (key, platform, payload, state, processed_at) VALUES ('tg:1:1', 'telegram', '{}', 'done', now())`,
    );
    await t.db.query(`INSERT INTO command_log (key, command, outcome) VALUES ('tg:1:1', 'pay', '{"ok":true}')`);
    await moneyMoved('tg:1:1');
    await t.db.query(
      `INSERT INTO outbox (key, kind, due_at, state, done_at) VALUES ('n:1', 'notify', now(), 'done', now())`,
    );
    await t.db.query(
      `INSERT INTO sent_messages (outbox_key, platform, chat_id, message_id) VALUES ('n:1', 'telegram', '1', '1')`,
    );
    // Work that is waiting, but not for longer than the grace, is not lost.
    await t.db.query(`INSERT INTO inbox (key, platform, payload) VALUES ('tg:1:2', 'telegram', '{}')`);
    await t.db.query(`INSERT INTO outbox (key, kind, due_at) VALUES ('n:2', 'notify', now())`);
    expect(await deep(60_000)).toEqual([]);
  });

  it('finds a delivery nobody processes, a command without an outcome, money moved without one, a lost outbox row and a message that could go twice', async () => {
    await t.db.query(
      `INSERT INTO inbox (key, platform, payload, state, attempts, processed_at) VALUES ('tg:1:3', 'telegram', '{}', 'failed', 5, now())`,
    );
    await t.db.query(`INSERT INTO command_log (key, command) VALUES ('tg:1:4', 'pay')`);
    await moneyMoved('tg:1:5#1');
    await t.db.query(
      `INSERT INTO outbox (key, kind, due_at, state, attempts, done_at) VALUES ('n:3', 'notify', now(), 'dead', 8, now())`,
    );
    await t.db.query(
      `INSERT INTO sent_messages (outbox_key, platform, chat_id, message_id) VALUES ('n:2', 'telegram', '1', '2')`,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));

    const found = await deep(0);
    expect(kinds(found)).toEqual(['COMMAND', 'INBOX', 'INBOX', 'OUTBOX', 'OUTBOX', 'OUTCOME', 'SENT']);
    expect(found.find((v) => v.invariant === 'OUTCOME' && v.ref === 'tg:1:5#1')?.message).toMatch(
      /moved money for tg:1:5#1 without a recorded outcome/,
    );
    expect(found.find((v) => v.key === 'tg:1:2')?.message).toMatch(/nobody is processing it/);
    expect(found.find((v) => v.key === 'tg:1:3')?.message).toMatch(/dead-lettered without a reason/);
    expect(found.find((v) => v.key === 'n:2' && v.invariant === 'SENT')?.message).toMatch(/could go again/);
  });

  it('finds a ledger whose immutability trigger was disabled', async () => {
    await t.db.query(`ALTER TABLE transfers DISABLE TRIGGER transfers_no_update_delete`);
    try {
      expect((await deep(60_000)).filter((v) => v.invariant === 'IMMUTABLE')).toEqual([
        expect.objectContaining({ trigger: 'transfers_no_update_delete' }),
      ]);
    } finally {
      await t.db.query(`ALTER TABLE transfers ENABLE TRIGGER transfers_no_update_delete`);
    }
  });
});
