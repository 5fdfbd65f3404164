import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actor, coreFixture, touch, type CoreFixture } from '../../test/support/core.js';
import type { ActorInput, Person } from '../people/index.js';
import { isMember, leftChat, membersOf, seenInChats, type GroupChat } from './index.js';

let f: CoreFixture;
beforeAll(async () => {
  f = await coreFixture();
});
afterAll(async () => {
  await f.t.drop();
});

let chats = 0;
const newChat = (): GroupChat => ({ platform: 'telegram', chatId: `-100${(chats += 1)}` });

async function someone(name: string): Promise<{ who: ActorInput; person: Person }> {
  const who = actor(name);
  return { who, person: await touch(f.core, who) };
}

const seen = async (chat: GroupChat, p: Person) => (await seenInChats(f.db, [{ ...chat, personId: p.id }])) > 0;
const names = async (chat: GroupChat) => (await membersOf(f.db, chat)).map((m) => m.username);

describe('the people the bot knows in a group chat', () => {
  it('lists everyone seen there, with their names, longest-standing first', async () => {
    const chat = newChat();
    const alice = await someone('alice_g1');
    const bob = await someone('bob_g1');
    await seen(chat, alice.person);
    await seen(chat, bob.person);
    await seen(newChat(), (await someone('carol_g1')).person); // another chat
    const members = await membersOf(f.db, chat);
    expect(members.map((m) => ({ id: m.personId, name: m.displayName, username: m.username }))).toEqual([
      { id: alice.person.id, name: 'Alice_g1', username: 'alice_g1' },
      { id: bob.person.id, name: 'Bob_g1', username: 'bob_g1' },
    ]);
    expect(await isMember(f.db, { ...chat, personId: bob.person.id })).toBe(true);
  });

  it('someone who left is not listed, and a re-join lists them again since their first visit', async () => {
    const chat = newChat();
    const alice = await someone('alice_g2');
    const bob = await someone('bob_g2');
    await seen(chat, alice.person);
    await seen(chat, bob.person);
    const first = (await membersOf(f.db, chat)).find((m) => m.personId === bob.person.id)?.firstSeenAt;

    expect(await leftChat(f.db, { ...chat, userId: bob.who.userId })).toBe(true);
    expect(await names(chat)).toEqual(['alice_g2']);
    expect(await isMember(f.db, { ...chat, personId: bob.person.id })).toBe(false);
    expect(await leftChat(f.db, { ...chat, userId: bob.who.userId })).toBe(false); // already gone

    expect(await seen(chat, bob.person)).toBe(true);
    expect(await names(chat)).toEqual(['alice_g2', 'bob_g2']);
    expect((await membersOf(f.db, chat)).find((m) => m.personId === bob.person.id)?.firstSeenAt).toEqual(first);
  });

  it('seeing a present member again within a minute writes nothing', async () => {
    const chat = newChat();
    const { person } = await someone('alice_g3');
    expect(await seen(chat, person)).toBe(true);
    expect(await seen(chat, person)).toBe(false);
    await f.db.query(
      `UPDATE chat_members SET last_seen_at = now() - interval '2 minutes' WHERE chat_id = $1 AND person_id = $2`,
      [chat.chatId, person.id],
    );
    expect(await seen(chat, person)).toBe(true);
  });

  it('concurrent first sightings of one person record one membership', async () => {
    const chat = newChat();
    const { person } = await someone('alice_g4');
    await Promise.all(Array.from({ length: 8 }, () => seen(chat, person)));
    expect(await names(chat)).toEqual(['alice_g4']);
  });

  it('a user the bot never saw leaving changes nothing', async () => {
    const chat = newChat();
    expect(await leftChat(f.db, { ...chat, userId: '999999999' })).toBe(false);
    expect(await membersOf(f.db, chat)).toEqual([]);
  });
});
