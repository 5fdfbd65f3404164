import { describe, expect, it } from 'vitest';
import { parseMaxAmount } from '../../../core/money/index.js';
import { Input, type CommandEvent, type ParseContext } from '../grammar/index.js';
import type { Actor } from '../types.js';
import { parseCollect, parseSplit } from './grammar.js';

const max = parseMaxAmount('10000', 'USD');
if (!max.ok) throw new Error(max.message);
const CONTEXT: ParseContext = { defaultCurrency: 'USD', max: max.value, now: new Date(), timeZone: 'UTC' };
const ANN: Actor = { platform: 'discord', userId: '41', displayName: 'Ann', username: 'ann', isBot: false };
const BEN: Actor = { platform: 'discord', userId: '42', displayName: 'Ben', username: 'ben', isBot: false };

function event(command: string, args: string, options?: CommandEvent['options']): CommandEvent {
  const mentions = options
    ? Object.values(options).flatMap((v) => (typeof v === 'object' ? [{ user: v }] : []))
    : [...args.matchAll(/@(\w+)/g)].map((m) => ({ username: m[1] ?? '', offset: m.index, length: m[0].length }));
  return {
    type: 'command',
    key: 'k',
    actor: ANN,
    chat: { platform: options ? 'discord' : 'telegram', chatId: '-1', kind: 'group' },
    command,
    args,
    mentions,
    ...(options ? { options } : {}),
  };
}
const collect = (args: string, options?: CommandEvent['options']) =>
  parseCollect(new Input(event('collect', args, options)), CONTEXT);
const split = (args: string, options?: CommandEvent['options']) =>
  parseSplit(new Input(event('split', args, options)), CONTEXT);
const usd = (minor: bigint) => ({ minor, currency: 'USD' });
const name = (username: string) => ({ kind: 'username', username });

describe('the /collect grammar', () => {
  it('an amount each from everyone, or from the people named', () => {
    expect(collect('20 class dues')).toEqual({
      name: 'collect',
      action: 'new',
      reason: 'class dues',
      debtors: [],
      split: { mode: 'each', amount: usd(20_00n) },
    });
    expect(collect('20 class dues @ann @ben')).toMatchObject({
      reason: 'class dues',
      debtors: [name('ann'), name('ben')],
      split: { mode: 'each', amount: usd(20_00n) },
    });
    expect(collect('12.50 EUR tickets each @ann')).toMatchObject({
      reason: 'tickets',
      debtors: [name('ann')],
      split: { mode: 'each', amount: { minor: 12_50n, currency: 'EUR' } },
    });
  });

  it('a total divided among them, per-person amounts, into a fund', () => {
    expect(collect('100 trip total @ann @ben')).toMatchObject({
      reason: 'trip',
      split: { mode: 'total', amount: usd(100_00n) },
    });
    expect(collect('dinner @ann 30 @ben 20.50')).toMatchObject({
      reason: 'dinner',
      debtors: [name('ann'), name('ben')],
      split: { mode: 'perPerson', amounts: [usd(30_00n), usd(20_50n)] },
    });
    expect(collect('20 dues into class')).toMatchObject({ reason: 'dues', fund: 'class' });
  });

  it('in Chinese', () => {
    expect(collect('50 班费 每人')).toMatchObject({ reason: '班费', debtors: [], split: { mode: 'each' } });
    expect(collect('100元 旅行 总共 @ann @ben')).toMatchObject({
      reason: '旅行',
      debtors: [name('ann'), name('ben')],
      split: { mode: 'total', amount: { minor: 100_00n, currency: 'CNY' } },
    });
    expect(collect('20 班费 存入 班级')).toMatchObject({ reason: '班费', fund: '班级' });
    expect(collect('免除 @ann')).toEqual({ name: 'collect', action: 'excuse', who: name('ann') });
  });

  it('excuse, with the collection’s number', () => {
    expect(collect('excuse @ben #12')).toEqual({
      name: 'collect',
      action: 'excuse',
      who: name('ben'),
      collectionId: '12',
    });
    expect(collect('excuse')).toEqual({ fail: 'MissingRecipient' });
  });

  it('refuses what it cannot read, naming why', () => {
    expect(collect('class dues @ann')).toEqual({ fail: 'MissingAmount' });
    expect(collect('20')).toEqual({ fail: 'MissingReason' });
    expect(collect('20 @ann')).toEqual({ fail: 'MissingReason' });
    expect(collect('dinner @ann 30 @ben')).toEqual({ fail: 'MixedCollectAmounts' });
    expect(collect('50 dinner @ann 30')).toEqual({ fail: 'MixedCollectAmounts' });
    expect(collect('20 dues into')).toEqual({ fail: 'BadFundName' });
    expect(collect('-5 dues')).toHaveProperty('fail');
  });

  it('Discord options', () => {
    expect(collect('new 20 dues', { amount: '20', reason: 'dues', user1: ANN, user2: BEN })).toEqual({
      name: 'collect',
      action: 'new',
      reason: 'dues',
      debtors: [
        { kind: 'user', actor: ANN },
        { kind: 'user', actor: BEN },
      ],
      split: { mode: 'each', amount: usd(20_00n) },
    });
    expect(collect('new 90 trip total class', { amount: '90', reason: 'trip', split: 'total', into: 'class' })).toEqual(
      {
        name: 'collect',
        action: 'new',
        reason: 'trip',
        debtors: [],
        split: { mode: 'total', amount: usd(90_00n) },
        fund: 'class',
      },
    );
    expect(collect('new 9 trip half', { amount: '9', reason: 'trip', split: 'half' })).toEqual({
      fail: 'BadCollectSplit',
    });
    expect(collect('excuse', { user: BEN })).toEqual({
      name: 'collect',
      action: 'excuse',
      who: { kind: 'user', actor: BEN },
    });
  });
});

describe('the /split grammar', () => {
  it('a bill, its note and the people sharing it, in English and Chinese', () => {
    expect(split('60 dinner @ann @ben')).toEqual({
      name: 'split',
      amount: usd(60_00n),
      reason: 'dinner',
      people: [name('ann'), name('ben')],
    });
    expect(split('60 晚饭 @ann @ben')).toMatchObject({ reason: '晚饭', people: [name('ann'), name('ben')] });
    // "each" and "total" are words of a split's note.
    expect(split('10 coffee each @ann')).toMatchObject({ reason: 'coffee each' });
  });

  it('refusals', () => {
    expect(split('60 dinner')).toEqual({ fail: 'MissingSplitPeople' });
    expect(split('dinner @ann')).toEqual({ fail: 'MissingAmount' });
    expect(split('60 @ann')).toEqual({ fail: 'MissingReason' });
    expect(split('60 dinner @ann 20')).toEqual({ fail: 'AmbiguousAmount' });
  });

  it('Discord options', () => {
    expect(split('60 dinner', { amount: '60', note: 'dinner', person1: ANN, person2: BEN })).toEqual({
      name: 'split',
      amount: usd(60_00n),
      reason: 'dinner',
      people: [
        { kind: 'user', actor: ANN },
        { kind: 'user', actor: BEN },
      ],
    });
    expect(split('60 dinner', { amount: '60', note: 'dinner' })).toEqual({ fail: 'MissingSplitPeople' });
  });
});
