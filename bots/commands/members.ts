/**
 * Group members (core/groups) as the command layer sees them: whoever does anything in a group chat — a command,
 * a button press, any message — is present there, and the platform's join and leave notices say the rest.
 * Private chats record nothing.
 */
import { leftChat, seenInChat } from '../../core/groups/index.js';
import type { Core, TouchResult } from '../../core/index.js';
import type { Actor, ChatRef, IncomingEvent } from './types.js';

export interface Members {
  /** `people.seen` for the event's actor, and their presence in the event's chat when it is a group. */
  seen(event: { actor: Actor; chat: ChatRef }): Promise<TouchResult>;
  /** A join or leave notice. */
  onMember(event: Extract<IncomingEvent, { type: 'member' }>): Promise<void>;
}

export function createMembers(core: Pick<Core, 'db' | 'people'>): Members {
  const { db, people } = core;

  async function seen(event: { actor: Actor; chat: ChatRef }): Promise<TouchResult> {
    const touched = await people.seen(event.actor);
    if (touched.ok && event.chat.kind === 'group') {
      await seenInChat(db, { platform: event.chat.platform, chatId: event.chat.chatId, personId: touched.person.id });
    }
    return touched;
  }

  return {
    seen,
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
