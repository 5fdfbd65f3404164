/** Events a transport would hand the command layer, for tests that drive the layer directly. */
import type { Actor, ChatRef, IncomingEvent, Mention } from '../../bots/commands/types.js';

type CommandOptions = NonNullable<Extract<IncomingEvent, { type: 'command' }>['options']>;

/** The mention entities Telegram sends for every `@name` in `args`. */
export const mentionsIn = (args: string): Mention[] =>
  [...args.matchAll(/@(\w+)/g)].map((m) => ({ username: m[1] ?? '', offset: m.index, length: m[0].length }));

/** `/command args` typed by `actor` in a group, as a grammar test reads it (Discord `options` when given). */
export function commandEvent(
  command: string,
  actor: Actor,
  args: string,
  options?: { options?: CommandOptions; mentions?: Mention[] },
): Extract<IncomingEvent, { type: 'command' }> {
  return {
    type: 'command',
    key: 'k',
    actor,
    chat: { platform: 'telegram', chatId: '-1', kind: 'group' },
    command,
    args,
    mentions: options?.mentions ?? mentionsIn(args),
    ...(options?.options ? { options: options.options } : {}),
  };
}

/**
 * Builders for one test file: people with fresh numeric ids from `firstId`, `/commands` typed in `group` (every
 * `@name` gets its mention entity, as Telegram sends), and button presses there. Keys start with `keyPrefix`, so
 * two files never share a delivery key.
 */
export function chatEvents(options: { firstId: number; keyPrefix: string; group: ChatRef }) {
  let ids = options.firstId;
  let updates = 0;
  const { group, keyPrefix } = options;
  return {
    person: (name: string, languageCode = 'en'): Actor => {
      ids += 1;
      return {
        platform: 'telegram',
        userId: String(ids),
        username: `${name}${ids}`,
        displayName: name,
        languageCode,
        isBot: false,
      };
    },
    command: (actor: Actor, text: string, chat: ChatRef = group): Extract<IncomingEvent, { type: 'command' }> => {
      const [head = '', ...rest] = text.split(' ');
      const args = rest.join(' ');
      updates += 1;
      return {
        type: 'command',
        key: `${keyPrefix}:${updates}`,
        actor,
        chat,
        command: head.slice(1),
        args,
        mentions: mentionsIn(args),
      };
    },
    press: (actor: Actor, actionId: string, chat: ChatRef = group): IncomingEvent => {
      updates += 1;
      return { type: 'button', key: `${keyPrefix}cb:${updates}`, actor, chat, actionId };
    },
  };
}
