/**
 * What every command's grammar reads: the event (Telegram text with its mentions, or Discord options) and the
 * context it is read in (defaults, limits, the clock and the person's time zone). Parsers return a typed
 * command or a `Failure`; nothing here throws for anything a user can type.
 */
import type { MaxAmount } from '../../../core/index.js';
import type { Actor, IncomingEvent } from '../types.js';
import type { ParseError } from './errors.js';

export type CommandEvent = Extract<IncomingEvent, { type: 'command' }>;

export interface ParseContext {
  defaultCurrency: string;
  max: MaxAmount;
  now: Date;
  /** The person's time zone (deadlines are wall-clock times there). */
  timeZone: string;
}

/** A refusal, with the words it is about when they help (a schedule that was not understood). */
export type Failure = { fail: ParseError; detail?: string };

export const fail = (error: ParseError, detail?: string): Failure =>
  detail === undefined ? { fail: error } : { fail: error, detail };

export const failed = <T>(value: T | Failure): value is Failure =>
  typeof value === 'object' && value !== null && 'fail' in value;

/** The event with Discord options read as strings. */
export class Input {
  constructor(readonly event: CommandEvent) {}

  get text(): string {
    return this.event.args;
  }

  get usesOptions(): boolean {
    return this.event.options !== undefined;
  }

  option(name: string): string | undefined {
    const value = this.event.options?.[name];
    if (value === undefined || typeof value === 'object') return undefined;
    return String(value);
  }

  actorOption(name: string): Actor | undefined {
    const value = this.event.options?.[name];
    return typeof value === 'object' ? value : undefined;
  }
}
