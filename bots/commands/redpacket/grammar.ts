/**
 * `/redpacket total count [note] [equal]`: `/redpacket 100 10 happy new year`, `/redpacket 100元 10个 新年快乐 均分`.
 * The count may carry 个 or 份; the share mode is a word at either end of the note (`equal`, `均分`, `平均`, `普通`;
 * `random`, `拼手气` is the default). Discord: `amount`, `count` (integer), `note`, `equal` (boolean).
 */
import { MAX_SHARES, type Amount, type ShareMode } from '../../../core/index.js';
import {
  cleanNote,
  fail,
  failed,
  takeAmount,
  wholeAmount,
  words,
  type Failure,
  type Input,
  type ParseContext,
} from '../grammar/index.js';

export interface RedPacketCommand {
  name: 'redpacket';
  amount: Amount;
  count: number;
  mode: ShareMode;
  note?: string;
}

const MODES: Readonly<Record<string, ShareMode>> = {
  equal: 'equal',
  equally: 'equal',
  均分: 'equal',
  平均: 'equal',
  普通: 'equal',
  普通红包: 'equal',
  random: 'random',
  lucky: 'random',
  拼手气: 'random',
  拼手气红包: 'random',
};

const modeOf = (word: string | undefined): ShareMode | undefined =>
  word === undefined ? undefined : MODES[word.normalize('NFKC').toLowerCase()];

/** `10`, `10个`, `10份`, full-width digits: a whole number of shares, or undefined when it is not one. */
function countOf(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^(\d{1,7})(?:个|份)?$/u.exec(text.normalize('NFKC'));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export function parseRedPacket(input: Input, context: ParseContext): RedPacketCommand | Failure {
  let amount: Amount;
  let countText: string | undefined;
  let noteWords: string[];
  if (input.usesOptions) {
    const parsed = wholeAmount(input.option('amount') ?? '', context);
    if (failed(parsed)) return parsed;
    amount = parsed;
    countText = input.option('count');
    noteWords = words(input.option('note') ?? '').map((w) => w.text);
    if (input.option('equal') === 'true') noteWords.push('equal');
  } else {
    const all = words(input.text);
    if (all.length === 0) return fail('BadRedPacket');
    const taken = takeAmount(all, context);
    if (failed(taken)) return taken;
    amount = taken.amount;
    countText = all[taken.used]?.text;
    noteWords = all.slice(taken.used + 1).map((w) => w.text);
  }
  if (countText === undefined) return fail('BadRedPacket');
  const count = countOf(countText);
  if (count === undefined)
    return fail(/^[-+]?\d/u.test(countText.normalize('NFKC')) ? 'BadShareCount' : 'BadRedPacket');
  if (count < 1 || count > MAX_SHARES) return fail('BadShareCount');
  if (amount.minor < BigInt(count)) return fail('RedPacketTooSmall');

  let mode: ShareMode = 'random';
  const last = modeOf(noteWords.at(-1));
  if (last !== undefined) {
    mode = last;
    noteWords = noteWords.slice(0, -1);
  } else {
    const first = modeOf(noteWords[0]);
    if (first !== undefined) {
      mode = first;
      noteWords = noteWords.slice(1);
    }
  }
  const cleaned = cleanNote(noteWords.join(' '));
  if (cleaned === 'NoteTooLong') return fail(cleaned);
  return { name: 'redpacket', amount, count, mode, ...(cleaned.note ? { note: cleaned.note } : {}) };
}
