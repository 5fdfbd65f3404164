/**
 * The command layer: `IncomingEvent` → core → `Effect`s, the same for every platform. It knows no command: it finds
 * the spec in the feature list (index.ts), runs its grammar and its handler, and renders a button press with the
 * renderer its feature registered for that kind. Writing commands and button presses run inside `once` under the
 * delivery's key, parse included, and record the effects they produced: a redelivery returns exactly the same
 * effects without touching the ledger again. A person over their allowance of such commands or presses (`throttle`,
 * per minute) is refused inside the same `once`: the refusal is the delivery's recorded outcome. No SQL and no
 * arithmetic on money here.
 */
import {
  once,
  pickLocale,
  type Executor,
  type Json,
  type Log,
  type Person,
  type PressOutcome,
  type Tx,
} from '../../core/index.js';
import { silentLog } from '../../core/log.js';
import { t } from '../i18n/index.js';
import { COMMANDS, PRESSES } from './index.js';
import { NOTE_MAX_CHARS, type CommandEvent, type ParseContext, type ParseError } from './grammar/index.js';
import { parseCommand, specOf, type Parsed } from './parse.js';
import { CONSUME_ERROR_KEYS, TOUCH_ERROR_KEYS, message, renderMeant, renderParseError, type Reader } from './render.js';
import type { CommandContext, CommandCore, CommandLayerConfig, PressSpec } from './spec.js';
import { groupPressed } from './group.js';
import { createMembers } from './members.js';
import { createPollVotes } from './poll.js';
import type {
  Actor,
  CommandLayer,
  DeliveryAttempt,
  Effect,
  HandleResult,
  IncomingEvent,
  OutMessage,
  PersonThrottle,
  ThrottledAction,
} from './types.js';

export { COMMANDS, localizedCommands, repliesPrivately } from './index.js';
export type { CommandLayerConfig } from './spec.js';

export interface CommandLayerDeps {
  /** The core services (core/index.ts `createCore`). */
  core: CommandCore;
  config: CommandLayerConfig;
  log?: Log;
  /** The clock deadlines are read against (tests). */
  now?: () => Date;
  /** Per-person limits on commands that write and on button presses; omitted: unlimited. */
  throttle?: PersonThrottle;
}

/** What `once` records for a delivery: the effects, replayed as they are. */
interface Recorded {
  result: string;
  effects: Effect[];
}

const reply = (msg: OutMessage, isPrivate: boolean): Effect => ({ type: 'reply', message: msg, private: isPrivate });
const refusal = (msg: OutMessage, isPrivate: boolean): Effect => ({
  type: 'reply',
  message: msg,
  private: isPrivate,
  refusal: true,
});

/** The most people a refusal suggests for a name typed as text. */
const MEANT_MAX = 3;

const PRESS_BY_KIND: ReadonlyMap<string, PressSpec> = new Map(PRESSES.map((spec) => [spec.kind, spec]));

export function createCommandLayer(deps: CommandLayerDeps): CommandLayer {
  const { core, config } = deps;
  const { db } = core;
  const log = deps.log ?? silentLog;
  const now = deps.now ?? (() => new Date());
  // Every people.seen of an event also records the actor's presence in a group chat.
  const members = createMembers(core);
  const polls = createPollVotes({ core, members });

  const readerOf = (person: Person, actor: Actor): Reader => ({
    locale: pickLocale(person.locale, actor.languageCode, config.defaultLocale),
    timeZone: person.timezone ?? config.defaultTimezone,
  });

  const hintReader = (actor: Actor): Reader => ({
    locale: pickLocale(null, actor.languageCode, config.defaultLocale),
    timeZone: config.defaultTimezone,
  });

  const parseContext = (reader: Reader): ParseContext => ({
    defaultCurrency: config.defaultCurrency,
    max: config.maxAmount,
    now: now(),
    timeZone: reader.timeZone,
  });

  /**
   * The refusal when the person is over their allowance for `action`, else null. Asked inside the delivery's `once`,
   * so a redelivery replays the answer it got the first time and never takes a second point.
   */
  async function throttled(
    action: ThrottledAction,
    person: Person,
    reader: Reader,
  ): Promise<{ result: string; text: string } | null> {
    const refused = await deps.throttle?.take(action, person.id);
    if (!refused) return null;
    const seconds = String(Math.max(1, Math.ceil(refused.retryAfterMs / 1_000)));
    log.info({ personId: person.id.toString(), action, retryAfterMs: refused.retryAfterMs }, 'person rate limited');
    return { result: `throttled:${action}`, text: t(reader.locale, `throttle.${action}`, { seconds }) };
  }

  async function recorded(
    key: string,
    person: Person,
    command: string,
    delivery: DeliveryAttempt,
    fn: (tx: Tx) => Promise<Recorded>,
  ): Promise<HandleResult> {
    const fresh = delivery.first === true;
    const { outcome, replayed } = await once(db, { key, personId: person.id, command, fresh }, async (tx) =>
      toJson(await fn(tx)),
    );
    const result = outcome as unknown as Recorded;
    if (replayed) log.info({ key, command, result: result.result }, 'delivery replayed from the command log');
    return { effects: result.effects };
  }

  async function onCommand(event: CommandEvent, delivery: DeliveryAttempt): Promise<HandleResult> {
    const spec = specOf(event.command);
    // The actor and the people a payment names are touched at once, in the same statement as other deliveries'.
    const [touched, named] = await Promise.all([
      members.seen(event),
      spec?.once === true && spec.touchesNamed === true
        ? members.touchNamed(event)
        : Promise.resolve(new Map<string, Person>()),
    ]);
    if (!touched.ok)
      return { effects: [refusal(message(hintReader(event.actor), TOUCH_ERROR_KEYS[touched.error]), false)] };
    const person = touched.person;
    const reader = readerOf(person, event.actor);
    return { ...(await commandEffects(event, delivery, spec, person, reader, named)), locale: reader.locale };
  }

  async function commandEffects(
    event: CommandEvent,
    delivery: DeliveryAttempt,
    spec: ReturnType<typeof specOf>,
    person: Person,
    reader: Reader,
    named: ReadonlyMap<string, Person>,
  ): Promise<HandleResult> {
    if (spec === undefined)
      // A bare `/foo` in a group may be meant for another bot: stay quiet there, unless it named us (`/foo@chipinbot`).
      return {
        effects:
          event.chat.kind === 'private' || event.addressed === true
            ? [reply(message(reader, 'parse.unknown', { command: event.command }), false)]
            : [],
      };
    const isPrivate = spec.private === true;
    const context: CommandContext = {
      core,
      config,
      log,
      event,
      person,
      reader,
      readerOf,
      chat: { platform: event.chat.platform, chatId: event.chat.chatId },
      commands: COMMANDS,
      touched: named,
      firstRun: delivery.first === true,
    };
    if (!spec.once) {
      const parsed = parseCommand(event, parseContext(reader));
      if (!parsed.ok) return { effects: [refusal(await refusedParse(db, event, person, reader, parsed), isPrivate)] };
      const answer = await spec.run(context, parsed.command);
      return { effects: Array.isArray(answer) ? answer : [reply(answer, isPrivate)] };
    }
    // Taken once per handling: a transaction retried after a deadlock does not take a second point.
    let allowance: ReturnType<typeof throttled> | undefined;
    return recorded(event.key, person, spec.name, delivery, async (tx) => {
      const limited = await (allowance ??= throttled('command', person, reader));
      if (limited) return { result: limited.result, effects: [refusal({ text: limited.text }, isPrivate)] };
      const parsed = parseCommand(event, parseContext(reader));
      if (!parsed.ok)
        return {
          result: `parse:${parsed.error}`,
          effects: [refusal(await refusedParse(tx, event, person, reader, parsed), isPrivate)],
        };
      const { outcome, message: answer, live, effects = [] } = await spec.run(tx, context, parsed.command);
      const refused = outcome.type === 'rejected';
      const first: Effect = live
        ? { type: 'live', ref: live.ref, version: live.version, message: answer }
        : (refused ? refusal : reply)(answer, isPrivate);
      return { result: resultOf(outcome), effects: [first, ...effects] };
    });
  }

  /**
   * The answer to a command its grammar refused. One that names no one but starts with the name of someone present
   * (`/pay Bob 12.50`) suggests them: the one, with the command that names them, or up to three to pick from (more
   * would be no help). Only people the rewritten command parses for; either way nothing is done.
   */
  async function refusedParse(
    exec: Executor,
    event: CommandEvent,
    person: Person,
    reader: Reader,
    parsed: Extract<Parsed, { ok: false }>,
  ): Promise<OutMessage> {
    if (parsed.error === 'MissingRecipient') {
      const context = parseContext(reader);
      const meant = (await members.namesakes(exec, event, person.id)).filter((n) => parseCommand(n.event, context).ok);
      if (meant.length > 0 && meant.length <= MEANT_MAX)
        return renderMeant(
          reader,
          event.command,
          meant.map((n) => ({ username: n.username, args: n.event.args })),
        );
    }
    return parseError(reader, event, parsed.error, parsed.detail);
  }

  function parseError(reader: Reader, event: CommandEvent, error: ParseError, detail?: string): OutMessage {
    return renderParseError(reader, error, {
      command: event.command,
      defaultCurrency: config.defaultCurrency,
      noteMax: NOTE_MAX_CHARS,
      ...(detail !== undefined ? { detail } : {}),
    });
  }

  async function onButton(
    event: Extract<IncomingEvent, { type: 'button' }>,
    delivery: DeliveryAttempt,
  ): Promise<HandleResult> {
    const touched = await members.seen(event);
    if (!touched.ok) {
      const text = t(hintReader(event.actor).locale, TOUCH_ERROR_KEYS[touched.error]);
      return { effects: [{ type: 'answer', text, alert: true }] };
    }
    const person = touched.person;
    const reader = readerOf(person, event.actor);
    let allowance: ReturnType<typeof throttled> | undefined;
    const result = await recorded(event.key, person, 'button', delivery, async (tx) => {
      const limited = await (allowance ??= throttled('press', person, reader));
      if (limited) return { result: limited.result, effects: [{ type: 'answer', text: limited.text, alert: true }] };
      const outcome = await core.press(tx, {
        actionId: event.actionId,
        person,
        platform: event.chat.platform,
        chatId: event.chat.chatId,
        messageId: event.messageId,
        ...(event.order !== undefined ? { order: BigInt(event.order) } : {}),
      });
      return pressed(outcome, reader);
    });
    return { ...result, locale: reader.locale };
  }

  /** A press: answer first (the spinner stops), then edit the message the button belongs to. */
  function pressed(press: PressOutcome, reader: Reader): Recorded {
    const { locale } = reader;
    if (press.type === 'group') return groupPressed(press, reader, PRESS_BY_KIND.get(press.kind), config);
    if (press.type === 'refused') {
      // "Already done" is not a problem worth an alert; the others are.
      const text = t(locale, CONSUME_ERROR_KEYS[press.error]);
      return {
        result: `refused:${press.error}`,
        effects: [{ type: 'answer', text, alert: press.error !== 'AlreadyUsed' }],
      };
    }
    const spec = PRESS_BY_KIND.get(press.kind);
    if (spec === undefined) throw new Error(`no renderer for button kind ${press.kind}`);
    const outcome = press.outcome;
    const result = `${press.kind}:${resultOf(outcome)}`;
    const rendered = spec.render(reader, outcome, config);
    if (outcome.type === 'rejected') return { result, effects: [{ type: 'answer', text: rendered.text, alert: true }] };
    const answer: Effect = { type: 'answer', text: t(locale, 'action.done') };
    if (spec.fresh) return { result, effects: [answer, reply(rendered, true)] };
    return { result, effects: [answer, { type: 'edit', message: rendered }] };
  }

  return {
    async handle(event: IncomingEvent, delivery: DeliveryAttempt = {}): Promise<HandleResult> {
      switch (event.type) {
        case 'seen':
          // Refreshes the username (claims wait on it); bots and service accounts are simply not people.
          await members.seen(event);
          return { effects: [] };
        case 'command':
          return onCommand(event, delivery);
        case 'button':
          return onButton(event, delivery);
        case 'member':
          await members.onMember(event);
          return { effects: [] };
        case 'vote':
          return polls.onVote(event);
      }
    },
  };
}

/** `paid`, `rejected:InsufficientFunds`: a short label of an outcome for the log. */
function resultOf(outcome: { type: string; error?: string }): string {
  return outcome.error === undefined ? outcome.type : `${outcome.type}:${outcome.error}`;
}

/** Effects are plain JSON already (strings, booleans, arrays); this only satisfies the `Json` type. */
function toJson(value: Recorded): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}
