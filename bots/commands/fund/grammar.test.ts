import { describe, expect, it } from 'vitest';
import { commandEvent } from '../../../test/support/events.js';
import { parseMaxAmount } from '../../../core/money/index.js';
import { Input, type CommandEvent, type ParseContext } from '../grammar/index.js';
import type { Actor } from '../types.js';
import { parseFund } from './grammar.js';

const max = parseMaxAmount('10000', 'USD');
if (!max.ok) throw new Error(max.message);
const CONTEXT: ParseContext = { defaultCurrency: 'USD', max: max.value, now: new Date(), timeZone: 'UTC' };
const BOB: Actor = { platform: 'discord', userId: '42', displayName: 'Bob', username: 'bob', isBot: false };

const event = (args: string, options?: CommandEvent['options']): CommandEvent =>
  commandEvent('fund', BOB, args, options ? { options } : {});
const parse = (args: string, options?: CommandEvent['options']) => parseFund(new Input(event(args, options)), CONTEXT);

describe('the /fund grammar', () => {
  it('reads each action, in English and Chinese', () => {
    expect(parse('new trip 200')).toEqual({
      name: 'fund',
      action: 'new',
      fund: 'trip',
      target: { minor: 200_00n, currency: 'USD' },
    });
    expect(parse('新建 班费')).toEqual({ name: 'fund', action: 'new', fund: '班费' });
    expect(parse('list')).toEqual({ name: 'fund', action: 'list' });
    expect(parse('show Trip')).toEqual({ name: 'fund', action: 'show', fund: 'Trip' });
    expect(parse('存入 班费 50 from grandma')).toEqual({
      name: 'fund',
      action: 'add',
      fund: '班费',
      amount: { minor: 50_00n, currency: 'USD' },
      note: 'from grandma',
    });
    expect(parse('members trip remove @ann')).toEqual({
      name: 'fund',
      action: 'members',
      fund: 'trip',
      change: { op: 'remove', member: { kind: 'username', username: 'ann' } },
    });
    expect(parse('spend trip 80 @ann train tickets')).toEqual({
      name: 'fund',
      action: 'spend',
      fund: 'trip',
      amount: { minor: 80_00n, currency: 'USD' },
      payee: { kind: 'username', username: 'ann' },
      reason: 'train tickets',
    });
  });

  it('reads Discord options', () => {
    expect(parse('spend trip 80', { fund: 'trip', amount: '80', user: BOB, note: 'bus' })).toEqual({
      name: 'fund',
      action: 'spend',
      fund: 'trip',
      amount: { minor: 80_00n, currency: 'USD' },
      payee: { kind: 'user', actor: BOB },
      reason: 'bus',
    });
  });

  it('refuses what it cannot read, naming why', () => {
    expect(parse('')).toEqual({ fail: 'BadFundCommand' });
    expect(parse('teleport trip')).toEqual({ fail: 'BadFundCommand' });
    expect(parse('new trip lots')).toEqual({ fail: 'Malformed' });
    expect(parse('new')).toEqual({ fail: 'BadFundName' });
    expect(parse('add trip')).toEqual({ fail: 'MissingAmount' });
    expect(parse('add trip -5')).toEqual({ fail: 'Negative' });
    expect(parse('spend trip 80')).toEqual({ fail: 'MissingRecipient' });
    expect(parse('members trip kick @ann')).toEqual({ fail: 'BadFundCommand' });
  });
});

describe('the /fund grammar of locked pots, quorum and close', () => {
  // 2026-12-07 20:00 in Shanghai: a pot unlocks at the start of its day there (16:00 UTC the day before).
  const AT: ParseContext = { ...CONTEXT, now: new Date('2026-12-07T12:00:00Z'), timeZone: 'Asia/Shanghai' };
  const at = (args: string, options?: CommandEvent['options']) => parseFund(new Input(event(args, options)), AT);
  const MEI = { kind: 'username', username: 'mei' } as const;

  it('reads a pot for someone until a date, in English and in Chinese word order', () => {
    expect(at('new lucky for @mei until 2027-02-17')).toEqual({
      name: 'fund',
      action: 'new',
      fund: 'lucky',
      pot: { beneficiary: MEI, until: new Date('2027-02-16T16:00:00Z') },
    });
    expect(at('new 压岁钱 给 @mei 到 2027-02-17')).toEqual({
      name: 'fund',
      action: 'new',
      fund: '压岁钱',
      pot: { beneficiary: MEI, until: new Date('2027-02-16T16:00:00Z') },
    });
    expect(at('新建 压岁钱 给 @mei 到 2月17日')).toMatchObject({
      pot: { beneficiary: MEI, until: new Date('2027-02-16T16:00:00Z') },
    });
    expect(at('new lucky until 2027-02-17 for @mei')).toMatchObject({
      pot: { beneficiary: MEI, until: new Date('2027-02-16T16:00:00Z') },
    });
    expect(at('new lucky 500 for @mei until next month')).toMatchObject({
      target: { minor: 500_00n, currency: 'USD' },
      pot: { beneficiary: MEI, until: new Date('2027-01-06T16:00:00Z') },
    });
  });

  it('reads a quorum, and close, in both languages', () => {
    expect(at('new club quorum 60%')).toEqual({ name: 'fund', action: 'new', fund: 'club', quorumPct: 60 });
    expect(at('new 班费 200 法定人数 75%')).toEqual({
      name: 'fund',
      action: 'new',
      fund: '班费',
      target: { minor: 200_00n, currency: 'USD' },
      quorumPct: 75,
    });
    expect(at('new lucky for @mei until 2027-02-17 quorum 60%')).toMatchObject({ quorumPct: 60, pot: {} });
    expect(at('close trip')).toEqual({ name: 'fund', action: 'close', fund: 'trip' });
    expect(at('关闭 班费')).toEqual({ name: 'fund', action: 'close', fund: '班费' });
  });

  it('reads Discord options for a pot', () => {
    expect(at('new lucky', { fund: 'lucky', user: BOB, until: '2027-02-17', quorum: '60' })).toEqual({
      name: 'fund',
      action: 'new',
      fund: 'lucky',
      quorumPct: 60,
      pot: { beneficiary: { kind: 'user', actor: BOB }, until: new Date('2027-02-16T16:00:00Z') },
    });
  });

  it('refuses a date in the past or one it cannot read, naming the words', () => {
    expect(at('new lucky for @mei until 2020-01-01')).toEqual({ fail: 'FundDateInPast', detail: '2020-01-01' });
    expect(at('new lucky for @mei until today')).toEqual({ fail: 'FundDateInPast', detail: 'today' });
    expect(at('new lucky for @mei until whenever she grows up')).toEqual({
      fail: 'BadFundDate',
      detail: 'whenever she grows up',
    });
    expect(at('new 压岁钱 给 @mei 到 某天')).toEqual({ fail: 'BadFundDate', detail: '某天' });
    expect(at('new lucky for @mei')).toEqual({ fail: 'MissingFundDate' });
    expect(at('new lucky until 2027-02-17')).toEqual({ fail: 'MissingRecipient' });
    expect(at('new club quorum 150%')).toEqual({ fail: 'BadQuorum' });
  });
});
