/**
 * Group members (core/groups) as the command layer sees them: whoever does anything in a group chat — a command,
 * a button press, any message — is present there, and the platform's join and leave notices say the rest.
 * Private chats record nothing.
 */
import { leftChat, membersOf, seenInChats } from '../../core/groups/index.js';
import { createBatcher } from '../../core/db/batch.js';
import type { Core, Executor, Person, TouchResult } from '../../core/index.js';
import { namesakesOf, type CommandEvent } from './grammar/index.js';
import type { Actor, ChatRef, IncomingEvent, Mention, Platform } from './types.js';

export interface Members {
  /** `people.seen` for the event's actor, and their presence in the event's chat when it is a group. */
  seen(event: { actor: Actor; chat: ChatRef }): Promise<TouchResult>;
  /**
   * The other people a command names by platform user (its reply-to author, its text mentions), touched as `seen`
   * touches (concurrent deliveries share a statement), by user id; one who cannot be a person (a bot) is left out.
   */
  touchNamed(event: { actor: Actor; replyTo?: Actor; mentions: readonly Mention[] }): Promise<Map<string, Person>>;
  /**
   * The people present in the event's group chat, the actor aside, whose display name the command's first words
   * spell (`/pay Bob 12.50`), each with a command event that mentions them instead (grammar `namesakesOf`).
   * Only people with a username on the chat's platform: a suggestion must be something one can type.
   */
  namesakes(exec: Executor, event: CommandEvent, personId: bigint): Promise<Namesake[]>;
  /** A join or leave notice. */
  onMember(event: Extract<IncomingEvent, { type: 'member' }>): Promise<void>;
}

/** Someone a command may have meant by name, and the command rewritten to mention them. */
export interface Namesake {
  username: string;
  event: CommandEvent;
}

export function createMembers(core: Pick<Core, 'db' | 'people'>): Members {
  const { db, people } = core;
  // Concurrent events record their presences in one statement.
  const presences = createBatcher(async (inputs: Array<{ platform: Platform; chatId: string; personId: bigint }>) => {
    await seenInChats(db, inputs);
    return inputs.map(() => undefined);
  });

  async function seen(event: { actor: Actor; chat: ChatRef }): Promise<TouchResult> {
    const touched = await people.seen(event.actor);
    if (touched.ok && event.chat.kind === 'group') {
      await presences.push({ platform: event.chat.platform, chatId: event.chat.chatId, personId: touched.person.id });
    }
    return touched;
  }

  return {
    seen,
    async touchNamed(event) {
      const named = new Map<string, Actor>();
      for (const actor of [event.replyTo, ...event.mentions.map((m) => ('user' in m ? m.user : undefined))])
        if (actor && actor.userId !== event.actor.userId) named.set(actor.userId, actor);
      const touched = await Promise.all([...named.values()].map((actor) => people.seen(actor)));
      return new Map(touched.flatMap((t) => (t.ok ? [[t.identity.userId, t.person] as const] : [])));
    },
    async namesakes(exec, event, personId) {
      if (event.chat.kind !== 'group') return [];
      const present = await membersOf(exec, { platform: event.chat.platform, chatId: event.chat.chatId });
      const known = present.flatMap((m) =>
        m.username !== null && m.personId !== personId ? [{ displayName: m.displayName, username: m.username }] : [],
      );
      return namesakesOf(event.args, known).map(({ who, args }) => ({
        username: who.username,
        event: { ...event, args, mentions: [{ username: who.username, offset: 0, length: who.username.length + 1 }] },
      }));
    },
    async onMember(event) {
      if (event.chat.kind !== 'group') return;
      for (const actor of event.actors) {
        // Someone leaving does not become a person: a user the bot never saw has no membership to end.
        if (event.change === 'left')
          await leftChat(db, { platform: event.chat.platform, chatId: event.chat.chatId, userId: actor.userId });
        else await seen({ actor, chat: event.chat });
      }
    },
  };
}
