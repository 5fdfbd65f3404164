import { actionIdOf } from '../commands/render.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../core/log.js';
import { createCore, createPoll, tally, type Core } from '../../core/index.js';
import { TEST_CONFIG } from '../../test/support/core.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { loadConfig } from '../../config/env.js';
import { createCommandLayer } from '../commands/layer.js';
import type { CommandLayer } from '../commands/types.js';
import { createSandbox, createSandboxStore, GROUP_CHAT_ID, type Sandbox, type SandboxStore } from './index.js';

const config = loadConfig({ NODE_ENV: 'test', DEMO_MONEY: '1' });

let t: TestDatabase;
let core: Core;
let store: SandboxStore;
let sandbox: Sandbox;
let pollRef = '';

beforeAll(async () => {
  t = await createTestDatabase(4);
  core = createCore({ db: t.db, config: TEST_CONFIG });
  const real = createCommandLayer({ core, config });
  // The real layer, plus `/poll` (this test's own: no feature sends polls yet) showing a new vote as a poll.
  const layer: CommandLayer = {
    async handle(event) {
      if (event.type !== 'command' || event.command !== 'poll') return real.handle(event);
      const creator = await core.people.seen(event.actor);
      if (!creator.ok) throw new Error(creator.error);
      const options = ['Pizza', 'Sushi'];
      const vote = await t.db.transaction((tx) =>
        createPoll(tx, {
          platform: 'sandbox',
          chatId: event.chat.chatId,
          createdBy: creator.person.id,
          question: 'Dinner?',
          options,
          ttlMs: 60_000,
        }),
      );
      pollRef = vote.id;
      return { effects: [{ type: 'poll', question: 'Dinner?', options, pollRef: vote.id }] };
    },
  };
  store = createSandboxStore();
  sandbox = createSandbox({ store, layer, log: silentLog });
});
afterAll(async () => {
  await t.drop();
});

describe('a poll in the sandbox', () => {
  it('is a message with a button per option; a press votes for it, another press changes the vote', async () => {
    const ann = store.createUser({ username: 'ann_poll', displayName: 'Ann', language: 'en' });
    const ben = store.createUser({ username: 'ben_poll', displayName: 'Ben', language: 'en' });
    if (!ann.ok || !ben.ok) throw new Error('users');
    const sent = await sandbox.send({ userId: ann.user.id, chatId: GROUP_CHAT_ID, text: '/poll' });
    if (!sent.ok) throw new Error(sent.error);
    const poll = store.messages(GROUP_CHAT_ID)!.messages.at(-1)!;
    expect(poll.text).toBe('Dinner?');
    expect(poll.buttons?.map((row) => row.map((b) => b.label))).toEqual([['Pizza'], ['Sushi']]);

    const press = (userId: string, option: number) =>
      sandbox.press({
        userId,
        chatId: GROUP_CHAT_ID,
        messageId: poll.id,
        actionId: actionIdOf(poll.buttons![option]![0]!),
      });
    expect(await press(ben.user.id, 0)).toEqual({ ok: true, toast: { text: 'Vote recorded ✅', alert: false } });
    await press(ann.user.id, 1);
    await press(ben.user.id, 1);
    expect((await tally(t.db, pollRef)).counts).toEqual([0, 2]);
  });
});
