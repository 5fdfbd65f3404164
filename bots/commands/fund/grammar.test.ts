import { describe, expect, it } from 'vitest';
import { parseMaxAmount } from '../../../core/money/index.js';
import { Input, type CommandEvent, type ParseContext } from '../grammar/index.js';
import type { Actor } from '../types.js';
import { parseFund } from './grammar.js';

const max = parseMaxAmount('10000', 'USD');
if (!max.ok) throw new Error(max.message);
const CONTEXT: ParseContext = { defaultCurrency: 'USD', max: max.value, now: new Date(), timeZone: 'UTC' };
const BOB: Actor = { platform: 'discord', userId: '42', displayName: 'Bob', username: 'bob', isBot: false };

function event(args: string, options?: CommandEvent['options']): CommandEvent {
  const mentions = [...args.matchAll(/@(\w+)/g)].map((m) => ({
    username: m[1] ?? '',
    offset: m.index,
    length: m[0].length,
  }));
  return {
    type: 'command',
    key: 'k',
    actor: BOB,
    chat: { platform: 'telegram', chatId: '-1', kind: 'group' },
    command: 'fund',
    args,
    mentions,
    ...(options ? { options } : {}),
  };
}
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
