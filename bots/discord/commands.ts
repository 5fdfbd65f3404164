/**
 * The slash commands chipin registers on Discord, built from ONE table: a command is an entry (its name comes from
 * the command layer's COMMANDS, its description from the message catalog) with its options, or subcommands with
 * theirs. Amounts are STRING options (a NUMBER is a float). Adding a command (`/every`, `/fund new|list|…`) is one
 * entry here and its parser in bots/commands. `chipin discord register` PUTs the result.
 */
import {
  ApplicationCommandOptionType,
  Locale as DiscordLocale,
  Routes,
  type APIApplicationCommandBasicOption,
  type APIApplicationCommandSubcommandOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord-api-types/v10';
import type { REST } from 'discord.js';
import { COMMANDS } from '../commands/layer.js';
import { t, type Locale, type MessageKey } from '../i18n/index.js';

type OptionKind = 'user' | 'string' | 'integer' | 'boolean';

/** One option: `name` is what bots/commands/parse.ts reads (`user`, `amount`, `note`, `by`, `count`, `code`, …). */
export interface OptionSpec {
  name: string;
  kind: OptionKind;
  descriptionKey: MessageKey;
  required?: boolean;
  /** Integers only. */
  min?: number;
  max?: number;
}

export interface SubcommandSpec {
  name: string;
  descriptionKey: MessageKey;
  options?: readonly OptionSpec[];
}

export interface CommandSpec {
  /** Registered only when this says so (`/faucet` needs DEMO_MONEY). */
  when?: (context: { demoMoney: boolean }) => boolean;
  options?: readonly OptionSpec[];
  subcommands?: readonly SubcommandSpec[];
}

const user: OptionSpec = { name: 'user', kind: 'user', descriptionKey: 'discord.options.user', required: true };
const amount: OptionSpec = { name: 'amount', kind: 'string', descriptionKey: 'discord.options.amount', required: true };
const note: OptionSpec = { name: 'note', kind: 'string', descriptionKey: 'discord.options.note' };
const value: OptionSpec = { name: 'value', kind: 'string', descriptionKey: 'discord.options.value', required: true };

/** THE table. Keys are command names of the command layer; a command absent here is not offered on Discord. */
export const DISCORD_COMMANDS: Readonly<Partial<Record<(typeof COMMANDS)[number]['name'], CommandSpec>>> = {
  pay: { options: [user, amount, note] },
  request: {
    options: [user, amount, note, { name: 'by', kind: 'string', descriptionKey: 'discord.options.by' }],
  },
  every: {
    options: [
      user,
      amount,
      { name: 'schedule', kind: 'string', descriptionKey: 'discord.options.schedule', required: true },
      note,
    ],
  },
  schedules: {},
  cancel: { options: [{ name: 'id', kind: 'string', descriptionKey: 'discord.options.schedule_id', required: true }] },
  balance: {},
  history: {
    options: [{ name: 'count', kind: 'integer', descriptionKey: 'discord.options.count', min: 1, max: 50 }],
  },
  export: {},
  settings: {
    subcommands: [
      { name: 'show', descriptionKey: 'discord.settings.show' },
      { name: 'language', descriptionKey: 'discord.settings.language', options: [value] },
      { name: 'timezone', descriptionKey: 'discord.settings.timezone', options: [value] },
      { name: 'quiet', descriptionKey: 'discord.settings.quiet', options: [value] },
      { name: 'confirm', descriptionKey: 'discord.settings.confirm', options: [value] },
    ],
  },
  link: { options: [{ name: 'code', kind: 'string', descriptionKey: 'discord.options.code' }] },
  faucet: { when: ({ demoMoney }) => demoMoney, options: [amount] },
  help: {},
};

const KIND: Record<OptionKind, ApplicationCommandOptionType> = {
  user: ApplicationCommandOptionType.User,
  string: ApplicationCommandOptionType.String,
  integer: ApplicationCommandOptionType.Integer,
  boolean: ApplicationCommandOptionType.Boolean,
};

/** Discord's locale names for ours; en-US is also the default text. */
const DISCORD_LOCALES: Record<Locale, DiscordLocale[]> = {
  en: [DiscordLocale.EnglishUS, DiscordLocale.EnglishGB],
  'zh-CN': [DiscordLocale.ChineseCN],
};

/** Discord allows descriptions of 1–100 characters. */
const clip = (text: string): string => ([...text].length <= 100 ? text : `${[...text].slice(0, 99).join('')}…`);

function described(key: MessageKey) {
  const localizations: Partial<Record<DiscordLocale, string>> = {};
  for (const [locale, names] of Object.entries(DISCORD_LOCALES) as Array<[Locale, DiscordLocale[]]>)
    for (const name of names) localizations[name] = clip(t(locale, key));
  return { description: clip(t('en', key)), description_localizations: localizations };
}

function option(spec: OptionSpec): APIApplicationCommandBasicOption {
  return {
    name: spec.name,
    type: KIND[spec.kind],
    ...described(spec.descriptionKey),
    required: spec.required ?? false,
    ...(spec.min !== undefined ? { min_value: spec.min } : {}),
    ...(spec.max !== undefined ? { max_value: spec.max } : {}),
  } as APIApplicationCommandBasicOption;
}

function subcommand(spec: SubcommandSpec): APIApplicationCommandSubcommandOption {
  return {
    name: spec.name,
    type: ApplicationCommandOptionType.Subcommand,
    ...described(spec.descriptionKey),
    options: (spec.options ?? []).map(option),
  };
}

/** The body of `PUT /applications/{id}/commands`, in the command layer's menu order. */
export function slashCommands(context: { demoMoney: boolean }): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return COMMANDS.flatMap(({ name, descriptionKey }): RESTPostAPIChatInputApplicationCommandsJSONBody[] => {
    const spec = DISCORD_COMMANDS[name];
    if (!spec || (spec.when && !spec.when(context))) return [];
    return [
      {
        name,
        ...described(descriptionKey),
        options: spec.subcommands ? spec.subcommands.map(subcommand) : (spec.options ?? []).map(option),
      },
    ];
  });
}

/**
 * Registers the commands globally, or on one guild (guild commands update at once: handy while testing).
 * Overwrites whatever was registered before (a PUT). Resolves with the names Discord accepted.
 */
export async function registerCommands(
  rest: REST,
  input: { applicationId: string; guildId?: string; demoMoney: boolean },
): Promise<string[]> {
  const route =
    input.guildId === undefined
      ? Routes.applicationCommands(input.applicationId)
      : Routes.applicationGuildCommands(input.applicationId, input.guildId);
  const registered = (await rest.put(route, { body: slashCommands(input) })) as Array<{ name: string }>;
  return registered.map((command) => command.name);
}
