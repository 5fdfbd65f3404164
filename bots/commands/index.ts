/**
 * THE list of features, in menu order. It feeds the Telegram command menu, Discord registration, /help, the
 * grammar's dispatch and the rendering of button presses. Adding a feature is a folder and one line here.
 */
import { pay } from './pay/index.js';
import { request } from './request/index.js';
import { recurring } from './schedules/index.js';
import { wallet } from './wallet/index.js';
import { preferences } from './settings/index.js';
import { linking } from './link/index.js';
import { demo } from './faucet/index.js';
import { welcome } from './help/index.js';
import { reminders } from './reminders/index.js';
import { funds } from './fund/index.js';
import { collections } from './collect/index.js';
import { lending } from './iou/index.js';
import { redpackets } from './redpacket/index.js';
import { cards } from './deposit/index.js';
import { t, type Locale, type MessageKey } from '../i18n/index.js';
import { descriptionKey, type CommandOf, type CommandSpec, type Feature, type PressSpec } from './spec.js';

export const FEATURES = [
  pay,
  request,
  recurring,
  funds,
  collections,
  lending,
  redpackets,
  wallet,
  cards,
  preferences,
  linking,
  demo,
  welcome,
  reminders,
] as const;

type Listed = (typeof FEATURES)[number]['commands'][number];

/** Every command, in menu order. */
export const COMMANDS: readonly CommandSpec[] = FEATURES.flatMap((feature: Feature) => feature.commands);

/** Every button kind's renderer. */
export const PRESSES: readonly PressSpec[] = FEATURES.flatMap((feature: Feature) => feature.presses ?? []);

/** A parsed command: one of the listed commands' own types, or one we do not know. */
export type Command = CommandOf<Listed> | { name: 'unknown'; command: string };
export type CommandName = Command['name'];

// Every listed command has its menu description in the catalog: one without does not compile.
type Undescribed = Exclude<`commands.${CommandOf<Listed>['name']}`, MessageKey>;
export const DESCRIBED: [Undescribed] extends [never] ? true : Undescribed = true;

export interface LocalizedCommand {
  name: string;
  description: Record<Locale, string>;
  /** What to type to try it. */
  example: string;
}

/** The commands offered with this configuration, with their descriptions in every language (Telegram's menu). */
export function localizedCommands(options: { demoMoney: boolean }): LocalizedCommand[] {
  return COMMANDS.filter((command) => !command.when || command.when(options)).map((command) => ({
    name: command.name,
    description: { en: t('en', descriptionKey(command.name)), 'zh-CN': t('zh-CN', descriptionKey(command.name)) },
    example: command.example ?? `/${command.name}`,
  }));
}

const PRIVATE: ReadonlySet<string> = new Set(COMMANDS.filter((c) => c.private).map((c) => c.name));

/**
 * Whether the command named `command` answers privately. Discord decides its deferral (ephemeral or not) from
 * this before the command runs.
 */
export const repliesPrivately = (command: string): boolean => PRIVATE.has(command.toLowerCase());
