import { describe, expect, it } from 'vitest';
import { commandEvent } from '../../../test/support/events.js';
import { parseMaxAmount } from '../../../core/money/index.js';
import { Input, type CommandEvent, type ParseContext } from '../grammar/index.js';
import type { Actor, Mention } from '../types.js';
import { parseEvery } from './grammar.js';

const max = parseMaxAmount('10000', 'USD');
if (!max.ok) throw new Error(max.message);
const CONTEXT: ParseContext = { defaultCurrency: 'USD', max: max.value, now: new Date(), timeZone: 'UTC' };
const ANN: Actor = { platform: 'telegram', userId: '41', displayName: 'Ann', username: 'ann', isBot: false };

/** Telegram marks each `@username` with a mention entity (offset and length in the text). */
const event = (args: string, mentions?: Mention[]): CommandEvent =>
  commandEvent('every', ANN, args, mentions ? { mentions } : {});
const parse = (args: string, mentions?: Mention[]) => parseEvery(new Input(event(args, mentions)), CONTEXT);
const user = (username: string) => ({ kind: 'username', username });

describe('the shared /every grammar', () => {
  it('reads the fund and each payer’s weight after the schedule', () => {
    expect(parse('@mum 600 monthly on 1 from parents shares @ann:1 @ben:1 @chen:2')).toEqual({
      name: 'every',
      recipient: user('mum'),
      amount: { minor: 600_00n, currency: 'USD' },
      spec: { cadence: { unit: 'monthday', day: 1 } },
      shares: {
        fund: 'parents',
        payers: [
          { recipient: user('ann'), weight: 1 },
          { recipient: user('ben'), weight: 1 },
          { recipient: user('chen'), weight: 2 },
        ],
      },
    });
  });

  it('keeps a note before or after the shares clause, and commas between payers', () => {
    expect(parse('@mum 600 monthly on 1 from parents shares @ann:1, @ben:3 rent')).toMatchObject({
      note: 'rent',
      shares: { fund: 'parents', payers: [{ weight: 1 }, { weight: 3 }] },
    });
    expect(parse('@mum 600 monthly on 1 rent from Parents shares @ann:1 @ben:1')).toMatchObject({
      note: 'rent',
      shares: { fund: 'Parents' },
    });
  });

  it('reads a payer shown by a text mention (no username) as that person', () => {
    const args = '@mum 600 weekly from parents shares Ben:2 @ann:1';
    const ben: Actor = { platform: 'telegram', userId: '42', displayName: 'Ben', isBot: false };
    const parsed = parse(args, [
      { username: 'mum', offset: 0, length: 4 },
      { user: ben, offset: args.indexOf('Ben'), length: 3 },
      { username: 'ann', offset: args.indexOf('@ann'), length: 4 },
    ]);
    expect(parsed).toMatchObject({
      recipient: user('mum'),
      shares: {
        payers: [
          { recipient: { kind: 'user', actor: ben }, weight: 2 },
          { recipient: user('ann'), weight: 1 },
        ],
      },
    });
  });

  it('reads the Chinese form: 来自 <基金> 分摊 @ann:1 …, with full-width colons too', () => {
    expect(parse('@mum 600 每月1号 来自 parents 分摊 @ann:1 @ben:1 @chen:2')).toMatchObject({
      spec: { cadence: { unit: 'monthday', day: 1 } },
      shares: { fund: 'parents', payers: [{ weight: 1 }, { weight: 1 }, { weight: 2 }] },
    });
    expect(parse('@mum 600 每月1号 来自父母分摊@ann：1 @ben：2 生活费')).toMatchObject({
      note: '生活费',
      shares: {
        fund: '父母',
        payers: [
          { recipient: user('ann'), weight: 1 },
          { recipient: user('ben'), weight: 2 },
        ],
      },
    });
  });

  it('refuses a payer without a weight, a weight that is not a positive whole number, and an empty list', () => {
    expect(parse('@mum 600 monthly on 1 from parents shares @ann @ben:1')).toEqual({
      fail: 'BadShares',
      detail: '@ann',
    });
    expect(parse('@mum 600 monthly on 1 from parents shares @ann:0 @ben:1')).toMatchObject({ fail: 'BadShares' });
    expect(parse('@mum 600 monthly on 1 from parents shares @ann:1.5')).toMatchObject({ fail: 'BadShares' });
    expect(parse('@mum 600 monthly on 1 from parents shares @ann:1001')).toMatchObject({ fail: 'BadShares' });
    expect(parse('@mum 600 monthly on 1 from parents shares')).toMatchObject({ fail: 'BadShares' });
  });

  it('leaves a single-payer /every as it was: "from" in a note is just a note', () => {
    expect(parse('@mum 50 monthly on 1 money from all of us')).toEqual({
      name: 'every',
      recipient: user('mum'),
      amount: { minor: 50_00n, currency: 'USD' },
      spec: { cadence: { unit: 'monthday', day: 1 } },
      note: 'money from all of us',
    });
  });
});

describe('the shared /every on Discord', () => {
  const MUM: Actor = { platform: 'discord', userId: '7', displayName: 'Mum', username: 'mum', isBot: false };
  const options = (extra: Record<string, string>) =>
    parseEvery(
      new Input({ ...event(''), options: { user: MUM, amount: '600', schedule: 'monthly on 1', ...extra } }),
      CONTEXT,
    );

  it('reads the fund and shares options as the clause they stand for', () => {
    expect(options({ fund: 'parents', shares: '@ann:1 @ben:2' })).toMatchObject({
      recipient: { kind: 'user', actor: MUM },
      shares: {
        fund: 'parents',
        payers: [
          { recipient: user('ann'), weight: 1 },
          { recipient: user('ben'), weight: 2 },
        ],
      },
    });
    expect(options({})).not.toHaveProperty('shares');
  });

  it('reads users picked from the Discord list, which the client writes as <@id> (or <@!id>)', () => {
    expect(
      options({ fund: 'parents', shares: '<@123456789012345678>:1 <@!223456789012345678>:2 @chen:1' }),
    ).toMatchObject({
      shares: {
        fund: 'parents',
        payers: [
          { recipient: { kind: 'id', userId: '123456789012345678' }, weight: 1 },
          { recipient: { kind: 'id', userId: '223456789012345678' }, weight: 2 },
          { recipient: user('chen'), weight: 1 },
        ],
      },
    });
  });

  it('refuses shares without a fund, a fund without shares, and words that are not payers', () => {
    expect(options({ shares: '@ann:1' })).toMatchObject({ fail: 'BadShares' });
    expect(options({ fund: 'parents' })).toMatchObject({ fail: 'BadShares' });
    expect(options({ fund: 'parents', shares: '@ann:1 and ben' })).toMatchObject({ fail: 'BadShares' });
  });
});
