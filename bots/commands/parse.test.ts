import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAmount, parseMaxAmount, type AmountError, type MaxAmount } from '../../core/money/index.js';
import { parseCommand, type CommandEvent, type ParseContext, type Parsed } from './parse.js';
import type { Actor, Mention } from './types.js';

function maxOf(spec: string): MaxAmount {
  const parsed = parseMaxAmount(spec, 'USD');
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

// 2025-03-10 12:00 UTC = 20:00 in Shanghai, 08:00 in New York (EDT since 2025-03-09).
const NOW = new Date('2025-03-10T12:00:00Z');
const CONTEXT: ParseContext = { defaultCurrency: 'USD', max: maxOf('10000'), now: NOW, timeZone: 'UTC' };

const actor = (userId: string, displayName: string, username?: string, isBot = false): Actor => ({
  platform: 'telegram',
  userId,
  displayName,
  username,
  isBot,
});

const ALICE = actor('1001', 'Alice Liddell', 'alice');
const BOB = actor('1002', 'Bob Builder', 'bob');
const CAROL = actor('1003', 'Carol', 'carol');
const BOT = actor('9999', 'chipin', 'chipin_bot', true);

interface EventInput {
  mentions?: Mention[];
  replyTo?: Actor;
  options?: CommandEvent['options'];
}

function event(command: string, args: string, input: EventInput = {}): CommandEvent {
  return {
    type: 'command',
    key: 'tg:1:1',
    actor: ALICE,
    chat: { platform: 'telegram', chatId: '-100', kind: 'group' },
    command,
    args,
    mentions: input.mentions ?? [],
    replyTo: input.replyTo,
    options: input.options,
  };
}

/** `/pay @bob <args>` with the username mention entity Telegram would send. */
function payBob(rest: string, context = CONTEXT): Parsed {
  const args = `@bob ${rest}`;
  return parseCommand(event('pay', args, { mentions: [{ username: 'bob', offset: 0, length: 4 }] }), context);
}

function command(parsed: Parsed) {
  if (!parsed.ok) throw new Error(`expected a command, got ${parsed.error}`);
  return parsed.command;
}

function error(parsed: Parsed) {
  if (parsed.ok)
    throw new Error(
      `expected an error, got ${JSON.stringify(parsed.command, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`,
    );
  return parsed.error;
}

describe('/pay amounts follow the SPEC §5 grammar', () => {
  const rejected: Array<[string, AmountError | 'AmbiguousAmount']> = [
    ['0', 'Zero'],
    ['0.00', 'Zero'],
    ['-0', 'Zero'],
    ['-5', 'Negative'],
    ['−5', 'Negative'],
    ['+5', 'LeadingPlus'],
    ['1e3', 'Exponent'],
    ['1e309', 'Exponent'],
    ['0x10', 'Hex'],
    ['NaN', 'NotANumber'],
    ['Infinity', 'NotANumber'],
    ['1,25', 'BadGrouping'],
    ['12.5.5', 'MultipleDecimalPoints'],
    ['1.005', 'TooManyDecimals'],
    ['0.1+0.2', 'Malformed'],
    ['0.' + '1'.repeat(30), 'TooManyDecimals'],
    ['9007199254740993', 'TooLarge'],
    ['10000.01', 'TooLarge'],
    ['20 XYZ', 'UnknownCurrency'],
    ['20xyz', 'UnknownCurrency'],
    ['20 rmb', 'UnknownCurrency'],
    ['٥', 'ForeignDigits'],
    ['١٠', 'ForeignDigits'],
    ['1\u200d0', 'Malformed'],
    ['\u202e01', 'Malformed'],
    ['5 USD 10', 'AmbiguousAmount'],
    ['20 3 coffees', 'AmbiguousAmount'],
  ];
  for (const [form, reason] of rejected) {
    it(`refuses ${JSON.stringify(form)} as ${reason}`, () => {
      expect(error(payBob(form))).toBe(reason);
    });
  }

  it('refuses a missing amount', () => {
    expect(error(payBob(''))).toBe('MissingAmount');
  });

  const accepted: Array<[string, bigint, string, string | undefined]> = [
    ['20', 2000n, 'USD', undefined],
    ['12.50 lunch', 1250n, 'USD', 'lunch'],
    ['1,250.75 USD rent', 125075n, 'USD', 'rent'],
    ['USD 20 for tea', 2000n, 'USD', 'for tea'],
    ['20 usd', 2000n, 'USD', undefined],
    ['20 for lunch', 2000n, 'USD', 'for lunch'],
    ['２０', 2000n, 'USD', undefined],
    ['１，２５０．７５', 125075n, 'USD', undefined],
    ['$ 5 coffee', 500n, 'USD', 'coffee'],
    ['¥100 晚饭', 10000n, 'CNY', '晚饭'],
    ['100 元 奶茶', 10000n, 'CNY', '奶茶'],
    ['520.0 JPY', 520n, 'JPY', undefined],
    ['20.500', 2050n, 'USD', undefined],
  ];
  for (const [form, minor, currency, note] of accepted) {
    it(`reads ${JSON.stringify(form)}`, () => {
      expect(command(payBob(form))).toEqual({
        name: 'pay',
        recipient: { kind: 'username', username: 'bob' },
        amount: { minor, currency },
        note,
      });
    });
  }
});

describe('/pay recipients', () => {
  it('takes the author of the replied-to message', () => {
    const parsed = command(parseCommand(event('pay', '5 thanks', { replyTo: BOB }), CONTEXT));
    expect(parsed).toMatchObject({ name: 'pay', recipient: { kind: 'user', actor: BOB }, note: 'thanks' });
  });

  it('prefers the reply-to author (with an id) over a mention of the same person', () => {
    const parsed = parseCommand(
      event('pay', '@bob 5', { replyTo: BOB, mentions: [{ username: 'bob', offset: 0, length: 4 }] }),
      CONTEXT,
    );
    expect(command(parsed)).toMatchObject({ recipient: { kind: 'user', actor: BOB } });
  });

  it('prefers a text_mention (with an id) over an @username of the same person', () => {
    const parsed = parseCommand(
      event('pay', 'Bob @bob 5', {
        mentions: [
          { user: BOB, offset: 0, length: 3 },
          { username: 'bob', offset: 4, length: 4 },
        ],
      }),
      CONTEXT,
    );
    expect(command(parsed)).toMatchObject({ recipient: { kind: 'user', actor: BOB } });
  });

  it('refuses a reply to one person that mentions another', () => {
    const parsed = parseCommand(
      event('pay', '@carol 5', { replyTo: BOB, mentions: [{ username: 'carol', offset: 0, length: 6 }] }),
      CONTEXT,
    );
    expect(error(parsed)).toBe('AmbiguousRecipient');
  });

  it('lets a mention win over a reply to the bot’s own message', () => {
    const parsed = parseCommand(
      event('pay', '@carol 5', { replyTo: BOT, mentions: [{ username: 'carol', offset: 0, length: 6 }] }),
      CONTEXT,
    );
    expect(command(parsed)).toMatchObject({ recipient: { kind: 'username', username: 'carol' } });
  });

  it('passes a reply to a bot on, so the core can refuse paying a bot', () => {
    const parsed = parseCommand(event('pay', '5', { replyTo: BOT }), CONTEXT);
    expect(command(parsed)).toMatchObject({ recipient: { kind: 'user', actor: BOT } });
  });

  it('takes a text_mention by its id, never by the name shown', () => {
    const parsed = parseCommand(
      event('pay', 'Bob Builder 7.25 pizza', { mentions: [{ user: BOB, offset: 0, length: 11 }] }),
      CONTEXT,
    );
    expect(command(parsed)).toEqual({
      name: 'pay',
      recipient: { kind: 'user', actor: BOB },
      amount: { minor: 725n, currency: 'USD' },
      note: 'pizza',
    });
  });

  it('finds a text_mention without offsets by the display name', () => {
    const parsed = parseCommand(event('pay', 'Bob 3', { mentions: [{ user: BOB }] }), CONTEXT);
    expect(command(parsed)).toMatchObject({ recipient: { kind: 'user', actor: BOB }, amount: { minor: 300n } });
  });

  it('finds an @username mention without offsets', () => {
    const parsed = parseCommand(event('pay', '@Bob 3 tea', { mentions: [{ username: 'Bob' }] }), CONTEXT);
    expect(command(parsed)).toMatchObject({ recipient: { kind: 'username', username: 'bob' }, note: 'tea' });
  });

  it('refuses two people before the amount', () => {
    const parsed = parseCommand(
      event('pay', '@bob @carol 5', {
        mentions: [
          { username: 'bob', offset: 0, length: 4 },
          { username: 'carol', offset: 5, length: 6 },
        ],
      }),
      CONTEXT,
    );
    expect(error(parsed)).toBe('TooManyMentions');
  });

  it('keeps a mention after the amount in the note', () => {
    const parsed = parseCommand(
      event('pay', '@bob 5 dinner with @carol', {
        mentions: [
          { username: 'bob', offset: 0, length: 4 },
          { username: 'carol', offset: 19, length: 6 },
        ],
      }),
      CONTEXT,
    );
    expect(command(parsed)).toMatchObject({ recipient: { username: 'bob' }, note: 'dinner with @carol' });
  });

  it('accepts the recipient right after the amount', () => {
    const parsed = parseCommand(
      event('pay', '5 @bob lunch', { mentions: [{ username: 'bob', offset: 2, length: 4 }] }),
      CONTEXT,
    );
    expect(command(parsed)).toMatchObject({ recipient: { username: 'bob' }, amount: { minor: 500n }, note: 'lunch' });
  });

  it('never reads a display name typed as text as a recipient', () => {
    expect(error(parseCommand(event('pay', 'Bob 5'), CONTEXT))).toBe('MissingRecipient');
  });

  it('refuses /pay with no one to pay', () => {
    expect(error(parseCommand(event('pay', '5'), CONTEXT))).toBe('MissingRecipient');
  });
});

describe('/pay notes', () => {
  it('strips control, zero-width and direction-override characters', () => {
    const parsed = command(payBob('5 pi\u200bzza\u202e \u0007for\u2066 all\n\tof us'));
    expect(parsed).toMatchObject({ note: 'pizza for all of us' });
  });

  it('accepts 200 characters and refuses 201', () => {
    expect(command(payBob(`5 ${'好'.repeat(200)}`))).toMatchObject({ note: '好'.repeat(200) });
    expect(error(payBob(`5 ${'a'.repeat(201)}`))).toBe('NoteTooLong');
  });

  it('drops a note made only of invisible characters', () => {
    expect(command(payBob('5 \u200b\u200d'))).toMatchObject({ note: undefined });
  });
});

describe('/request deadlines', () => {
  const request = (rest: string, timeZone = 'UTC') =>
    parseCommand(event('request', `@bob ${rest}`, { mentions: [{ username: 'bob', offset: 0, length: 4 }] }), {
      ...CONTEXT,
      timeZone,
    });

  const cases: Array<[string, string, string]> = [
    ['20 tickets by 8pm', 'UTC', '2025-03-10T20:00:00.000Z'],
    ['20 tickets by 8:30 pm', 'UTC', '2025-03-10T20:30:00.000Z'],
    ['20 tickets by 20:00', 'UTC', '2025-03-10T20:00:00.000Z'],
    ['20 by tomorrow 9am', 'UTC', '2025-03-11T09:00:00.000Z'],
    ['20 by tomorrow at 9am', 'UTC', '2025-03-11T09:00:00.000Z'],
    ['20 by tomorrow', 'UTC', '2025-03-11T12:00:00.000Z'],
    ['20 by midnight', 'UTC', '2025-03-11T00:00:00.000Z'],
    ['20 in 2h', 'UTC', '2025-03-10T14:00:00.000Z'],
    ['20 in 90 minutes', 'UTC', '2025-03-10T13:30:00.000Z'],
    ['20 in 1 day', 'UTC', '2025-03-11T12:00:00.000Z'],
    // 20:00 in Shanghai is now: "by 9pm" there is 13:00 UTC.
    ['20 by 9pm', 'Asia/Shanghai', '2025-03-10T13:00:00.000Z'],
    ['20 by tomorrow 9am', 'Asia/Shanghai', '2025-03-11T01:00:00.000Z'],
    // New York is on EDT (UTC−4) since the day before.
    ['20 by 8pm', 'America/New_York', '2025-03-11T00:00:00.000Z'],
    ['20 午饭 明天9点前', 'Asia/Shanghai', '2025-03-11T01:00:00.000Z'],
    ['20 2小时内', 'Asia/Shanghai', '2025-03-10T14:00:00.000Z'],
    // Chinese deadlines: 晚上/下午 put 1–11 o'clock after noon; a day alone lasts until 23:59 that day.
    ['20 奶茶 晚上8点前', 'UTC', '2025-03-10T20:00:00.000Z'],
    ['20 奶茶晚上8点前', 'UTC', '2025-03-10T20:00:00.000Z'],
    ['20 奶茶 晚上八点半前', 'UTC', '2025-03-10T20:30:00.000Z'],
    ['20 下午3点前', 'UTC', '2025-03-10T15:00:00.000Z'],
    ['20 奶茶 明天中午前', 'Asia/Shanghai', '2025-03-11T04:00:00.000Z'],
    ['20 奶茶 明天 中午前', 'Asia/Shanghai', '2025-03-11T04:00:00.000Z'],
    ['20 两小时内', 'Asia/Shanghai', '2025-03-10T14:00:00.000Z'],
    // Monday 2025-03-10: 下周五 is the Friday of next week, 周五 this one.
    ['20 下周五前', 'Asia/Shanghai', '2025-03-21T15:59:00.000Z'],
    ['20 周五前', 'UTC', '2025-03-14T23:59:00.000Z'],
    ['20 奶茶 今晚', 'UTC', '2025-03-10T23:59:00.000Z'],
    ['20 今晚8点前', 'UTC', '2025-03-10T20:00:00.000Z'],
    ['20 12月24日前', 'UTC', '2025-12-24T23:59:00.000Z'],
    ['20 房租 月底前', 'UTC', '2025-03-31T23:59:00.000Z'],
    // English beyond `by 8pm`.
    ['20 lunch by friday', 'UTC', '2025-03-14T23:59:00.000Z'],
    ['20 lunch by next friday', 'UTC', '2025-03-21T23:59:00.000Z'],
    ['20 lunch by friday 5pm', 'UTC', '2025-03-14T17:00:00.000Z'],
    ['20 gifts by dec 24', 'UTC', '2025-12-24T23:59:00.000Z'],
    ['20 lunch in 2 hours', 'UTC', '2025-03-10T14:00:00.000Z'],
    ['20 movie tonight', 'UTC', '2025-03-10T23:59:00.000Z'],
  ];
  for (const [rest, zone, at] of cases) {
    it(`reads "${rest}" in ${zone}`, () => {
      const parsed = command(request(rest, zone));
      expect(parsed).toMatchObject({ name: 'request', amount: { minor: 2000n } });
      expect(parsed.name === 'request' && parsed.by?.toISOString()).toBe(at);
    });
  }

  it('keeps the note before the deadline', () => {
    expect(command(request('20 concert tickets by 8pm'))).toMatchObject({ note: 'concert tickets' });
    expect(command(request('8 奶茶 晚上8点前'))).toMatchObject({ note: '奶茶' });
    expect(command(request('8 奶茶晚上8点前'))).toMatchObject({ note: '奶茶' });
    expect(command(request('8 奶茶 明天 中午前'))).toMatchObject({ note: '奶茶' });
    expect(command(request('20 movie tonight'))).toMatchObject({ note: 'movie' });
  });

  it('leaves notes that only mention a time in the note, with no deadline', () => {
    const notes = [
      'dinner tomorrow',
      'dinner by the lake',
      'by next door',
      'gift by tom',
      'cake by jan',
      '饭前',
      '春节前',
    ];
    for (const note of notes) {
      const parsed = command(request(`20 ${note}`));
      expect(parsed, note).toMatchObject({ note });
      expect(parsed.name === 'request' && parsed.by, note).toBeUndefined();
    }
  });

  it('refuses what looks like a deadline but cannot be read, naming the words', () => {
    const refused = (rest: string) => {
      const parsed = request(rest);
      if (parsed.ok) throw new Error(`expected a refusal for ${rest}`);
      return { error: parsed.error, detail: parsed.detail };
    };
    expect(refused('20 lunch by 8pmm')).toEqual({ error: 'BadDeadline', detail: 'by 8pmm' });
    expect(refused('20 lunch by fridy')).toEqual({ error: 'BadDeadline', detail: 'by fridy' });
    expect(refused('8 奶茶 周末前')).toEqual({ error: 'BadDeadline', detail: '周末前' });
    expect(refused('8 奶茶 晚上25点前')).toEqual({ error: 'BadDeadline', detail: '晚上25点前' });
  });

  it('reads 晚上 and 下午 hours as after noon, 上午 as before, for every hour', () => {
    const early = { ...CONTEXT, now: new Date('2025-03-10T00:30:00Z') };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 11 }), fc.constantFrom('晚上', '下午', '上午'), (hour, period) => {
        const parsed = parseCommand(
          event('request', `@bob 8 奶茶 ${period}${hour}点前`, {
            mentions: [{ username: 'bob', offset: 0, length: 4 }],
          }),
          early,
        );
        const expected = new Date(Date.UTC(2025, 2, 10, period === '上午' ? hour : hour + 12, 0));
        expect(command(parsed)).toMatchObject({ note: '奶茶', by: expected });
      }),
    );
  });

  it('splits any plain note from any deadline it reads, whatever the order of the two', () => {
    const clauses = [
      'by 8pm',
      'by friday',
      'in 2 hours',
      'by tomorrow 9am',
      '晚上8点前',
      '明天中午前',
      '2小时内',
      '下周五前',
    ];
    const words = fc.constantFrom('coffee', 'tickets', 'dinner', 'in', 'by', 'the', 'lake', 'paris', '奶茶', '电影票');
    fc.assert(
      fc.property(fc.array(words, { minLength: 1, maxLength: 4 }), fc.constantFrom(...clauses), (note, clause) => {
        fc.pre(!['in', 'by'].includes(note.at(-1) ?? ''));
        const alone = command(request(`20 ${clause}`));
        const parsed = command(request(`20 ${note.join(' ')} ${clause}`));
        expect(parsed).toMatchObject({ note: note.join(' ') });
        expect(parsed.name === 'request' && parsed.by).toEqual(alone.name === 'request' && alone.by);
      }),
    );
  });

  it('leaves words like "in paris" in the note', () => {
    const parsed = command(request('20 dinner in paris'));
    expect(parsed).toMatchObject({ note: 'dinner in paris' });
    expect(parsed.name === 'request' && parsed.by).toBeUndefined();
  });

  it('refuses a garbled deadline', () => {
    expect(error(request('20 by 25:00'))).toBe('BadDeadline');
    expect(error(request('20 by 8pm tonight'))).toBe('BadDeadline');
    expect(error(request('20 in 2 fortnights'))).toBe('BadDeadline');
  });

  it('refuses a time that has passed today', () => {
    expect(error(request('20 by 9am'))).toBe('DeadlineInPast');
    expect(error(request('8 奶茶 晚上7点前', 'Asia/Shanghai'))).toBe('DeadlineInPast');
    expect(error(request('8 奶茶 中午前'))).toBe('DeadlineInPast');
  });

  it('reads the Discord `by` option with the same deadlines, and names one it cannot read', () => {
    const by = (value: string) =>
      parseCommand(event('request', '', { options: { user: BOB, amount: '8', note: '奶茶', by: value } }), CONTEXT);
    expect(command(by('晚上8点'))).toMatchObject({ note: '奶茶', by: new Date('2025-03-10T20:00:00Z') });
    expect(command(by('friday'))).toMatchObject({ by: new Date('2025-03-14T23:59:00Z') });
    expect(command(by('明天中午前'))).toMatchObject({ by: new Date('2025-03-11T12:00:00Z') });
    const refused = by('8pmm');
    expect(refused.ok ? undefined : { error: refused.error, detail: refused.detail }).toEqual({
      error: 'BadDeadline',
      detail: '8pmm',
    });
  });

  it('takes Discord options: user, amount, note, by', () => {
    const parsed = parseCommand(
      event('request', '', { options: { user: BOB, amount: '20 EUR', note: 'tickets', by: 'in 3h' } }),
      CONTEXT,
    );
    expect(command(parsed)).toEqual({
      name: 'request',
      recipient: { kind: 'user', actor: BOB },
      amount: { minor: 2000n, currency: 'EUR' },
      note: 'tickets',
      by: new Date('2025-03-10T15:00:00Z'),
    });
  });
});

describe('Discord options use the same grammar', () => {
  it('reads /pay with a USER option', () => {
    const parsed = parseCommand(event('pay', '', { options: { user: CAROL, amount: '1,250.75' } }), CONTEXT);
    expect(command(parsed)).toMatchObject({ recipient: { actor: CAROL }, amount: { minor: 125075n } });
  });

  it('refuses the same amounts', () => {
    const parsed = parseCommand(event('pay', '', { options: { user: CAROL, amount: '1e3' } }), CONTEXT);
    expect(error(parsed)).toBe('Exponent');
  });

  it('refuses a missing user', () => {
    expect(error(parseCommand(event('pay', '', { options: { amount: '5' } }), CONTEXT))).toBe('MissingRecipient');
  });

  it('reads a numeric count', () => {
    expect(command(parseCommand(event('history', '', { options: { count: 25 } }), CONTEXT))).toEqual({
      name: 'history',
      count: 25,
    });
  });
});

describe('other commands', () => {
  const parse = (name: string, args = '') => parseCommand(event(name, args), CONTEXT);

  it('reads /history counts from 1 to 50, 10 by default', () => {
    expect(command(parse('history'))).toEqual({ name: 'history', count: 10 });
    expect(command(parse('history', '50'))).toEqual({ name: 'history', count: 50 });
    expect(command(parse('history', '３'))).toEqual({ name: 'history', count: 3 });
    for (const bad of ['0', '51', '-1', 'ten', '2.5', '5 6']) expect(error(parse('history', bad))).toBe('BadCount');
  });

  it('reads /faucet amounts', () => {
    expect(command(parse('faucet', '100'))).toEqual({ name: 'faucet', amount: { minor: 10000n, currency: 'USD' } });
    expect(error(parse('faucet'))).toBe('MissingAmount');
    expect(error(parse('faucet', '-1'))).toBe('Negative');
  });

  it('reads /start with and without a deep-link payload', () => {
    expect(command(parse('start'))).toEqual({ name: 'start', payload: undefined });
    expect(command(parse('start', 'claim_ab-1'))).toEqual({ name: 'start', payload: 'claim_ab-1' });
    expect(command(parse('start', 'no spaces allowed'))).toEqual({ name: 'start', payload: undefined });
  });

  it('reads /link with and without a code', () => {
    expect(command(parse('link'))).toEqual({ name: 'link' });
    expect(command(parse('link', 'k7m2q9xp'))).toEqual({ name: 'link', code: 'K7M2Q9XP' });
    expect(error(parse('link', 'short'))).toBe('BadLinkCode');
  });

  it('reads the simple commands and names unknown ones', () => {
    for (const name of ['help', 'balance', 'export']) expect(command(parse(name))).toEqual({ name });
    expect(command(parse('teleport', 'me'))).toEqual({ name: 'unknown', command: 'teleport' });
  });

  it('reads /settings and each change', () => {
    expect(command(parse('settings'))).toEqual({ name: 'settings', change: undefined });
    expect(command(parse('settings', 'language zh'))).toEqual({
      name: 'settings',
      change: { setting: 'language', locale: 'zh-CN' },
    });
    expect(command(parse('settings', '语言 英文'))).toMatchObject({ change: { setting: 'language', locale: 'en' } });
    expect(command(parse('settings', 'timezone asia/shanghai'))).toMatchObject({
      change: { setting: 'timezone', timezone: 'Asia/Shanghai' },
    });
    expect(command(parse('settings', 'quiet 22:00-07:00'))).toMatchObject({
      change: { setting: 'quiet', quietHours: { start: 1320, end: 420 } },
    });
    expect(command(parse('settings', 'quiet off'))).toMatchObject({ change: { setting: 'quiet', quietHours: null } });
    expect(command(parse('settings', 'confirm 0'))).toMatchObject({
      change: { setting: 'confirm', threshold: { minor: 0n, currency: 'USD' } },
    });
    expect(command(parse('settings', 'confirm 50'))).toMatchObject({
      change: { setting: 'confirm', threshold: { minor: 5000n, currency: 'USD' } },
    });
  });

  it('refuses bad /settings values with a reason', () => {
    expect(error(parse('settings', 'volume 11'))).toBe('BadSetting');
    expect(error(parse('settings', 'language klingon'))).toBe('BadLanguage');
    expect(error(parse('settings', 'timezone Mars/Olympus'))).toBe('BadTimezone');
    expect(error(parse('settings', 'quiet 25:00-07:00'))).toBe('BadQuietHours');
    expect(error(parse('settings', 'confirm 50 EUR'))).toBe('BadThreshold');
    expect(error(parse('settings', 'confirm -5'))).toBe('Negative');
  });
});

describe('/pay under fuzzing (RELIABILITY C3)', () => {
  const LIMIT = maxOf('10000').perCurrency.get('USD') ?? 0n;
  const tokens = fc.oneof(
    fc.string(),
    fc.stringMatching(/^[-+−]?[$¥€£]?[0-9０-９٠-٩.,eE_x]{0,12}\s?(?:usd|USD|JPY|元|abc)?$/),
    fc.constantFrom(
      '-0',
      '0',
      'NaN',
      'Infinity',
      '1e309',
      '0.1+0.2',
      '9007199254740993',
      '1,000.50',
      '5 USD 10',
      '\u200b5',
      '\u202e5',
    ),
  );

  it('accepts only positive amounts within the limit, in a known currency', () => {
    fc.assert(
      fc.property(tokens, fc.string({ maxLength: 30 }), (amount, note) => {
        const parsed = payBob(`${amount} ${note}`);
        if (!parsed.ok) return;
        const command = parsed.command;
        if (command.name !== 'pay') throw new Error('not a pay');
        expect(command.amount.minor > 0n).toBe(true);
        if (command.amount.currency === 'USD') expect(command.amount.minor <= LIMIT).toBe(true);
        expect(typeof command.amount.minor).toBe('bigint');
      }),
      { numRuns: 3000 },
    );
  });

  it('reads back every formatted amount it accepts as the same amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: LIMIT }), (minor) => {
        const text = formatAmount({ minor, currency: 'USD' });
        expect(command(payBob(text))).toMatchObject({ amount: { minor, currency: 'USD' } });
      }),
    );
  });
});

describe('/every, /schedules, /cancel', () => {
  const every = (rest: string) =>
    parseCommand(event('every', `@bob ${rest}`, { mentions: [{ username: 'bob', offset: 0, length: 4 }] }), CONTEXT);

  it('reads the recipient, the amount, the schedule with its end, and the note', () => {
    expect(command(every('50 monthly on 1 until 2025-12-31 rent'))).toEqual({
      name: 'every',
      recipient: { kind: 'username', username: 'bob' },
      amount: { minor: 5_000n, currency: 'USD' },
      spec: { cadence: { unit: 'monthday', day: 1 }, end: { until: '2025-12-31' } },
      note: 'rent',
    });
    expect(command(every('20 every friday'))).toMatchObject({
      spec: { cadence: { unit: 'weekday', weekday: 'fr', interval: 1 } },
    });
    expect(command(every('500元 每两周 共6次 生活费'))).toMatchObject({
      amount: { minor: 50_000n, currency: 'CNY' },
      spec: { cadence: { unit: 'week', interval: 2 }, end: { count: 6 } },
      note: '生活费',
    });
    expect(command(every('20 every friday at 6pm pizza'))).toMatchObject({
      spec: { cadence: { unit: 'weekday', weekday: 'fr', interval: 1 }, time: { hour: 18, minute: 0 } },
      note: 'pizza',
    });
    expect(command(every('500元 每月1号 晚上8点 房租'))).toMatchObject({
      spec: { cadence: { unit: 'monthday', day: 1 }, time: { hour: 20, minute: 0 } },
      note: '房租',
    });
  });

  it('refuses a schedule it cannot read, naming the words; a missing schedule; an ambiguous amount', () => {
    expect(every('50 fortnightly rent')).toEqual({
      ok: false,
      command: 'every',
      error: 'BadSchedule',
      detail: 'fortnightly rent',
    });
    expect(every('50')).toMatchObject({ ok: false, error: 'MissingSchedule' });
    expect(every('50 daily until whenever')).toMatchObject({ ok: false, error: 'BadScheduleEnd' });
    expect(every('50 daily at 26:00')).toEqual({
      ok: false,
      command: 'every',
      error: 'BadScheduleTime',
      detail: 'at 26:00',
    });
    expect(every('50 10 daily')).toMatchObject({ ok: false, error: 'AmbiguousAmount' });
    expect(parseCommand(event('every', '50 daily'), CONTEXT)).toMatchObject({ ok: false, error: 'MissingRecipient' });
  });

  it('takes Discord options: user, amount, schedule, note', () => {
    const parsed = parseCommand(
      event('every', '', { options: { user: BOB, amount: '12.50', schedule: 'weekly', note: 'lunch money' } }),
      CONTEXT,
    );
    expect(command(parsed)).toEqual({
      name: 'every',
      recipient: { kind: 'user', actor: BOB },
      amount: { minor: 1_250n, currency: 'USD' },
      spec: { cadence: { unit: 'week', interval: 1 } },
      note: 'lunch money',
    });
  });

  it('/cancel takes a schedule number (also #12); /schedules takes nothing', () => {
    expect(command(parseCommand(event('cancel', '12'), CONTEXT))).toEqual({ name: 'cancel', id: 12n });
    expect(command(parseCommand(event('cancel', '#12'), CONTEXT))).toEqual({ name: 'cancel', id: 12n });
    expect(parseCommand(event('cancel', ''), CONTEXT)).toMatchObject({ ok: false, error: 'BadScheduleId' });
    expect(parseCommand(event('cancel', 'rent'), CONTEXT)).toMatchObject({ ok: false, error: 'BadScheduleId' });
    expect(command(parseCommand(event('schedules', ''), CONTEXT))).toEqual({ name: 'schedules' });
  });
});
