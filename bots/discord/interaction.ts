/**
 * Interaction JSON (the same object the HTTP endpoint receives and the gateway's INTERACTION_CREATE carries) →
 * the platform-neutral `IncomingEvent`, and the initial response Discord needs within 3 s. Pure: no I/O, no clock.
 * The JSON is validated here (zod) and never trusted beyond its shape: a button's custom_id is only an opaque id
 * the core checks against the person pressing it.
 */
import { z } from 'zod';
import { repliesPrivately } from '../commands/layer.js';
import type { Actor, ChatRef, IncomingEvent, Mention } from '../commands/types.js';

/** Interaction types (Discord `InteractionType`). */
const PING = 1;
const APPLICATION_COMMAND = 2;
const MESSAGE_COMPONENT = 3;
const AUTOCOMPLETE = 4;

/** Option types (Discord `ApplicationCommandOptionType`). */
const SUB_COMMAND = 1;
const SUB_COMMAND_GROUP = 2;
const USER = 6;

/** Component type of a button. */
const BUTTON = 2;

/** Message flag: only the user who invoked the interaction sees the message. */
export const EPHEMERAL = 64;

const snowflake = z.string().regex(/^[0-9]{1,20}$/);

const userSchema = z.object({
  id: snowflake,
  username: z.string().max(64),
  global_name: z.string().max(64).nullish(),
  bot: z.boolean().optional(),
});
type DiscordUser = z.infer<typeof userSchema>;

const memberSchema = z.object({ user: userSchema.optional(), nick: z.string().max(64).nullish() });

interface OptionNode {
  name: string;
  type: number;
  value?: string | number | boolean | undefined;
  options?: OptionNode[] | undefined;
}

const optionSchema: z.ZodType<OptionNode> = z.lazy(() =>
  z.object({
    name: z.string().max(32),
    type: z.number().int(),
    value: z.union([z.string().max(6000), z.number(), z.boolean()]).optional(),
    options: z.array(optionSchema).max(25).optional(),
  }),
);

const commandData = z.object({
  name: z.string().max(32),
  options: z.array(optionSchema).max(25).optional(),
  resolved: z
    .object({
      users: z.record(z.string(), userSchema).optional(),
      members: z.record(z.string(), z.object({ nick: z.string().max(64).nullish() })).optional(),
    })
    .optional(),
});

const componentData = z.object({ custom_id: z.string().min(1).max(100), component_type: z.number().int() });

const interactionSchema = z.object({
  id: snowflake,
  application_id: snowflake,
  type: z.number().int(),
  token: z.string().min(1).max(500),
  guild_id: snowflake.optional(),
  channel_id: snowflake.optional(),
  channel: z.object({ id: snowflake, name: z.string().nullish() }).optional(),
  member: memberSchema.optional(),
  user: userSchema.optional(),
  locale: z.string().max(16).optional(),
  data: z.unknown().optional(),
  message: z.object({ id: snowflake }).optional(),
});

/** What the interaction token allows (follow-ups and edits through the interaction webhook, 15 minutes). */
export interface InteractionRef {
  id: string;
  applicationId: string;
  token: string;
}

/** The initial response: a deferral (type 5 for commands, ephemeral when private; type 6 for buttons). */
export type InitialResponse = { type: 5; data?: { flags: number } } | { type: 6 } | { type: 1 };

export type Interaction =
  | { kind: 'ping' }
  | {
      kind: 'event';
      ref: InteractionRef;
      event: Extract<IncomingEvent, { type: 'command' | 'button' }>;
      initial: InitialResponse;
      /** Commands: whether the deferred ("thinking…") message is ephemeral. */
      ephemeral: boolean;
    }
  | { kind: 'ignored'; reason: string; ref?: InteractionRef };

/** The idempotency key of an interaction (SPEC §5). */
export const interactionKey = (id: string): string => `dc:${id}`;

/** Reads an interaction. Never throws: anything unusable is `ignored` with the reason. */
export function parseInteraction(json: unknown): Interaction {
  if (typeof json === 'object' && json !== null && (json as { type?: unknown }).type === PING) return { kind: 'ping' };
  const parsed = interactionSchema.safeParse(json);
  if (!parsed.success) return { kind: 'ignored', reason: 'not an interaction' };
  const raw = parsed.data;
  const ref: InteractionRef = { id: raw.id, applicationId: raw.application_id, token: raw.token };
  const who = raw.member?.user ?? raw.user;
  if (!who) return { kind: 'ignored', reason: 'no user', ref };
  const actor = toActor(who, raw.member?.nick, raw.locale);
  const channelId = raw.channel_id ?? raw.channel?.id;
  if (channelId === undefined) return { kind: 'ignored', reason: 'no channel', ref };
  const chat: ChatRef = {
    platform: 'discord',
    chatId: channelId,
    kind: raw.guild_id !== undefined ? 'group' : 'private',
    ...(raw.guild_id !== undefined ? { guildId: raw.guild_id } : {}),
    ...(raw.channel?.name ? { title: raw.channel.name } : {}),
  };
  const key = interactionKey(raw.id);

  if (raw.type === APPLICATION_COMMAND) {
    const data = commandData.safeParse(raw.data);
    if (!data.success) return { kind: 'ignored', reason: 'bad command data', ref };
    const { path, leaves } = flatten(data.data.options ?? []);
    const options: Record<string, string | number | boolean | Actor> = {};
    const mentions: Mention[] = [];
    const words: string[] = [...path];
    for (const leaf of leaves) {
      if (leaf.type === USER) {
        const id = String(leaf.value);
        const resolved = data.data.resolved?.users?.[id];
        if (!resolved) return { kind: 'ignored', reason: 'unresolved user option', ref };
        const target = toActor(resolved, data.data.resolved?.members?.[id]?.nick, undefined);
        options[leaf.name] = target;
        mentions.push({ user: target });
      } else if (leaf.value !== undefined) {
        options[leaf.name] = leaf.value;
        words.push(String(leaf.value));
      }
    }
    const command = data.data.name.toLowerCase();
    const ephemeral = repliesPrivately(command);
    return {
      kind: 'event',
      ref,
      event: { type: 'command', key, actor, chat, command, args: words.join(' '), mentions, options },
      initial: ephemeral ? { type: 5, data: { flags: EPHEMERAL } } : { type: 5 },
      ephemeral,
    };
  }
  if (raw.type === MESSAGE_COMPONENT) {
    const data = componentData.safeParse(raw.data);
    if (!data.success || data.data.component_type !== BUTTON) return { kind: 'ignored', reason: 'not a button', ref };
    return {
      kind: 'event',
      ref,
      event: {
        type: 'button',
        key,
        actor,
        chat,
        ...(raw.message ? { messageId: raw.message.id } : {}),
        actionId: data.data.custom_id,
        order: raw.id,
      },
      initial: { type: 6 },
      ephemeral: false,
    };
  }
  return { kind: 'ignored', reason: raw.type === AUTOCOMPLETE ? 'autocomplete' : `interaction type ${raw.type}`, ref };
}

function toActor(user: DiscordUser, nick: string | null | undefined, locale: string | undefined): Actor {
  return {
    platform: 'discord',
    userId: user.id,
    username: user.username,
    displayName: nick || user.global_name || user.username,
    ...(locale !== undefined ? { languageCode: locale } : {}),
    isBot: user.bot === true,
  };
}

/** Subcommand (group) names in order, and the leaf options under them. */
function flatten(options: readonly OptionNode[]): { path: string[]; leaves: OptionNode[] } {
  const path: string[] = [];
  const leaves: OptionNode[] = [];
  let level = options;
  for (;;) {
    const nested = level.find((o) => o.type === SUB_COMMAND || o.type === SUB_COMMAND_GROUP);
    if (!nested) break;
    path.push(nested.name);
    level = nested.options ?? [];
  }
  leaves.push(...level);
  return { path, leaves };
}
