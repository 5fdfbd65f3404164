/** Live messages in the sandbox chat: the `live` effect posts and binds a message, the worker's editor rewrites it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../core/log.js';
import { bindLive, readLive, touchLive } from '../../core/live/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { MessageGone } from '../../workers/index.js';
import { createSandboxEditor } from './editor.js';
import { createSandboxStore, GROUP_CHAT_ID } from './store.js';
import { createSandbox } from './transport.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(3);
});
afterAll(async () => {
  await database.drop();
});

describe('live messages in the sandbox', () => {
  it('are posted in the chat, bound to their row, and edited in place', async () => {
    const ref = `collection:sb:${Date.now()}`;
    const { version } = await touchLive(database.db, ref, {
      template: { key: 'roster' },
      locale: 'en',
      timeZone: 'UTC',
    });
    const store = createSandboxStore();
    const created = store.createUser({ username: 'ann', displayName: 'Ann', language: 'en' });
    if (!created.ok) throw new Error(created.error);
    let bound: Promise<unknown> = Promise.resolve();
    const sandbox = createSandbox({
      store,
      log: silentLog,
      layer: {
        handle: () =>
          Promise.resolve({
            effects: [{ type: 'live', ref, version: String(version), message: { text: 'Roster: nobody yet' } }],
          }),
      },
      bindLive: (liveRef, shown, chatId, messageId) => {
        bound = bindLive(database.db, { ref: liveRef, platform: 'sandbox', chatId, messageId, version: BigInt(shown) });
        return bound.then(() => undefined);
      },
    });
    await sandbox.join(created.user);
    const sent = await sandbox.send({ userId: created.user.id, chatId: GROUP_CHAT_ID, text: '/collect 5' });
    expect(sent.ok).toBe(true);
    await bound;
    const place = (await readLive(database.db, ref))?.place;
    expect(place).toMatchObject({ platform: 'sandbox', chatId: GROUP_CHAT_ID });
    expect(store.message(GROUP_CHAT_ID, place!.messageId)?.text).toBe('Roster: nobody yet');

    const editor = createSandboxEditor(store);
    await editor.edit(GROUP_CHAT_ID, place!.messageId, { text: 'Roster: Ann paid' });
    expect(store.message(GROUP_CHAT_ID, place!.messageId)?.text).toBe('Roster: Ann paid');
    await expect(editor.edit(GROUP_CHAT_ID, 'no-such-message', { text: 'x' })).rejects.toBeInstanceOf(MessageGone);
  });
});

describe('buttons in the sandbox', () => {
  it('are bound to the message that shows them, posted or edited, so a button whose time ends has it edited', async () => {
    const store = createSandboxStore();
    const created = store.createUser({ username: 'bea', displayName: 'Bea', language: 'en' });
    if (!created.ok) throw new Error(created.error);
    const undo = { label: 'Undo', actionId: 'U'.repeat(22) };
    const again = { label: 'Undo', actionId: 'V'.repeat(22) };
    const bound: Array<{ ids: string[]; chatId: string; messageId: string }> = [];
    const sandbox = createSandbox({
      store,
      log: silentLog,
      layer: {
        handle: (event) =>
          Promise.resolve({
            effects:
              event.type === 'button'
                ? [{ type: 'edit', message: { text: 'Sent again', buttons: [[again]] } }]
                : event.type === 'command'
                  ? [{ type: 'reply', private: false, message: { text: 'Sent', buttons: [[undo]] } }]
                  : [],
          }),
      },
      bindButtons: (ids, chatId, messageId) => {
        bound.push({ ids, chatId, messageId });
        return Promise.resolve();
      },
    });
    await sandbox.join(created.user);
    const sent = await sandbox.send({ userId: created.user.id, chatId: GROUP_CHAT_ID, text: '/pay @ann 5' });
    if (!sent.ok) throw new Error(sent.error);
    const [posted] = store.messages(GROUP_CHAT_ID)!.messages.filter((m) => m.text === 'Sent');
    expect(bound).toEqual([{ ids: [undo.actionId], chatId: GROUP_CHAT_ID, messageId: posted!.id }]);

    const pressed = await sandbox.press({
      userId: created.user.id,
      chatId: GROUP_CHAT_ID,
      messageId: posted!.id,
      actionId: undo.actionId,
    });
    expect(pressed.ok).toBe(true);
    expect(bound.at(-1)).toEqual({ ids: [again.actionId], chatId: GROUP_CHAT_ID, messageId: posted!.id });
  });
});
