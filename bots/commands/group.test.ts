import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.js';
import {
  createCore,
  createGroupAction,
  groupButtonId,
  isMember,
  tally,
  type Core,
  type GroupActionHandler,
} from '../../core/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { createCommandLayer } from './layer.js';
import type { Actor, ChatRef, CommandLayer } from './types.js';

const config = loadConfig({ NODE_ENV: 'test', DEMO_MONEY: '1' });

/** A demo kind for this test only: anyone present in the chat may press. */
const DEMO: GroupActionHandler = {
  kind: 'demo.signup',
  eligible: (tx, action, personId) => isMember(tx, { platform: action.platform, chatId: action.chatId, personId }),
};

let database: TestDatabase;
let core: Core;
let layer: CommandLayer;
beforeAll(async () => {
  database = await createTestDatabase(4);
  core = createCore({ db: database.db, config, groupActions: [DEMO] });
  layer = createCommandLayer({ core, config });
});
afterAll(async () => {
  await database.drop();
});

let ids = 8_300_000;
const user = (name: string): Actor => {
  ids += 1;
  return { platform: 'telegram', userId: String(ids), username: `${name}${ids}`, displayName: name, isBot: false };
};
const CHAT: ChatRef = { platform: 'telegram', chatId: '-3001', kind: 'group' };

async function newAction(mode: 'once' | 'vote') {
  const owner = await core.people.seen(user('Owner'));
  if (!owner.ok) throw new Error(owner.error);
  return database.db.transaction((tx) =>
    createGroupAction(tx, {
      kind: DEMO.kind,
      payload: {},
      platform: 'telegram',
      chatId: CHAT.chatId,
      createdBy: owner.person.id,
      ttlMs: 60_000,
      ...(mode === 'vote' ? { mode, options: 2 } : { mode }),
    }),
  );
}

let presses = 0;
const pressBy = (actor: Actor, actionId: string, key = `tgcb:g${(presses += 1)}`) =>
  layer.handle({ type: 'button', key, actor, chat: CHAT, actionId });

describe('group buttons through the command layer', () => {
  it('each person who presses is counted once and told so; pressing again is no alert', async () => {
    const action = await newAction('once');
    const ann = user('Ann');
    expect((await pressBy(ann, action.id)).effects).toEqual([{ type: 'answer', text: 'Counted ✅' }]);
    expect((await pressBy(user('Ben'), action.id)).effects).toEqual([{ type: 'answer', text: 'Counted ✅' }]);
    expect((await pressBy(ann, action.id)).effects).toEqual([
      { type: 'answer', text: 'You already pressed this.', alert: false },
    ]);
    expect((await tally(database.db, action.id)).counts).toEqual([2]);
  });

  it('a redelivered press answers the same and counts once', async () => {
    const action = await newAction('vote');
    const ann = user('Ann');
    const first = await pressBy(ann, groupButtonId(action.id, 1), 'tgcb:same');
    expect(first.effects).toEqual([{ type: 'answer', text: 'Vote recorded ✅' }]);
    expect(await pressBy(ann, groupButtonId(action.id, 1), 'tgcb:same')).toEqual(first);
    expect((await tally(database.db, action.id)).counts).toEqual([0, 1]);
  });
});
