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
  };
}
