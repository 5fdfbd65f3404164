/**
 * Recipients are people with an id (reply-to author, text_mention, Discord USER option) or a bare `@username`
 * (no id: the core resolves it or holds the money in a claim). Display names are never read as recipients; a
 * refusal may suggest whom one meant (`namesakesOf`).
 */
import type { Amount, Person } from '../../../core/index.js';
import type { Actor, Mention } from '../types.js';
import { takeAmount } from './amount.js';
import { fail, failed, type CommandEvent, type Failure, type Input, type ParseContext } from './input.js';
import { words, type Word } from './note.js';

export type Recipient = { kind: 'user'; actor: Actor } | { kind: 'username'; username: string };

/** A recipient as the core takes it: a person the platform showed us, or a username to resolve. */
export function recipientOf(recipient: Recipient, event: CommandEvent) {
  return recipient.kind === 'user'
    ? { actor: recipient.actor }
    : { username: recipient.username, platform: event.chat.platform };
}

/** `recipientOf`, with a person already touched before the transaction taken as they are. */
export function payeeOf(recipient: Recipient, event: CommandEvent, touched: ReadonlyMap<string, Person>) {
  const person = recipient.kind === 'user' ? touched.get(recipient.actor.userId) : undefined;
  return person ? { person } : recipientOf(recipient, event);
}

/** The recipient and the amount at the start of a command's text, and the words after them. */
export function recipientAndAmount(
  input: Input,
  context: ParseContext,
): { recipient: Recipient; amount: Amount; rest: string[] } | Failure {
  const event = input.event;
  const split = splitMentions(event.args, event.mentions);
  let body = split.body;
  let candidates = split.leading;
  const amount = takeAmount(body, context);
  // `/pay 10 @bob lunch`: with nothing before the amount, a mention right after it is the recipient.
  if (candidates.length === 0 && !failed(amount)) {
    const after = split.mentionsAt(body.slice(amount.used));
    candidates = after.mentions;
    body = [...body.slice(0, amount.used), ...body.slice(amount.used + after.count)];
  }
  const recipient = chooseRecipient(event.replyTo, candidates);
  if (failed(recipient)) return recipient;
  if (failed(amount)) return amount;
  return { recipient, amount: amount.amount, rest: body.slice(amount.used).map((word) => word.text) };
}

interface MentionSplit {
  /** Mentions before the first other word: the recipient candidates. */
  leading: Mention[];
  /** The words after them: amount, note, deadline (mentions there are note text). */
  body: Word[];
  /** The mentions covering the first words of `tail`, and how many words they cover. */
  mentionsAt(tail: Word[]): { mentions: Mention[]; count: number };
}

function splitMentions(args: string, mentions: readonly Mention[]): MentionSplit {
  const located = locateMentions(args, mentions);
  const covering = (word: Word) =>
    located.filter(({ span }) => span !== undefined && span.start < word.end && word.start < span.end);
  const mentionsAt = (tail: Word[]) => {
    const found: Mention[] = [];
    let count = 0;
    for (const word of tail) {
      const over = covering(word);
      if (over.length === 0) break;
      for (const { mention } of over) if (!found.includes(mention)) found.push(mention);
      count++;
    }
    return { mentions: found, count };
  };
  const all = words(args);
  const leading = mentionsAt(all);
  // A mention we could not place is treated as a recipient candidate, never silently dropped.
  const unplaced = located.filter(({ span }) => span === undefined).map(({ mention }) => mention);
  return { leading: [...leading.mentions, ...unplaced], body: all.slice(leading.count), mentionsAt };
}

interface Located {
  mention: Mention;
  span?: { start: number; end: number };
}

function locateMentions(args: string, mentions: readonly Mention[]): Located[] {
  const taken: Array<{ start: number; end: number }> = [];
  return mentions.map((mention) => {
    const span = spanOf(args, mention, taken);
    if (span) taken.push(span);
    return { mention, span };
  });
}

function spanOf(
  args: string,
  mention: Mention,
  taken: ReadonlyArray<{ start: number; end: number }>,
): { start: number; end: number } | undefined {
  const { offset, length } = mention;
  if (offset !== undefined && length !== undefined && offset >= 0 && length > 0 && offset + length <= args.length) {
    return { start: offset, end: offset + length };
  }
  const needles = 'username' in mention ? [`@${mention.username}`] : namesOf(mention.user.displayName);
  for (const needle of needles) {
    const lower = args.toLowerCase();
    for (let at = lower.indexOf(needle.toLowerCase()); at >= 0; at = lower.indexOf(needle.toLowerCase(), at + 1)) {
      const span = { start: at, end: at + needle.length };
      const free = !taken.some((other) => other.start < span.end && span.start < other.end);
      if (free && !/[\p{L}\p{N}_]/u.test(args[span.end] ?? '')) return span;
    }
  }
  return undefined;
}

/** A text_mention shows the full name or, in most clients, the first name. */
function namesOf(displayName: string): string[] {
  const first = displayName.trim().split(/\s+/u)[0] ?? '';
  return [displayName.trim(), first].filter((name, index, all) => name !== '' && all.indexOf(name) === index);
}

/**
 * Reply-to > text_mention (an id) > @username, when they agree. A reply to one person naming another
 * is refused rather than guessed (money would go to the wrong one); so are two different mentions.
 * A reply to a bot's message does not compete with a mention: people reply to the bot all the time.
 */
function chooseRecipient(replyTo: Actor | undefined, candidates: readonly Mention[]): Recipient | Failure {
  const users = candidates.flatMap((mention) => ('user' in mention ? [mention.user] : []));
  const names = candidates.flatMap((mention) => ('username' in mention ? [mention.username.toLowerCase()] : []));
  if (replyTo && !(replyTo.isBot && candidates.length > 0)) {
    const sameUser = users.every((user) => user.userId === replyTo.userId);
    const sameName = names.every((name) => name === replyTo.username?.toLowerCase());
    return sameUser && sameName ? { kind: 'user', actor: replyTo } : fail('AmbiguousRecipient');
  }
  const distinctUsers = new Set(users.map((user) => user.userId));
  const distinctNames = new Set(names);
  if (distinctUsers.size === 0 && distinctNames.size === 0) return fail('MissingRecipient');
  if (distinctUsers.size > 1 || distinctNames.size > 1) return fail('TooManyMentions');
  const [user] = users;
  const [name] = names;
  if (user) {
    return name === undefined || name === user.username?.toLowerCase()
      ? { kind: 'user', actor: user }
      : fail('TooManyMentions');
  }
  return name === undefined ? fail('MissingRecipient') : { kind: 'username', username: name };
}

/** Someone a command may mean by name: present in the chat, with a username to mention them by. */
export interface KnownPerson {
  displayName: string;
  username: string;
}

/**
 * `/pay Bob 12.50` names no one, and a display name is never a recipient; but the person probably meant someone
 * present whose display name (else first name) its first words spell, in any case. Those people, each with the
 * command's text rewritten to mention them (`@bob 12.50`) for the person to send themselves. Whole display names
 * win over first names.
 */
export function namesakesOf<T extends KnownPerson>(args: string, known: readonly T[]): Array<{ who: T; args: string }> {
  const typed = words(args);
  const fold = (text: string) => text.normalize('NFKC').toLowerCase();
  const spelled = (names: readonly string[]) =>
    names.length > 0 && names.every((name, i) => typed[i] !== undefined && fold(typed[i].text) === fold(name));
  const meant = (who: T, count: number) => {
    const end = typed[count - 1]?.end ?? 0;
    const rest = args.slice(end).trim();
    return { who, args: rest === '' ? `@${who.username}` : `@${who.username} ${rest}` };
  };
  const namesOf = (who: T) =>
    who.displayName
      .trim()
      .split(/\s+/u)
      .filter((name) => name !== '');
  const whole = known.flatMap((who) => (spelled(namesOf(who)) ? [meant(who, namesOf(who).length)] : []));
  if (whole.length > 0) return whole;
  return known.flatMap((who) => (spelled(namesOf(who).slice(0, 1)) ? [meant(who, 1)] : []));
}

/** A recipient named by a mention. */
export const recipientOfMention = (m: Mention): Recipient =>
  'user' in m ? { kind: 'user', actor: m.user } : { kind: 'username', username: m.username };

export type MentionToken = { kind: 'word'; word: Word } | { kind: 'mention'; mention: Mention };

/** The words of `text` from `from` with the mentions in it (a mention's words become one token), in order. */
export function mentionTokens(text: string, mentions: readonly Mention[], from: number): MentionToken[] {
  const spans = mentions.map((mention) => {
    if (mention.offset !== undefined && mention.length !== undefined && mention.length > 0)
      return { mention, start: mention.offset, end: mention.offset + mention.length };
    const needle = 'username' in mention ? `@${mention.username}`.toLowerCase() : undefined;
    const at = needle === undefined ? -1 : text.toLowerCase().indexOf(needle);
    return { mention, start: at, end: at < 0 ? -1 : at + (needle?.length ?? 0) };
  });
  const out: MentionToken[] = [];
  const used = new Set<Mention>();
  for (const word of words(text).filter((w) => w.start >= from)) {
    const span = spans.find((s) => s.start >= 0 && s.start < word.end && word.start < s.end);
    if (!span) out.push({ kind: 'word', word });
    else if (!used.has(span.mention)) {
      used.add(span.mention);
      out.push({ kind: 'mention', mention: span.mention });
    }
  }
  // A mention we could not place (a Discord user, a text_mention without offsets) is still someone named.
  for (const s of spans) if (!used.has(s.mention)) out.push({ kind: 'mention', mention: s.mention });
  return out;
}
