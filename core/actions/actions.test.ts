import { PAY_UNDO } from '../payments/model.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT, coreFixture, person, sleep, type CoreFixture } from '../../test/support/core.js';
import { audit } from '../ledger/index.js';
import type { Person, Platform } from '../people/index.js';
import { bindMessages, consumeAction, createAction, type NewAction } from './index.js';

let f: CoreFixture;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  f = await coreFixture();
  alice = await person(f.core, 'alice_act');
  bob = await person(f.core, 'bob_act');
});
afterAll(async () => {
  expect((await audit(f.db)).violations).toEqual([]);
  await f.t.drop();
});

const make = (overrides: Partial<NewAction> = {}) =>
  f.db.transaction((tx) =>
    createAction(tx, {
      personId: alice.id,
      platform: CHAT.platform,
      chatId: CHAT.chatId,
      kind: PAY_UNDO,
      payload: { transferId: '1' },
      ttlMs: 60_000,
      ...overrides,
    }),
  );

const consume = (
  id: string,
  who: Person = alice,
  chat: { platform: Platform; chatId: string } = CHAT,
  messageId?: string,
) =>
  f.db.transaction((tx) =>
    consumeAction(tx, {
      id,
      personId: who.id,
      platform: chat.platform,
      chatId: chat.chatId,
      ...(messageId ? { messageId } : {}),
    }),
  );

describe('pending actions behind buttons', () => {
  it('ids are 22 opaque base64url characters, well under 64 bytes', async () => {
    const { id, expiresAt } = await make();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.byteLength(id)).toBeLessThanOrEqual(64);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it('a button pressed twice works once', async () => {
    const { id } = await make();
    expect(await consume(id)).toMatchObject({
      ok: true,
      action: { id, kind: 'pay.undo', payload: { transferId: '1' } },
    });
    expect(await consume(id)).toEqual({ ok: false, error: 'AlreadyUsed' });
  });

  it('two concurrent presses: exactly one consumes', async () => {
    const { id } = await make();
    const results = await Promise.all(Array.from({ length: 6 }, () => consume(id)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(Array(5).fill('AlreadyUsed'));
  });

  it('another person pressing it is refused and leaves it usable', async () => {
    const { id } = await make();
    expect(await consume(id, bob)).toEqual({ ok: false, error: 'NotYours' });
    expect((await consume(id)).ok).toBe(true);
    // Once used, a stranger still only learns it is not theirs.
    expect(await consume(id, bob)).toEqual({ ok: false, error: 'NotYours' });
  });

  it('a press after expiry is refused', async () => {
    const { id } = await make({ ttlMs: 1 });
    await sleep(20);
    expect(await consume(id)).toEqual({ ok: false, error: 'Expired' });
    expect((await f.db.query(`SELECT state FROM actions WHERE id = $1`, [id])).rows).toEqual([{ state: 'pending' }]);
  });

  it('forged, malformed and oversized ids are unknown', async () => {
    for (const forged of [
      'AAAAAAAAAAAAAAAAAAAAAA',
      'short',
      '',
      'x'.repeat(65),
      "'; DROP TABLE actions; --",
      'é'.repeat(22),
    ]) {
      expect(await consume(forged)).toEqual({ ok: false, error: 'Unknown' });
    }
  });

  it('a press from another chat or another message is refused', async () => {
    const { id } = await make();
    expect(await consume(id, alice, { platform: 'telegram', chatId: '-999' })).toEqual({
      ok: false,
      error: 'WrongChat',
    });
    expect(await consume(id, alice, { platform: 'discord', chatId: CHAT.chatId })).toEqual({
      ok: false,
      error: 'WrongChat',
    });
    await bindMessages(f.db, [{ ids: [id], chat: { platform: 'telegram', chatId: '-999' }, messageId: '41' }]); // not its chat: no binding
    await bindMessages(f.db, [{ ids: [id], chat: CHAT, messageId: '42' }]);
    await bindMessages(f.db, [{ ids: [id], chat: CHAT, messageId: '44' }]); // the first message wins
    expect(await consume(id, alice, CHAT, '43')).toEqual({ ok: false, error: 'WrongChat' });
    expect(await consume(id, alice, CHAT, '44')).toEqual({ ok: false, error: 'WrongChat' });
    expect((await consume(id, alice, CHAT, '42')).ok).toBe(true);
  });

  it('the buttons of several messages are bound by one statement, each to its own message', async () => {
    const a = await make();
    const b = await make();
    await bindMessages(f.db, [
      { ids: [a.id], chat: CHAT, messageId: '100' },
      { ids: [b.id, 'not-an-id'], chat: CHAT, messageId: '200' },
    ]);
    expect(await consume(a.id, alice, CHAT, '200')).toEqual({ ok: false, error: 'WrongChat' });
    expect(await consume(b.id, alice, CHAT, '100')).toEqual({ ok: false, error: 'WrongChat' });
    expect((await consume(a.id, alice, CHAT, '100')).ok).toBe(true);
    expect((await consume(b.id, alice, CHAT, '200')).ok).toBe(true);
  });

  it('an action without a chat is pressable wherever its person sees it, on any message showing it', async () => {
    const { id } = await make({ platform: null, chatId: null });
    await bindMessages(f.db, [{ ids: [id], chat: { platform: 'telegram', chatId: '555' }, messageId: '7' }]);
    expect((await consume(id, alice, { platform: 'discord', chatId: '777' }, '8')).ok).toBe(true);
  });

  it('creating an action with the same business ref returns the existing one', async () => {
    const a = await make({ ref: 'test:ref:1' });
    const b = await make({ ref: 'test:ref:1' });
    expect(b.id).toBe(a.id);
  });
});
