import { MAX_SHARE_WEIGHT, MAX_SHARERS, parseSchedule, type Amount, type ScheduleSpec } from '../../../core/index.js';
import type { Mention } from '../types.js';
import {
  Input,
  cleanNote,
  fail,
  failed,
  recipientAndAmount,
  startsNumeric,
  wholeAmount,
  type Failure,
  type ParseContext,
  type Recipient,
} from '../grammar/index.js';

/** A shared schedule's payers: the chat's fund they are members of, and each one's weight. */
export interface EveryShares {
  fund: string;
  payers: Array<{ recipient: SharePayer; weight: number }>;
}

/** A payer of a share: as any recipient, or a platform user id (Discord `<@id>` in the shares text). */
export type SharePayer = Recipient | { kind: 'id'; userId: string };

export interface EveryCommand {
  name: 'every';
  recipient: Recipient;
  amount: Amount;
  spec: ScheduleSpec;
  note?: string;
  shares?: EveryShares;
}

// `from parents shares` / `来自 parents 分摊`: the clause that makes /every shared. Matched on the raw text (not
// NFKC-normalized) so that the mentions' offsets still point into it.
const SHARES_EN = /(?<![\p{L}\p{N}_])from\s+([\p{L}\p{N}_-]{1,32})\s+shares(?![\p{L}\p{N}_])/iu;
const SHARES_ZH = /来自\s*([\p{L}\p{N}_-]{1,32}?)\s*分摊/u;
const SEPARATOR = /^[\s,，、]*/u;
const WEIGHT = /^\s*[:：]\s*([0-9０-９]{1,6})(?=$|[\s,，、])/u;
const USERNAME = /^@([A-Za-z0-9_]{1,32})(?![A-Za-z0-9_])/u;
/** Discord writes a user picked in a text option as `<@id>` (`<@!id>` for a nickname): no user comes with it. */
const USER_ID_MENTION = /^<@!?([0-9]{1,20})>/u;

/**
 * Takes the shares clause (`from <fund> shares @a:1 @b:2`) out of the text: the command without it (mentions inside
 * it removed, those after it moved back) and the payers it names. No clause: the input as it was.
 */
export function takeShares(input: Input): { input: Input; shares?: EveryShares } | Failure {
  const args = input.event.args;
  const found = [SHARES_EN.exec(args), SHARES_ZH.exec(args)]
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => a.index - b.index)[0];
  if (!found) return { input };
  const fund = (found[1] ?? '').normalize('NFKC');
  const mentions = input.event.mentions;
  const payers: EveryShares['payers'] = [];
  let at = found.index + found[0].length;
  for (;;) {
    const start = at + (SEPARATOR.exec(args.slice(at))?.[0].length ?? 0);
    const mention = mentions.find((m) => m.offset === start && m.length !== undefined && m.length > 0);
    const typed = USERNAME.exec(args.slice(start));
    const byId = USER_ID_MENTION.exec(args.slice(start));
    let recipient: SharePayer;
    let end: number;
    if (mention?.length !== undefined) {
      recipient = recipientOfMention(mention);
      end = start + mention.length;
    } else if (typed) {
      recipient = { kind: 'username', username: (typed[1] ?? '').toLowerCase() };
      end = start + typed[0].length;
    } else if (byId) {
      recipient = { kind: 'id', userId: byId[1] ?? '' };
      end = start + byId[0].length;
    } else break;
    const weight = WEIGHT.exec(args.slice(end));
    const shown = args.slice(start, end + (weight?.[0].length ?? 0)).trim();
    if (!weight) return fail('BadShares', shown);
    const n = Number((weight[1] ?? '').normalize('NFKC'));
    if (!Number.isInteger(n) || n < 1 || n > MAX_SHARE_WEIGHT) return fail('BadShares', shown);
    payers.push({ recipient, weight: n });
    at = end + weight[0].length;
  }
  if (payers.length === 0 || payers.length > MAX_SHARERS) return fail('BadShares', found[0]);
  const [from, to] = [found.index, at];
  const named = new Set(payers.flatMap((p) => (p.recipient.kind === 'username' ? [p.recipient.username] : [])));
  const kept = mentions.flatMap((m): Mention[] => {
    if (m.offset === undefined) return 'username' in m && named.has(m.username.toLowerCase()) ? [] : [m];
    if (m.offset >= from && m.offset < to) return [];
    return [m.offset >= to ? { ...m, offset: m.offset - (to - from) } : m];
  });
  const rest = new Input({ ...input.event, args: args.slice(0, from) + args.slice(to), mentions: kept });
  return { input: rest, shares: { fund, payers } };
}

function recipientOfMention(mention: Mention): Recipient {
  return 'user' in mention
    ? { kind: 'user', actor: mention.user }
    : { kind: 'username', username: mention.username.replace(/^@/u, '').toLowerCase() };
}

/**
 * `/every @name 50 monthly on 1 [until …|for 6 times] [from <fund> shares @a:1 @b:2] [note]` (Chinese:
 * `来自 <fund> 分摊 @a:1 …`); Discord: user, amount, schedule, note, and for a shared one fund and shares
 * (`@ann:1 @ben:2`).
 */
export function parseEvery(input: Input, context: ParseContext): EveryCommand | Failure {
  if (!input.usesOptions) {
    const taken = takeShares(input);
    if (failed(taken)) return taken;
    const parsed = parseSingle(taken.input, context);
    return failed(parsed) || !taken.shares ? parsed : { ...parsed, shares: taken.shares };
  }
  const fund = input.option('fund')?.trim();
  const listed = input.option('shares')?.trim();
  if (!fund && !listed) return parseSingle(input, context);
  if (!fund || !listed) return fail('BadShares', fund ?? listed ?? '');
  // Discord: the two options read as the clause they stand for; its payers are typed @usernames or users picked from
  // the client's list (`<@id>`).
  const clause = `from ${fund} shares ${listed}`;
  const taken = takeShares(new Input({ ...input.event, options: undefined, args: clause, mentions: [] }));
  if (failed(taken)) return taken;
  if (!taken.shares || taken.input.text.trim() !== '') return fail('BadShares', listed);
  const parsed = parseSingle(input, context);
  return failed(parsed) ? parsed : { ...parsed, shares: taken.shares };
}

function parseSingle(input: Input, context: ParseContext): EveryCommand | Failure {
  let recipient: Recipient;
  let amount: Amount;
  let text: string;
  let note: string | undefined;
  if (input.usesOptions) {
    const user = input.actorOption('user');
    if (!user) return fail('MissingRecipient');
    const parsed = wholeAmount(input.option('amount') ?? '', context);
    if (failed(parsed)) return parsed;
    recipient = { kind: 'user', actor: user };
    amount = parsed;
    text = input.option('schedule') ?? '';
    note = input.option('note');
  } else {
    const taken = recipientAndAmount(input, context);
    if (failed(taken)) return taken;
    if (startsNumeric(taken.rest[0]) && !/^[0-9]+\s*(?:天|周|个月|月)/u.test(taken.rest[0] ?? ''))
      return fail('AmbiguousAmount');
    ({ recipient, amount } = taken);
    text = taken.rest.join(' ');
  }
  const schedule = parseSchedule(text, { now: context.now, timeZone: context.timeZone });
  if (!schedule.ok) return fail(schedule.error, schedule.text);
  const cleaned = cleanNote([schedule.rest, note ?? ''].join(' '));
  if (cleaned === 'NoteTooLong') return fail(cleaned);
  return { name: 'every', recipient, amount, spec: schedule.spec, ...(cleaned.note ? { note: cleaned.note } : {}) };
}
