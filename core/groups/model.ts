import type { Platform } from '../people/model.js';

/** A group chat (Telegram group or supergroup, Discord guild channel, the sandbox group). */
export interface GroupChat {
  platform: Platform;
  chatId: string;
}

/**
 * Where the bot has seen a person, shown on confirm cards so the payer can check who it is (usernames change hands):
 * present in the card's chat since `since`, else (not here) on chipin since `since`.
 */
export interface Seen {
  here: boolean;
  since: Date;
}

/** A person currently present in a group chat, as `membersOf` lists them. */
export interface ChatMember {
  personId: bigint;
  displayName: string;
  /** The username of their identity on the chat's platform, when they have one. */
  username: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/**
 * How long a membership's last_seen_at stays fresh: seeing the person again within it writes nothing, so
 * recording the actor on every group command, press and message costs one read.
 */
export const MEMBER_FRESH_MS = 60_000;
