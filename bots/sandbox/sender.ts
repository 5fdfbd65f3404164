/**
 * The notifications worker's `Sender` for platform 'sandbox': what chipin says on its own (a request to pay,
 * "you received money", a reminder, an expiry) lands in the person's private chat of the transcript, where the
 * page's polling picks it up. As on Telegram, a user's private chat id is the user's id.
 */
import { Blocked, type Sender } from '../commands/types.js';
import type { SandboxStore } from './store.js';

export function createSandboxSender(store: SandboxStore): Sender {
  return {
    send(chatId, message) {
      const posted = store.post(chatId, { type: 'bot' }, message, { origin: 'notification' });
      // A chat the sandbox does not know (a user from before a restart) never will: the transcript is in memory.
      if (!posted) return Promise.reject(new Blocked(`no sandbox chat ${chatId}`));
      return Promise.resolve({ messageId: posted.id });
    },
  };
}
