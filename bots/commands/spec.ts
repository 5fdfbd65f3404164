/**
 * What a feature folder exports: its commands (name, description, grammar, whether it answers privately and
 * whether it runs once per delivery, its handler, its Discord options) and the renderers of its buttons' outcomes.
 * `index.ts` lists the features; menus, Discord registration, /help and dispatch are all built from that list.
 */
import type { Config } from '../../config/env.js';
import type {
  ActionKind,
  Amount,
  Core,
  Log,
  Outcome as PressResult,
  Person,
  PressOutcome,
  Tx,
} from '../../core/index.js';
import { isMessageKey, type MessageKey } from '../i18n/index.js';
import type { CommandEvent, Failure, Input, ParseContext } from './grammar/index.js';
import type { Reader } from './render.js';
import type { Actor, Effect, OutMessage } from './types.js';

export type CommandLayerConfig = Pick<
  Config,
  | 'defaultCurrency'
  | 'defaultLocale'
  | 'defaultTimezone'
  | 'maxAmount'
  | 'confirmThreshold'
  | 'demoMoney'
  | 'undoWindowMs'
  | 'linkCodeTtlMs'
  | 'requestTtlMs'
>;

/** The core services the command layer calls (core/index.ts `createCore`): all of them but the workers' parts. */
export type CommandCore = Omit<Core, 'timed' | 'ledger'>;

/** Everything a handler may use besides its typed command. */
export interface CommandContext {
  core: CommandCore;
  config: CommandLayerConfig;
  log: Log;
  event: CommandEvent;
  /** The person who typed the command (already refreshed from the platform). */
  person: Person;
  /** The person's language and time zone. */
  reader: Reader;
  /** Reader of someone else (e.g. after a settings change, in the new language). */
  readerOf: (person: Person, actor: Actor) => Reader;
  chat: { platform: CommandEvent['chat']['platform']; chatId: string };
  /** Every command offered, in menu order (for /help). */
  commands: readonly CommandSpec[];
  /** The people named by platform user, touched before the transaction (specs with `touchesNamed`), by user id. */
  touched: ReadonlyMap<string, Person>;
  /** The delivery's first run (`DeliveryAttempt.first`): its key has never been used. */
  firstRun: boolean;
}

/** A command that wrote: what the core said (a refusal is `type: 'rejected'`, with its code) and the reply. */
export interface Outcome {
  outcome: { type: string; error?: string };
  message: OutMessage;
  /** The reply is a live message (core/live): posted, then kept up to date by the live worker. */
  live?: { ref: string; version: string };
  /** Effects after the reply (a poll to vote on). */
  effects?: Effect[];
}

export type OptionKind = 'user' | 'string' | 'integer' | 'boolean';

/** One Discord option: `name` is what the command's grammar reads with `input.option(name)`. */
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

interface SpecBase<C extends { name: string }> {
  /**
   * Lower-case, without the slash: what Telegram's menu and Discord's registration show. Its description is the
   * message `commands.<name>`, its line in /help `help.<name>` (no such message: not listed).
   */
  name: C['name'];
  /** What the sandbox offers to type (absent: `/name`). */
  example?: string;
  /** Answers carry private data: a DM on Telegram, ephemeral on Discord. */
  private?: boolean;
  /** Offered only when this says so (`/faucet` needs DEMO_MONEY). */
  when?: (config: { demoMoney: boolean }) => boolean;
  /** Discord: its options, or subcommands with theirs; `false`: not registered there (absent: no options). */
  discord?: false | { options?: readonly OptionSpec[]; subcommands?: readonly SubcommandSpec[] };
  /** Arguments → the typed command, or why they were refused. Pure. */
  parse(input: Input, context: ParseContext): C | Failure;
}

/** A command that only reads (or writes nothing a redelivery could double): answered directly. */
export interface DirectSpec<C extends { name: string }> extends SpecBase<C> {
  once?: false;
  run(ctx: CommandContext, command: C): OutMessage | Effect[] | Promise<OutMessage | Effect[]>;
}

/**
 * A command that writes: it runs inside `once` under the delivery's key, parse included (a deadline read later
 * could differ), and a redelivery replays the recorded reply.
 */
export interface OnceSpec<C extends { name: string }> extends SpecBase<C> {
  once: true;
  /**
   * The command pays people it names by platform user (reply-to, text mention): they are touched before its
   * transaction, together with other deliveries' touches (`CommandContext.touched`), rather than one by one inside.
   */
  touchesNamed?: true;
  run(tx: Tx, ctx: CommandContext, command: C): Promise<Outcome>;
}

/** The one-line description of a command in menus (index.ts checks at compile time that each exists). */
export const descriptionKey = (name: string): MessageKey => `commands.${name}` as MessageKey;

/** The line of a command in /help, when it has one. */
export function helpKey(name: string): MessageKey | undefined {
  const key = `help.${name}`;
  return isMessageKey(key) ? key : undefined;
}

export type CommandSpec<C extends { name: string } = { name: string }> = DirectSpec<C> | OnceSpec<C>;

export type CommandOf<S> = S extends CommandSpec<infer C> ? C : never;

type Done = Extract<PressOutcome, { type: 'done' }>;

/** How the outcome of pressing one kind of button is shown: an edit of the button's message, or a fresh reply. */
export interface PressSpec {
  kind: string;
  /** "Ask someone else" starts something new: a fresh private message rather than an edit. */
  fresh?: boolean;
  render(reader: Reader, outcome: Done['outcome'], config: CommandLayerConfig): OutMessage;
}

/** Binds a renderer to a core button kind with that kind's outcome type (the one place the outcome is narrowed). */
export function onPress<O extends PressResult>(
  kind: ActionKind<string, O>,
  render: (reader: Reader, outcome: O, config: CommandLayerConfig) => OutMessage,
  options: { fresh?: boolean } = {},
): PressSpec {
  return {
    kind: kind.kind,
    ...options,
    render: (reader, outcome, config) => render(reader, outcome as O, config),
  };
}

/** A feature: its commands and its buttons. */
export interface Feature {
  readonly commands: readonly CommandSpec[];
  readonly presses?: readonly PressSpec[];
}

/** The options most money commands share on Discord. */
export const USER: OptionSpec = { name: 'user', kind: 'user', descriptionKey: 'discord.options.user', required: true };
export const AMOUNT: OptionSpec = {
  name: 'amount',
  kind: 'string',
  descriptionKey: 'discord.options.amount',
  required: true,
};
export const NOTE: OptionSpec = { name: 'note', kind: 'string', descriptionKey: 'discord.options.note' };

/** A command that takes no arguments (`/balance`): its name, and a grammar that reads nothing. */
export const bare = <const N extends string>(name: N) => ({ name, parse: (): { name: N } => ({ name }) });

/**
 * What every money command tells the core alike: the delivery's key (the idempotency key of what it writes), the
 * amount, the note and the chat it was typed in.
 */
export function asked(ctx: CommandContext, command: { amount: Amount; note?: string }) {
  return { key: ctx.event.key, amount: command.amount, note: command.note, chat: ctx.chat };
}
