/** The chat platforms chipin speaks on: the one thing every domain (people, buttons, chats) names. */
export const PLATFORMS = ['telegram', 'discord', 'sandbox'] as const;
export type Platform = (typeof PLATFORMS)[number];
