import { describe, expect, it } from 'vitest';
import { commandEvent } from '../../../test/support/events.js';
import { parseMaxAmount } from '../../../core/money/index.js';
import { Input, readDay, type CommandEvent, type ParseContext } from '../grammar/index.js';
import type { Actor } from '../types.js';
import { parseBorrow, parseIou, parseLendToAsk, parseRepay } from './grammar.js';

const max = parseMaxAmount('10000', 'USD');
if (!max.ok) throw new Error(max.message);
// Monday 2026-12-07 20:00 UTC: already Tuesday 04:00 in Shanghai, still Monday noon in Los Angeles.
const NOW = new Date('2026-12-07T20:00:00Z');
const SHANGHAI = 'Asia/Shanghai';
const LOS_ANGELES = 'America/Los_Angeles';
const context = (timeZone: string): ParseContext => ({
  defaultCurrency: 'USD',
  max: max.value,
  now: NOW,
  timeZone,
});
const BEN: Actor = { platform: 'discord', userId: '42', displayName: 'Ben', username: 'ben', isBot: false };

const event = (args: string, options?: CommandEvent['options']): CommandEvent =>
  commandEvent('iou', BEN, args, options ? { options } : {});
const iou = (args: string, timeZone = SHANGHAI, options?: CommandEvent['options']) =>
  parseIou(new Input(event(args, options)), context(timeZone));
const day = (text: string) => {
  const [year = 0, month = 0, d = 0] = text.split('-').map(Number);
  return { year, month, day: d };
};

describe('due dates in plain words', () => {
  // [words, in Shanghai, in Los Angeles]
  const TABLE: ReadonlyArray<readonly [string, string, string]> = [
    ['friday', '2026-12-11', '2026-12-11'],
    ['tomorrow', '2026-12-09', '2026-12-08'],
    ['in 2 weeks', '2026-12-22', '2026-12-21'],
    ['in 3 days', '2026-12-11', '2026-12-10'],
    ['end of month', '2026-12-31', '2026-12-31'],
    ['end of the month', '2026-12-31', '2026-12-31'],
    ['next month', '2027-01-08', '2027-01-07'],
    ['2026-12-31', '2026-12-31', '2026-12-31'],
    ['Dec 31', '2026-12-31', '2026-12-31'],
    ['下周五', '2026-12-18', '2026-12-18'],
    ['周五', '2026-12-11', '2026-12-11'],
    ['月底', '2026-12-31', '2026-12-31'],
    ['两周后', '2026-12-22', '2026-12-21'],
    ['2周后', '2026-12-22', '2026-12-21'],
    ['三天后', '2026-12-11', '2026-12-10'],
    ['下个月', '2027-01-08', '2027-01-07'],
    ['12月31日', '2026-12-31', '2026-12-31'],
    ['明天', '2026-12-09', '2026-12-08'],
  ];

  it.each(TABLE)('“%s” is %s in Shanghai and %s in Los Angeles', (words, shanghai, losAngeles) => {
    expect(readDay(words, { now: NOW, timeZone: SHANGHAI })).toEqual({ ok: true, day: day(shanghai) });
    expect(readDay(words, { now: NOW, timeZone: LOS_ANGELES })).toEqual({ ok: true, day: day(losAngeles) });
  });

  it('today is a due date; a day before it is in the past; words it cannot read are refused', () => {
    expect(readDay('today', { now: NOW, timeZone: SHANGHAI })).toEqual({ ok: true, day: day('2026-12-08') });
    expect(readDay('today', { now: NOW, timeZone: SHANGHAI }, 'tomorrow')).toEqual({ ok: false, error: 'DateInPast' });
    expect(readDay('2026-12-01', { now: NOW, timeZone: SHANGHAI })).toEqual({ ok: false, error: 'DateInPast' });
    // Monday the 7th is over in Shanghai, not yet in Los Angeles.
    expect(readDay('2026-12-07', { now: NOW, timeZone: SHANGHAI })).toEqual({ ok: false, error: 'DateInPast' });
    expect(readDay('2026-12-07', { now: NOW, timeZone: LOS_ANGELES })).toMatchObject({ ok: true });
    for (const words of ['fridya', 'friday dinner', 'soon', '下下下周', ''])
      expect(readDay(words, { now: NOW, timeZone: SHANGHAI }), words).toEqual({ ok: false, error: 'BadDate' });
  });
});

describe('the /iou grammar', () => {
  const usd = (minor: bigint) => ({ minor, currency: 'USD' });
  const ann = { kind: 'username', username: 'ann' } as const;

  it('reads who, how much, the due date in words, then the note', () => {
    expect(iou('@ann 50 friday dinner at mei’s')).toEqual({
      name: 'iou',
      action: 'lend',
      borrower: ann,
      amount: usd(50_00n),
      due: day('2026-12-11'),
      note: 'dinner at mei’s',
      record: false,
    });
    expect(iou('@ann 20 in 2 weeks')).toMatchObject({ due: day('2026-12-22'), amount: usd(20_00n) });
    expect(iou('@ann 20 end of month rent', LOS_ANGELES)).toMatchObject({ due: day('2026-12-31'), note: 'rent' });
    expect(iou('@ann 100元 下周五 房租')).toMatchObject({
      due: day('2026-12-18'),
      amount: { minor: 100_00n, currency: 'CNY' },
      note: '房租',
    });
    expect(iou('@ann 30 by 2026-12-31 concert record')).toMatchObject({
      due: day('2026-12-31'),
      note: 'concert',
      record: true,
    });
    expect(iou('@ann 30 两周后 记账')).toMatchObject({ due: day('2026-12-22'), record: true });
  });

  it('reads `/iou lend @ann …` typed as text like `/iou @ann …` (the word Discord’s subcommand has)', () => {
    expect(iou('lend @ann 50 friday dinner')).toEqual(iou('@ann 50 friday dinner'));
  });

  it('refuses a missing, unreadable or past due date, naming the words', () => {
    expect(iou('@ann 50')).toEqual({ fail: 'MissingDueDate' });
    expect(iou('@ann 50 fridya dinner')).toEqual({ fail: 'BadDueDate', detail: 'fridya' });
    expect(iou('@ann 50 in 2 weekz')).toEqual({ fail: 'BadDueDate', detail: 'in 2 weekz' });
    expect(iou('@ann 50 2026-11-30 rent')).toEqual({ fail: 'DueDateInPast', detail: '2026-11-30' });
    expect(iou('50 friday')).toEqual({ fail: 'MissingRecipient' });
  });

  it('reads show, extend, forgive and nudge by the IOU’s number', () => {
    expect(iou('show 7')).toEqual({ name: 'iou', action: 'show', id: 7n });
    expect(iou('查看 #7')).toEqual({ name: 'iou', action: 'show', id: 7n });
    expect(iou('nudge 12')).toEqual({ name: 'iou', action: 'nudge', id: 12n });
    expect(iou('extend 7 next friday')).toEqual({ name: 'iou', action: 'extend', id: 7n, due: day('2026-12-18') });
    expect(iou('延期 7 月底')).toEqual({ name: 'iou', action: 'extend', id: 7n, due: day('2026-12-31') });
    expect(iou('extend 7 whenever')).toEqual({ fail: 'BadDueDate', detail: 'whenever' });
    expect(iou('extend 7')).toEqual({ fail: 'MissingDueDate' });
    expect(iou('forgive 7')).toEqual({ name: 'iou', action: 'forgive', id: 7n });
    expect(iou('forgive 7 12.50')).toEqual({ name: 'iou', action: 'forgive', id: 7n, amount: usd(12_50n) });
    expect(iou('show seven')).toEqual({ fail: 'BadIouId' });
  });

  it('reads Discord’s subcommand options', () => {
    const options = { user: BEN, amount: '25', due: 'in 2 weeks', note: 'books', record: true };
    expect(iou('lend 25 in 2 weeks books true', LOS_ANGELES, options)).toEqual({
      name: 'iou',
      action: 'lend',
      borrower: { kind: 'user', actor: BEN },
      amount: usd(25_00n),
      due: day('2026-12-21'),
      note: 'books',
      record: true,
    });
    expect(iou('extend 7 月底', SHANGHAI, { id: 7, date: '月底' })).toMatchObject({ action: 'extend', id: 7n });
    expect(iou('lend 25 soon', SHANGHAI, { user: BEN, amount: '25', due: 'soon' })).toEqual({
      fail: 'BadDueDate',
      detail: 'soon',
    });
  });

  it('/repay reads who and how much', () => {
    expect(parseRepay(new Input(event('@ann 12.50')), context(SHANGHAI))).toEqual({
      name: 'repay',
      lender: ann,
      amount: usd(12_50n),
    });
    expect(parseRepay(new Input(event('12.50')), context(SHANGHAI))).toEqual({ fail: 'MissingRecipient' });
  });
});

describe('the /borrow and /lend grammar', () => {
  const borrow = (args: string) => parseBorrow(new Input(event(args)), context(SHANGHAI));
  const lend = (args: string) => parseLendToAsk(new Input(event(args)), context(SHANGHAI));
  it('reads the amount, the due date in plain words and the note, as /iou does', () => {
    expect(borrow('50 2026-12-31 rent')).toEqual({
      name: 'borrow',
      amount: { minor: 50_00n, currency: 'USD' },
      due: day('2026-12-31'),
      note: 'rent',
      friends: [],
    });
    expect(borrow('50 2026-12-31 rent @ann_b @cai_b')).toMatchObject({
      note: 'rent',
      friends: [
        { kind: 'username', username: 'ann_b' },
        { kind: 'username', username: 'cai_b' },
      ],
    });
    expect(borrow('¥200 by 2026-12-20')).toMatchObject({ amount: { minor: 200_00n, currency: 'CNY' } });
    expect(borrow('50')).toEqual({ fail: 'MissingDueDate' });
    expect(borrow('fifty friday')).toHaveProperty('fail');
  });
  it('reads an ask id and an amount', () => {
    expect(lend('12 20')).toEqual({ name: 'lend', askId: 12n, amount: { minor: 20_00n, currency: 'USD' } });
    expect(lend('#12 20 usd')).toMatchObject({ askId: 12n });
    expect(lend('twelve 20')).toEqual({ fail: 'BadAskId' });
  });
});
