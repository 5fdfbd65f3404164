/**
 * The live worker's `Editor` for platform 'sandbox': a live message's new text replaces the old one in the
 * transcript, where the page's polling picks it up.
 */
import { MessageGone, type Editor } from '../commands/types.js';
import type { SandboxStore } from './store.js';

export function createSandboxEditor(store: SandboxStore): Editor {
  return {
    edit(chatId, messageId, message) {
      // The transcript is in memory: a message from before a restart is gone for good.
      if (!store.edit(chatId, messageId, message))
        return Promise.reject(new MessageGone(`no sandbox message ${messageId}`));
      return Promise.resolve();
    },
    post(chatId, message) {
      const posted = store.post(chatId, { type: 'bot' }, message);
      if (!posted) return Promise.reject(new MessageGone(`no sandbox chat ${chatId}`));
      return Promise.resolve({ messageId: posted.id });
    },
  };
}
