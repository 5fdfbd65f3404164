/** Events a transport would hand the command layer, for tests that drive the layer directly. */
import type { Actor, ChatRef, IncomingEvent, Mention } from '../../bots/commands/types.js';

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
      const mentions: Mention[] = [...args.matchAll(/@(\w+)/g)].map((m) => ({
        username: m[1] ?? '',
        offset: m.index,
        length: m[0].length,
      }));
      updates += 1;
      return { type: 'command', key: `${keyPrefix}:${updates}`, actor, chat, command: head.slice(1), args, mentions };
    },
    press: (actor: Actor, actionId: string, chat: ChatRef = group): IncomingEvent => {
      updates += 1;
      return { type: 'button', key: `${keyPrefix}cb:${updates}`, actor, chat, actionId };
    },
  };
}
