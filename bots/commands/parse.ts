/**
 * One grammar for every platform: an `IncomingEvent` of type 'command' → a typed `Command`, or a typed reason it
 * was refused. Each command's own grammar lives in its feature folder (its spec's `parse`), the shared pieces in
 * `grammar/`; this only finds the command by name. Pure; nothing here throws for user input. Telegram sends the
 * text in `args` with its mentions; Discord sends `options`, which win over the text when present.
 */
import { COMMANDS, type Command, type CommandName } from './index.js';
import { Input, failed, type CommandEvent, type ParseContext, type ParseError } from './grammar/index.js';
import type { CommandSpec } from './spec.js';

export type { Command, CommandName };
export { PARSE_ERRORS, type CommandEvent, type ParseContext, type ParseError } from './grammar/index.js';

/** `detail`: the words a refusal is about (a schedule that was not understood), shown back to the person. */
export type Parsed =
  { ok: true; command: Command } | { ok: false; command: CommandName; error: ParseError; detail?: string };

const KNOWN: ReadonlyMap<string, CommandSpec> = new Map(COMMANDS.map((spec) => [spec.name, spec]));

/** The spec of a command name as typed (any case), if it is one of ours. */
export const specOf = (command: string): CommandSpec | undefined => KNOWN.get(command.toLowerCase());

/** Parses one command event. Never throws for anything a user can type. */
export function parseCommand(event: CommandEvent, context: ParseContext): Parsed {
  const spec = specOf(event.command);
  if (spec === undefined) return { ok: true, command: { name: 'unknown', command: event.command } };
  const result = spec.parse(new Input(event), context);
  // The spec's own parser returns its own command type: the list's union by construction.
  if (!failed(result)) return { ok: true, command: result as Command };
  const refused: Parsed = { ok: false, command: spec.name as CommandName, error: result.fail };
  return result.detail === undefined ? refused : { ...refused, detail: result.detail };
}
