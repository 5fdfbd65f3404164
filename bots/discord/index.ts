/** The Discord transport's public surface (app.ts, main.ts, integration tests). */
export {
  createDiscordTransport,
  DiscordConfigError,
  type DiscordConfig,
  type DiscordTransport,
  type DiscordTransportDeps,
  type DiscordTransportOptions,
} from './bot.js';
export { registerCommands, slashCommands } from './commands.js';
export { discordFailure, isUnreachable, type DiscordFailure } from './errors.js';
export { isMessageGone as isDiscordMessageGone } from './live.js';
export { interactionKey, parseInteraction, type Interaction } from './interaction.js';
export { DISCORD_INTERACTIONS_PATH } from './webhook.js';
