/** The Telegram transport's public surface (main.ts, integration tests). */
export {
  createTelegramTransport,
  TelegramConfigError,
  type TelegramConfig,
  type TelegramTransport,
  type TelegramTransportDeps,
  type TelegramTransportOptions,
} from './bot.js';
export type { BotCommandSpec } from './commands.js';
export { apiFailure, isForbidden, type ApiFailure } from './errors.js';
export { isMessageGone } from './live.js';
export { TELEGRAM_LIMITS, type Limit, type TelegramLimits } from './limits.js';
export type { OutboundStats } from './outbound.js';
export { parseUpdate, type BotIdentity, type Delivery, type Origin } from './update.js';
export { updateKey } from './keys.js';
export { createTelegramWebhook, TELEGRAM_WEBHOOK_PATH, type TelegramWebhookDeps } from './webhook.js';
