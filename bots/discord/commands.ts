/**
 * The slash commands chipin registers on Discord, built from the command layer's list: each command's spec says its
 * options (or subcommands with theirs), its description comes from the message catalog. Amounts are STRING options
 * (a NUMBER is a float). `chipin discord register` PUTs the result.
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
import { COMMANDS } from '../commands/index.js';
import { descriptionKey, type OptionKind, type OptionSpec, type SubcommandSpec } from '../commands/spec.js';
import { t, type Locale, type MessageKey } from '../i18n/index.js';

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
  return COMMANDS.flatMap(({ name, discord, when }): RESTPostAPIChatInputApplicationCommandsJSONBody[] => {
    if (discord === false || (when && !when(context))) return [];
    return [
      {
        name,
        ...described(descriptionKey(name)),
        options: discord?.subcommands ? discord.subcommands.map(subcommand) : (discord?.options ?? []).map(option),
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
