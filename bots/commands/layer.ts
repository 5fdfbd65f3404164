/**
 * The command layer: `IncomingEvent` → core → `Effect`s, the same for every platform. Each handler is
 * parse → core → reply. Money commands and button presses run inside `once` under the delivery's
 * key, parse included, and record the effects they produced: a redelivery returns exactly the same
 * effects without touching the ledger again. No SQL and no arithmetic on money here.
 */
import type { Config } from '../../config/env.js';
import {
  formatAmount,
  formatQuietHours,
  once,
  pickLocale,
  type Core,
  type Json,
  type Log,
  type Person,
  type PressOutcome,
  type SettingsPatch,
  type Tx,
} from '../../core/index.js';
import { silentLog } from '../../core/log.js';
import { t, type Locale, type MessageKey } from '../i18n/index.js';
import {
  parseCommand,
  type Command,
  type CommandEvent,
  type ParseContext,
  type ParseError,
  type Recipient,
} from './parse.js';
import {
  CONSUME_ERROR_KEYS,
  LINK_CODE_ERROR_KEYS,
  SETTINGS_ERROR_KEYS,
  TOUCH_ERROR_KEYS,
  message,
  renderBalances,
  renderActivateOutcome,
  renderCancelOutcome,
  renderClaimOutcome,
  renderEveryOutcome,
  renderMuteOutcome,
  renderSchedules,
  renderDeclineOutcome,
  renderError,
  renderFaucetOutcome,
  renderHistory,
  renderLinkOutcome,
  renderParseError,
  renderPayOutcome,
  renderPayRequestOutcome,
  renderRequestOutcome,
  renderSettings,
  renderUndoOutcome,
  withNote,
  type Reader,
} from './render.js';
import { groupPressed } from './group.js'; // groups: group buttons
import { createMembers } from './members.js'; // groups: member recording
import { createPollVotes } from './poll.js'; // polls: native poll answers
import { NOTE_MAX_CHARS } from './text.js';
import type { Actor, CommandLayer, Effect, HandleResult, IncomingEvent, OutMessage } from './types.js';

/** The commands a transport registers (Telegram setMyCommands, Discord slash commands), in menu order. */
export const COMMANDS = [
  { name: 'pay', descriptionKey: 'commands.pay' },
  { name: 'request', descriptionKey: 'commands.request' },
  { name: 'every', descriptionKey: 'commands.every' },
  { name: 'schedules', descriptionKey: 'commands.schedules' },
  { name: 'cancel', descriptionKey: 'commands.cancel' },
  { name: 'balance', descriptionKey: 'commands.balance' },
  { name: 'history', descriptionKey: 'commands.history' },
  { name: 'export', descriptionKey: 'commands.export' },
  { name: 'settings', descriptionKey: 'commands.settings' },
  { name: 'link', descriptionKey: 'commands.link' },
  { name: 'faucet', descriptionKey: 'commands.faucet' },
  { name: 'help', descriptionKey: 'commands.help' },
  { name: 'start', descriptionKey: 'commands.start' },
] as const satisfies ReadonlyArray<{ name: Command['name']; descriptionKey: MessageKey }>;

/** COMMANDS with their descriptions in every language (the shape the Telegram transport takes). */
export function localizedCommands(options: {
  demoMoney: boolean;
}): Array<{ name: string; description: Record<Locale, string> }> {
  return COMMANDS.filter((command) => options.demoMoney || command.name !== 'faucet').map((command) => ({
    name: command.name,
    description: { en: t('en', command.descriptionKey), 'zh-CN': t('zh-CN', command.descriptionKey) },
  }));
}

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
>;

export interface CommandLayerDeps {
  /** The core services (core/index.ts `createCore`). */
  core: Pick<Core, 'db' | 'people' | 'payments' | 'requests' | 'schedules' | 'press' | 'groupActions'>;
  config: CommandLayerConfig;
  log?: Log;
  /** The clock deadlines are read against (tests). */
  now?: () => Date;
}

/** What `once` records for a delivery: the effects, replayed as they are. */
interface Recorded {
  result: string;
  effects: Effect[];
}

/** Commands whose replies carry private data: a DM on Telegram, an ephemeral reply on Discord. */
const PRIVATE: ReadonlySet<string> = new Set<Command['name']>([
  'balance',
  'history',
  'export',
  'settings',
  'link',
  'faucet',
  'schedules',
]);

/**
 * Whether the command named `command` answers privately. Discord decides its deferral (ephemeral or not) from
 * this before the command runs.
 */
export const repliesPrivately = (command: string): boolean => PRIVATE.has(command.toLowerCase());

/** Commands that write and must happen once per delivery (parse included: a deadline read later could differ). */
const ONCE: ReadonlySet<Command['name']> = new Set(['pay', 'request', 'faucet', 'link', 'every', 'cancel']);

const reply = (msg: OutMessage, isPrivate: boolean): Effect => ({ type: 'reply', message: msg, private: isPrivate });
const refusal = (msg: OutMessage, isPrivate: boolean): Effect => ({
  type: 'reply',
  message: msg,
  private: isPrivate,
  refusal: true,
});

export function createCommandLayer(deps: CommandLayerDeps): CommandLayer {
  const { core, config } = deps;
  const { db, people, payments, requests, schedules } = core;
  const log = deps.log ?? silentLog;
  const now = deps.now ?? (() => new Date());
  const undoSeconds = Math.round(config.undoWindowMs / 1000);
  const settingsDefaults = { timezone: config.defaultTimezone, confirmThreshold: config.confirmThreshold };
  // groups: every people.seen of an event also records the actor's presence in a group chat.
  const members = createMembers(core);
  const polls = createPollVotes({ core, members }); // polls

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

  async function recorded(
    key: string,
    person: Person,
    command: string,
    fn: (tx: Tx) => Promise<Recorded>,
  ): Promise<HandleResult> {
    const { outcome, replayed } = await once(db, { key, personId: person.id, command }, async (tx) =>
      toJson(await fn(tx)),
    );
    const result = outcome as unknown as Recorded;
    if (replayed) log.info({ key, command, result: result.result }, 'delivery replayed from the command log');
    return { effects: result.effects };
  }

  async function onCommand(event: CommandEvent): Promise<HandleResult> {
    const touched = await members.seen(event);
    if (!touched.ok)
      return { effects: [refusal(message(hintReader(event.actor), TOUCH_ERROR_KEYS[touched.error]), false)] };
    const person = touched.person;
    const reader = readerOf(person, event.actor);
    const first = parseCommand(event, parseContext(reader));
    const name = first.ok ? first.command.name : first.command;
    const isPrivate = PRIVATE.has(name);
    if (!ONCE.has(name)) {
      if (!first.ok) return { effects: [refusal(parseError(reader, event, first.error, first.detail), isPrivate)] };
      return { effects: await direct(event, first.command, person, reader, isPrivate) };
    }
    return recorded(event.key, person, name, async (tx) => {
      const parsed = parseCommand(event, parseContext(reader));
      if (!parsed.ok)
        return {
          result: `parse:${parsed.error}`,
          effects: [refusal(parseError(reader, event, parsed.error, parsed.detail), isPrivate)],
        };
      const out = await money(tx, event, person, reader, parsed.command);
      const refused = out.result.startsWith('rejected');
      return { result: out.result, effects: [(refused ? refusal : reply)(out.message, isPrivate)] };
    });
  }

  function parseError(reader: Reader, event: CommandEvent, error: ParseError, detail?: string): OutMessage {
    return renderParseError(reader, error, {
      command: event.command,
      defaultCurrency: config.defaultCurrency,
      noteMax: NOTE_MAX_CHARS,
      ...(detail !== undefined ? { detail } : {}),
    });
  }

  /** Commands without money effects: answered directly. */
  async function direct(
    event: CommandEvent,
    command: Command,
    person: Person,
    reader: Reader,
    isPrivate: boolean,
  ): Promise<Effect[]> {
    const answer = (msg: OutMessage): Effect[] => [reply(msg, isPrivate)];
    switch (command.name) {
      case 'start': {
        const welcome = t(reader.locale, 'start.welcome', { name: person.displayName });
        return answer({ text: config.demoMoney ? `${welcome}\n${t(reader.locale, 'start.demo')}` : welcome });
      }
      case 'help':
        return answer(message(reader, 'help.text'));
      case 'balance':
        return answer(renderBalances(reader, await payments.balances(db, person.id)));
      case 'history': {
        const page = await payments.history(db, person.id, { limit: command.count });
        return answer(renderHistory(reader, page.entries));
      }
      case 'export': {
        const csv = await payments.exportCsv(db, person.id);
        const filename = t(reader.locale, 'export.filename');
        return answer({
          text: t(reader.locale, 'export.caption'),
          document: { filename, mime: 'text/csv', content: csv },
        });
      }
      case 'settings':
        return answer(await settings(person, event.actor, command.change));
      case 'schedules':
        return answer(renderSchedules(reader, await schedules.list(db, person.id)));
      case 'unknown':
        // In a group the command may be meant for another bot: stay quiet there.
        return event.chat.kind === 'private'
          ? answer(message(reader, 'parse.unknown', { command: command.command }))
          : [];
      case 'pay':
      case 'request':
      case 'faucet':
      case 'link':
      case 'every':
      case 'cancel':
        throw new Error(`${command.name} must run once per delivery`);
    }
  }

  /** The commands recorded under the delivery key. */
  async function money(
    tx: Tx,
    event: CommandEvent,
    person: Person,
    reader: Reader,
    command: Command,
  ): Promise<{ result: string; message: OutMessage }> {
    const chat = { platform: event.chat.platform, chatId: event.chat.chatId };
    switch (command.name) {
      case 'pay': {
        const to = recipientOf(command.recipient, event);
        const outcome = await payments.pay(tx, {
          key: event.key,
          from: person,
          to,
          amount: command.amount,
          note: command.note,
          chat,
        });
        return { result: resultOf(outcome), message: renderPayOutcome(reader, outcome, { undoSeconds }) };
      }
      case 'request': {
        const payer = recipientOf(command.recipient, event);
        const outcome = await requests.request(tx, {
          key: event.key,
          requester: person,
          payer,
          amount: command.amount,
          note: command.note,
          dueAt: command.by,
          chat,
        });
        return { result: resultOf(outcome), message: renderRequestOutcome(reader, outcome) };
      }
      case 'every': {
        const outcome = await schedules.create(tx, {
          key: event.key,
          payer: person,
          payee: recipientOf(command.recipient, event),
          amount: command.amount,
          note: command.note,
          spec: command.spec,
          chat,
        });
        return { result: resultOf(outcome), message: renderEveryOutcome(reader, outcome) };
      }
      case 'cancel': {
        const outcome = await schedules.cancel(tx, { personId: person.id, scheduleId: command.id });
        return { result: resultOf(outcome), message: renderCancelOutcome(reader, outcome) };
      }
      case 'faucet': {
        const outcome = await payments.faucet(tx, { key: event.key, person, amount: command.amount });
        return { result: resultOf(outcome), message: renderFaucetOutcome(reader, outcome) };
      }
      case 'link': {
        if (command.code !== undefined) {
          const linked = await people.redeemLinkCode(tx, person.id, command.code);
          return {
            result: linked.ok ? 'link:joined' : `rejected:${linked.error}`,
            message: renderLinkOutcome(reader, linked),
          };
        }
        const created = await people.createLinkCode(tx, person.id, config.linkCodeTtlMs);
        if (!created.ok)
          return {
            result: `rejected:${created.error}`,
            message: renderError(reader, LINK_CODE_ERROR_KEYS, created.error),
          };
        const minutes = Math.max(1, Math.round(config.linkCodeTtlMs / 60_000));
        return { result: 'link:code', message: message(reader, 'link.code', { code: created.code, minutes }) };
      }
      default:
        throw new Error(`${command.name} is not recorded once`);
    }
  }

  async function settings(
    person: Person,
    actor: Actor,
    change: Extract<Command, { name: 'settings' }>['change'],
  ): Promise<OutMessage> {
    if (change === undefined) return renderSettings(readerOf(person, actor), person, settingsDefaults);
    const result = await db.transaction((tx) => people.updateSettings(tx, person.id, patchOf(change)));
    if (!result.ok) return renderError(readerOf(person, actor), SETTINGS_ERROR_KEYS, result.error);
    // Shown in the new language when that is what changed.
    const reader = readerOf(result.person, actor);
    return {
      text: `${t(reader.locale, 'settings.saved')}\n\n${renderSettings(reader, result.person, settingsDefaults).text}`,
    };
  }

  async function onButton(event: Extract<IncomingEvent, { type: 'button' }>): Promise<HandleResult> {
    const touched = await members.seen(event);
    if (!touched.ok) {
      const text = t(hintReader(event.actor).locale, TOUCH_ERROR_KEYS[touched.error]);
      return { effects: [{ type: 'answer', text, alert: true }] };
    }
    const person = touched.person;
    const reader = readerOf(person, event.actor);
    return recorded(event.key, person, 'button', async (tx) => {
      const outcome = await core.press(tx, {
        actionId: event.actionId,
        person,
        platform: event.chat.platform,
        chatId: event.chat.chatId,
        messageId: event.messageId,
      });
      return pressed(outcome, reader);
    });
  }

  /** A press: answer first (the spinner stops), then edit the message the button belongs to. */
  function pressed(press: PressOutcome, reader: Reader): Recorded {
    const { locale } = reader;
    if (press.type === 'group') return groupPressed(press, reader); // groups
    if (press.type === 'refused') {
      // "Already done" is not a problem worth an alert; the others are.
      const text = t(locale, CONSUME_ERROR_KEYS[press.error]);
      return {
        result: `refused:${press.error}`,
        effects: [{ type: 'answer', text, alert: press.error !== 'AlreadyUsed' }],
      };
    }
    const outcome = press.outcome;
    const result = `${press.kind}:${resultOf(outcome)}`;
    const rendered = renderPress(press, reader);
    if (outcome.type === 'rejected') return { result, effects: [{ type: 'answer', text: rendered.text, alert: true }] };
    const answer: Effect = { type: 'answer', text: t(locale, 'action.done') };
    // "Ask someone else" starts something new: a fresh message rather than an edit of the expiry notice.
    if (press.kind === 'request.reask') return { result, effects: [answer, reply(rendered, true)] };
    return { result, effects: [answer, { type: 'edit', message: rendered }] };
  }

  function renderPress(press: Extract<PressOutcome, { type: 'done' }>, reader: Reader): OutMessage {
    switch (press.kind) {
      case 'pay.confirm':
        return renderPayOutcome(reader, press.outcome, { undoSeconds });
      case 'pay.undo':
        return renderUndoOutcome(reader, press.outcome);
      case 'claim.release':
      case 'claim.return':
        return renderClaimOutcome(reader, press.outcome);
      case 'request.pay':
        return renderPayRequestOutcome(reader, press.outcome);
      case 'request.decline':
        return renderDeclineOutcome(reader, press.outcome);
      case 'schedule.activate':
        return renderActivateOutcome(reader, press.outcome);
      case 'reminder.mute':
        return renderMuteOutcome(reader, press.outcome);
      case 'request.reask': {
        const outcome = press.outcome;
        if (outcome.type === 'rejected') return message(reader, 'error.RequestNotFound');
        const text = t(reader.locale, 'request.reask', { amount: formatAmount(outcome.amount) });
        return { text: withNote(reader, text, outcome.note) };
      }
    }
  }

  return {
    async handle(event: IncomingEvent): Promise<HandleResult> {
      switch (event.type) {
        case 'seen':
          // Refreshes the username (claims wait on it); bots and service accounts are simply not people.
          await members.seen(event);
          return { effects: [] };
        case 'command':
          return onCommand(event);
        case 'button':
          return onButton(event);
        case 'member': // groups
          await members.onMember(event);
          return { effects: [] };
        case 'vote': // polls
          return polls.onVote(event);
      }
    },
  };
}

function recipientOf(recipient: Recipient, event: CommandEvent) {
  return recipient.kind === 'user'
    ? { actor: recipient.actor }
    : { username: recipient.username, platform: event.chat.platform };
}

function patchOf(change: NonNullable<Extract<Command, { name: 'settings' }>['change']>): SettingsPatch {
  switch (change.setting) {
    case 'language':
      return { locale: change.locale };
    case 'timezone':
      return { timezone: change.timezone };
    case 'quiet':
      return { quietHours: change.quietHours ? formatQuietHours(change.quietHours) : null };
    case 'confirm':
      return { confirmThreshold: change.threshold };
  }
}

/** `paid`, `rejected:InsufficientFunds`: a short label of an outcome for the log. */
function resultOf(outcome: { type: string; error?: string }): string {
  return outcome.error === undefined ? outcome.type : `${outcome.type}:${outcome.error}`;
}

/** Effects are plain JSON already (strings, booleans, arrays); this only satisfies the `Json` type. */
function toJson(value: Recorded): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}
