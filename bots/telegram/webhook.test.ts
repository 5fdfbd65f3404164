import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import {
  captureLogs,
  inboxStates,
  SECRET,
  startHarness,
  TOKEN,
  type Harness,
} from '../../test/fakes/telegram-harness.js';
import type { Db } from '../../core/db/executor.js';
import { apiFailure } from './errors.js';
import { createTelegramWebhook, secretMatches } from './webhook.js';
import { createHash } from 'node:crypto';

let t: TestDatabase;
let h: Harness;

beforeAll(async () => {
  t = await createTestDatabase(6);
  h = await startHarness({ db: t.db, mode: 'webhook' });
});
afterAll(async () => {
  await h.stop(true);
  // After everything above, neither the bot token nor the webhook secret is in any log line.
  for (const secret of [TOKEN.split(':')[1]!, SECRET]) expect(h.logs.text()).not.toContain(secret);
  await t.drop();
});

const alice = { id: 111, is_bot: false, first_name: 'Alice', username: 'alice_a' };
const group = { id: -100200, type: 'supergroup', title: 'Trip' };
const rowCount = async () => Object.keys(await inboxStates(t.db)).length;

describe('the Telegram webhook route (SPEC §4, SEC-1)', () => {
  it('registers itself at start: setWebhook with the secret and the update types, and the command menus', () => {
    expect(h.fake.webhook).toEqual({
      url: `${h.url}/telegram/webhook`,
      secretToken: SECRET,
      allowedUpdates: ['message', 'callback_query', 'chat_member', 'poll_answer'],
    });
    const menus = h.fake.sent('setMyCommands').map((c) => c.params);
    expect(menus).toEqual([
      {
        commands: [
          { command: 'pay', description: 'Pay someone' },
          { command: 'balance', description: 'Your balance' },
        ],
      },
      {
        commands: [
          { command: 'pay', description: '付款' },
          { command: 'balance', description: '余额' },
        ],
        language_code: 'zh',
      },
    ]);
  });

  it('refuses a forged, missing or one-character-off secret with 401, stores nothing and logs neither secret', async () => {
    const before = await rowCount();
    const update = h.fake.message(alice, group, '/pay 5');
    const oneOff = `${SECRET.slice(0, -1)}${SECRET.endsWith('9') ? '8' : '9'}`;
    const forged = 'forged_secret_value_ABCDEFG';
    expect(await h.post(update, forged)).toBe(401);
    expect(await h.post(update, null)).toBe(401);
    expect(await h.post(update, oneOff)).toBe(401);
    expect(await h.post(update, `${SECRET}x`)).toBe(401);
    expect(await h.post(update, '')).toBe(401);
    expect(await rowCount()).toBe(before);
    expect(h.layer.events).toEqual([]);
    const logged = h.logs.text();
    expect(logged).toContain('telegram webhook: bad secret');
    for (const secret of [SECRET, oneOff, forged, TOKEN, TOKEN.split(':')[1]!]) expect(logged).not.toContain(secret);
  });

  it('compares secrets in constant time over fixed-length digests', () => {
    const expected = createHash('sha256').update(SECRET).digest();
    expect(secretMatches(SECRET, expected)).toBe(true);
    expect(secretMatches(undefined, expected)).toBe(false);
    expect(secretMatches('', expected)).toBe(false);
    expect(secretMatches(SECRET + SECRET, expected)).toBe(false); // different length: no throw, no match
  });

  it('the right secret on the wrong path is not the webhook', async () => {
    expect(await h.post(h.fake.message(alice, group, '/pay 1'), SECRET, { path: '/telegram/webhook2' })).toBe(404);
  });

  it('rejects malformed bodies fast with a 4xx and stores nothing (C7)', async () => {
    const before = await rowCount();
    expect(await h.post('{"update_id": 1,', SECRET)).toBe(400);
    expect(await h.post({ message: { text: 'no id' } }, SECRET)).toBe(400);
    expect(await h.post({ update_id: '12' }, SECRET)).toBe(400);
    expect(await h.post({ update_id: -1 }, SECRET)).toBe(400);
    expect(await h.post([{ update_id: 1 }], SECRET)).toBe(400);
    expect(await h.post(JSON.stringify({ update_id: 5 }), SECRET, { contentType: 'text/plain' })).toBe(400);
    const huge = JSON.stringify({ update_id: 6, message: { text: 'x'.repeat(2 * 1024 * 1024) } });
    expect(await h.post(huge, SECRET)).toBe(413);
    expect(await rowCount()).toBe(before);
  });

  it('stores an unknown update type, answers 200 and records it as ignored (C7)', async () => {
    expect(await h.post({ update_id: 900_001, message_reaction: { chat: group } }, SECRET)).toBe(200);
    await h.transport.idle();
    const r = await t.db.query<{ state: string; last_error: string }>(
      `SELECT state, last_error FROM inbox WHERE key = $1`,
      [`tg:123456789:900001`],
    );
    expect(r.rows[0]).toEqual({ state: 'done', last_error: 'ignored: update type not handled' });
  });

  it('the same update POSTed five times at once is stored once, handled once and answered with one message (C1)', async () => {
    const update = h.fake.message(alice, group, '/pay @bob_bobson 5');
    const sentBefore = h.fake.sent('sendMessage').length;
    const statuses = await Promise.all(Array.from({ length: 5 }, () => h.post(update)));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    await h.fake.waitFor(() => h.fake.sent('sendMessage').length > sentBefore, 5_000, 'the reply');
    await h.transport.idle();
    await new Promise((resolve) => setTimeout(resolve, 300)); // a sweep would find a leftover row by now
    const key = `tg:123456789:${update.update_id}`;
    expect((await inboxStates(t.db))[key]).toBe('done');
    expect(h.layer.commands().filter((e) => e.key === key)).toHaveLength(1);
    const replies = h.fake.sent('sendMessage').slice(sentBefore);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.params).toMatchObject({
      chat_id: -100200,
      text: 'pay: @bob_bobson 5',
      reply_parameters: {
        message_id: (update.message as { message_id: number }).message_id,
        allow_sending_without_reply: true,
      },
      reply_markup: { inline_keyboard: [[{ text: 'Confirm', callback_data: `act:${key}` }]] },
    });
    expect(replies[0]?.params).not.toHaveProperty('parse_mode');
  });

  it('answers a button press first, then edits the message', async () => {
    const press = h.fake.callback(alice, group, 4242, 'act:confirm-1');
    expect(await h.post(press)).toBe(200);
    await h.fake.waitFor(
      () => h.fake.sent('editMessageText').some((c) => c.params.message_id === 4242),
      5_000,
      'the edit',
    );
    const calls = h.fake.calls.filter((c) => c.method === 'answerCallbackQuery' || c.params.message_id === 4242);
    expect(calls.map((c) => c.method)).toEqual(['answerCallbackQuery', 'editMessageText']);
    expect(calls[0]?.params).toMatchObject({
      callback_query_id: (press.callback_query as { id: string }).id,
      text: 'Done',
    });
    expect(calls[1]?.params).toMatchObject({ chat_id: -100200, message_id: 4242, text: 'confirmed act:confirm-1' });
  });

  it('answers a press without waiting for a slow command layer, and still edits afterwards', async () => {
    h.layer.buttonDelayMs = 2_000;
    try {
      const press = h.fake.callback(alice, group, 4343, 'act:slow');
      expect(await h.post(press)).toBe(200);
      const id = (press.callback_query as { id: string }).id;
      await h.fake.waitFor(
        () => h.fake.sent('answerCallbackQuery').some((c) => c.params.callback_query_id === id),
        2_000,
      );
      const answer = h.fake.sent('answerCallbackQuery').find((c) => c.params.callback_query_id === id)!;
      expect(answer.params).not.toHaveProperty('text');
      await h.fake.waitFor(() => h.fake.sent('editMessageText').some((c) => c.params.message_id === 4343), 5_000);
      // The layer takes 2 s: the answer went out while it was still working, before its edit.
      const edit = h.fake.sent('editMessageText').find((c) => c.params.message_id === 4343)!;
      expect(answer.at).toBeLessThan(edit.at);
      // One answer only: the layer's own "Done" came too late and was not sent as a second answer.
      expect(h.fake.calls.filter((c) => c.params.callback_query_id === id)).toHaveLength(1);
    } finally {
      h.layer.buttonDelayMs = 0;
    }
  });

  it('logs a too-late answer at info and still carries out the press (T6, C5)', async () => {
    // A press whose query Telegram no longer knows (e.g. processed after a restart).
    const press = {
      update_id: 900_002,
      callback_query: {
        id: 'expired-query',
        from: alice,
        chat_instance: '1',
        data: 'act:late',
        message: { message_id: 4444, date: 1, chat: group, text: 'Confirm?' },
      },
    };
    expect(await h.post(press)).toBe(200);
    await h.fake.waitFor(() => h.fake.sent('editMessageText').some((c) => c.params.message_id === 4444), 5_000);
    await h.transport.idle();
    const line = h.logs.lines().find((l) => l.msg === 'telegram: callback answer too late');
    expect(line).toMatchObject({ level: 30, queryId: 'expired-query', apiError: { code: 400 } });
    expect((await inboxStates(t.db))['tg:123456789:900002']).toBe('done');
  });

  it('an edited or forwarded command never reaches the command layer as a command (C6)', async () => {
    const edited = h.fake.message(alice, group, '/pay @bob_bobson 1000', {}, 'edited_message');
    const forwarded = h.fake.message(alice, group, '/pay @bob_bobson 5', {
      forward_origin: { type: 'user', date: 1, sender_user: { id: 5, is_bot: false, first_name: 'Bob' } },
    });
    const viaBot = h.fake.message(alice, group, '/pay @bob_bobson 5', {
      via_bot: { id: 9, is_bot: true, first_name: 'X' },
    });
    const anonymous = h.fake.message(
      { id: 1087968824, is_bot: true, first_name: 'Group' },
      group,
      '/pay @bob_bobson 5',
      {
        sender_chat: group,
      },
    );
    const updates = [edited, forwarded, viaBot, anonymous];
    for (const u of updates) expect(await h.post(u)).toBe(200);
    const keys = updates.map((u) => `tg:123456789:${u.update_id}`);
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      const states = await inboxStates(t.db);
      if (keys.every((k) => states[k] === 'done')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const states = await inboxStates(t.db);
    expect(keys.map((k) => states[k])).toEqual(['done', 'done', 'done', 'done']);
    const commandKeys = new Set(h.layer.commands().map((e) => e.key));
    for (const k of keys) expect(commandKeys.has(k)).toBe(false);
  });

  it('answers a private reply in a group by DM, with a pointer in the group', async () => {
    const bob = { id: 222, is_bot: false, first_name: 'Bob', username: 'bob_bobson' };
    const before = h.fake.sent('sendMessage').length;
    expect(await h.post(h.fake.message(bob, group, '/balance'))).toBe(200);
    await h.fake.waitFor(() => h.fake.sent('sendMessage').length >= before + 2, 5_000, 'DM and pointer');
    const [dm, pointer] = h.fake.sent('sendMessage').slice(before);
    expect(dm?.params).toMatchObject({ chat_id: 222, text: 'balance: 0.00 USD' });
    expect(pointer?.params).toMatchObject({ chat_id: -100200, text: '@bob_bobson, I sent you a private message.' });
  });

  it('points to a deep link when the user never opened a private chat with the bot', async () => {
    const carol = { id: 333, is_bot: false, first_name: 'Carol', language_code: 'zh-hans' };
    h.fake.block(333, "Forbidden: bot can't initiate conversation with a user");
    const before = h.fake.sent('sendMessage').length;
    expect(await h.post(h.fake.message(carol, group, '/balance'))).toBe(200);
    await h.fake.waitFor(() => h.fake.sent('sendMessage').length > before, 5_000, 'the pointer');
    const [pointer] = h.fake.sent('sendMessage').slice(before);
    expect(pointer?.params.chat_id).toBe(-100200);
    expect(pointer?.params.text).toContain('https://t.me/chipin_test_bot?start=dm');
    expect(pointer?.params.text).toContain('Carol，');
  });

  it('sends a private CSV export as a document in the DM', async () => {
    const dave = { id: 444, is_bot: false, first_name: 'Dave' };
    expect(await h.post(h.fake.message(dave, { id: 444, type: 'private', first_name: 'Dave' }, '/export'))).toBe(200);
    await h.fake.waitFor(() => h.fake.sent('sendDocument').length > 0, 5_000, 'the document');
    const [doc] = h.fake.sent('sendDocument');
    expect(doc?.params).toMatchObject({ chat_id: '444', caption: 'Your history' });
    expect(doc?.files.document?.filename).toBe('history.csv');
    expect(doc?.files.document?.content.toString()).toBe('a,b\n1,2\n');
  });

  it('splits a reply over 4096 characters, buttons on the last piece', async () => {
    const before = h.fake.sent('sendMessage').length;
    expect(await h.post(h.fake.message(alice, { id: 111, type: 'private', first_name: 'Alice' }, '/long'))).toBe(200);
    await h.fake.waitFor(() => h.fake.sent('sendMessage').length >= before + 2, 5_000, 'two pieces');
    const pieces = h.fake.sent('sendMessage').slice(before);
    expect(pieces.map((p) => (p.params.text as string).length)).toEqual([4000, 2000]);
    expect(pieces[0]?.params).not.toHaveProperty('reply_markup');
    expect(pieces[1]?.params.reply_markup).toEqual({
      inline_keyboard: [[{ text: 'More', callback_data: 'act:more' }]],
    });
  });
});

describe("messages on the bot's own initiative", () => {
  it('go out through the same sender and report the message id; a blocked chat rejects with a readable 403', async () => {
    const sent = await h.transport.send('555', {
      text: 'Reminder: Bob asked you for 5.00 USD',
      buttons: [[{ label: 'Pay', actionId: 'act:r1' }]],
    });
    const call = h.fake.sent('sendMessage').find((c) => c.params.chat_id === 555);
    expect(call?.params).toMatchObject({
      text: 'Reminder: Bob asked you for 5.00 USD',
      reply_markup: { inline_keyboard: [[{ text: 'Pay', callback_data: 'act:r1' }]] },
    });
    expect(sent.messageId).toMatch(/^\d+$/);
    h.fake.block(556);
    const err: unknown = await h.transport.send('556', { text: 'hi' }).catch((e: unknown) => e);
    expect(apiFailure(err)).toMatchObject({ code: 403, description: 'Forbidden: bot was blocked by the user' });
  });
});

describe('the route on its own', () => {
  const serve = async (router: express.Router) => {
    const app = express();
    app.use(router);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/webhook`;
    return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  };
  const post = (url: string, secret?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
      body: JSON.stringify({ update_id: 1 }),
    }).then((r) => r.status);

  it('answers 404 when no webhook secret is configured', async () => {
    const { url, close } = await serve(
      createTelegramWebhook({ secret: undefined, botId: '1', db: t.db, log: captureLogs().log }),
    );
    expect(await post(url, 'anything')).toBe(404);
    await close();
  });

  it('never answers 200 for an update it could not store: the platform delivers it again (F5)', async () => {
    const down = {
      kind: 'db',
      query: () => Promise.reject(new Error('connection refused')),
    } as unknown as Db;
    const stored: string[] = [];
    const logs = captureLogs();
    const { url, close } = await serve(
      createTelegramWebhook({ secret: SECRET, botId: '1', db: down, log: logs.log, onStored: (k) => stored.push(k) }),
    );
    expect(await post(url, SECRET)).toBe(503);
    expect(stored).toEqual([]);
    expect(logs.text()).toContain('could not store the update');
    await close();
  });
});
