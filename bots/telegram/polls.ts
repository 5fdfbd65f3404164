/** Where the Telegram transport keeps its native polls: core/actions/poll.ts over the database. */
import { bindPoll, pollOfAction } from '../../core/actions/index.js';
import type { Db } from '../../core/db/executor.js';
import type { TelegramPolls } from './effects.js';

export function telegramPolls(db: Db): TelegramPolls {
  return {
    async bind(poll) {
      await bindPoll(db, { platform: 'telegram', ...poll });
    },
    async messageOf(actionId) {
      const poll = await pollOfAction(db, actionId);
      return poll && { chatId: poll.chatId, messageId: poll.messageId };
    },
  };
}
