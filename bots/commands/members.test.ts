import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.js';
import { createCore, membersOf, type Core } from '../../core/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { createCommandLayer } from './layer.js';
import type { Actor, ChatRef, CommandLayer } from './types.js';

const config = loadConfig({ NODE_ENV: 'test', DEMO_MONEY: '1' });

let database: TestDatabase;
let core: Core;
let layer: CommandLayer;
beforeAll(async () => {
  database = await createTestDatabase(4);
  core = createCore({ db: database.db, config });
  layer = createCommandLayer({ core, config });
});
afterAll(async () => {
  await database.drop();
});

let ids = 8_100_000;
function user(name: string, extra: Partial<Actor> = {}): Actor {
  ids += 1;
  return {
    platform: 'telegram',
    userId: String(ids),
    username: `${name}${ids}`,
    displayName: name,
    isBot: false,
    ...extra,
  };
}
let chats = 0;
const group = (): ChatRef => ({ platform: 'telegram', chatId: `-200${(chats += 1)}`, kind: 'group' });
const listed = async (chat: ChatRef) =>
  (await membersOf(database.db, { platform: chat.platform, chatId: chat.chatId })).map((m) => m.displayName);

describe('the command layer records who is in a group chat', () => {
  it('whoever writes, runs a command or presses a button there is a member', async () => {
    const chat = group();
    await layer.handle({ type: 'seen', actor: user('Ann'), chat });
    await layer.handle({
      type: 'command',
      key: `tg:1:${ids}`,
      actor: user('Ben'),
      chat,
      command: 'help',
      args: '',
      mentions: [],
    });
    await layer.handle({ type: 'button', key: `tgcb:${ids}`, actor: user('Cat'), chat, actionId: 'forged' });
    expect(await listed(chat)).toEqual(['Ann', 'Ben', 'Cat']);
  });

  it('join and leave notices add and remove members; bots are never members', async () => {
    const chat = group();
    const ann = user('Ann');
    const ben = user('Ben');
    await layer.handle({ type: 'member', change: 'joined', actors: [ann, ben, user('Bot', { isBot: true })], chat });
    expect(await listed(chat)).toEqual(['Ann', 'Ben']);
    await layer.handle({ type: 'member', change: 'left', actors: [ann], chat });
    expect(await listed(chat)).toEqual(['Ben']);
    await layer.handle({ type: 'seen', actor: ann, chat });
    expect(await listed(chat)).toEqual(['Ann', 'Ben']);
  });

  it('a private chat records nothing', async () => {
    const ann = user('Ann');
    const dm: ChatRef = { platform: 'telegram', chatId: ann.userId, kind: 'private' };
    await layer.handle({ type: 'seen', actor: ann, chat: dm });
    await layer.handle({ type: 'member', change: 'joined', actors: [ann], chat: dm });
    expect(await listed(dm)).toEqual([]);
    expect((await database.db.query(`SELECT 1 FROM chat_members WHERE chat_id = $1`, [dm.chatId])).rowCount).toBe(0);
  });
});
