import { describe, expect, it } from 'vitest';
import type { PayOutcome, TemplateKey, TemplateParams } from '../../core/index.js';
import { LOCALES, type Locale } from '../i18n/index.js';
import { PARSE_ERRORS } from './parse.js';
import { renderPayOutcome } from './pay/render.js';
import { PARSE_ERROR_KEYS, TEXT_LIMIT, renderNotification, renderParseError, truncate, type Reader } from './render.js';
import { renderRequestOutcome } from './request/render.js';
import { renderCadence, renderEveryOutcome, renderSchedules } from './schedules/render.js';
import { renderSettings } from './settings/render.js';
import { renderBalances, renderHistory, type HistoryView } from './wallet/render.js';

const EN: Reader = { locale: 'en', timeZone: 'Asia/Shanghai' };
const ZH: Reader = { locale: 'zh-CN', timeZone: 'Asia/Shanghai' };
const usd = (minor: bigint) => ({ minor, currency: 'USD' });

describe('renderBalances', () => {
  const lines = [
    { currency: 'USD', available: usd(125075n), pendingIn: usd(0n), pendingOut: usd(500n) },
    {
      currency: 'JPY',
      available: { minor: 520n, currency: 'JPY' },
      pendingIn: { minor: 0n, currency: 'JPY' },
      pendingOut: { minor: 0n, currency: 'JPY' },
    },
  ];

  it('shows available first, then pending in and out, with the same amounts in both languages', () => {
    const en = renderBalances(EN, lines).text;
    expect(en).toBe(
      [
        'Your balance',
        '• 1,250.75 USD available',
        '   pending in: 0.00 USD',
        '   pending out: 5.00 USD',
        '• 520 JPY available',
        '   pending in: 0 JPY',
        '   pending out: 0 JPY',
      ].join('\n'),
    );
    const zh = renderBalances(ZH, lines).text;
    expect(zh).toContain('可用 1,250.75 USD');
    expect(zh).toContain('待转出：5.00 USD');
    expect(zh.indexOf('可用')).toBeLessThan(zh.indexOf('待入账'));
    expect(zh.indexOf('待入账')).toBeLessThan(zh.indexOf('待转出'));
  });
});

describe('renderHistory', () => {
  const at = new Date('2025-11-25T12:00:00Z');
  const entries: HistoryView[] = [
    {
      at,
      direction: 'in',
      amount: usd(1250n),
      party: { type: 'person', name: 'Bob' },
      note: 'lunch',
      kind: 'pay',
      reverses: null,
      state: 'completed',
    },
    {
      at,
      direction: 'out',
      amount: usd(500n),
      party: { type: 'claim', username: 'carol', claimed: false },
      note: null,
      kind: 'claim.hold',
      reverses: null,
      state: 'pending',
    },
    {
      at,
      direction: 'in',
      amount: usd(10000n),
      party: { type: 'system', name: 'faucet' },
      note: null,
      kind: 'faucet',
      reverses: null,
      state: 'completed',
    },
    {
      at,
      direction: 'out',
      amount: usd(300n),
      party: { type: 'person', name: 'Dan' },
      note: null,
      kind: 'pay',
      reverses: null,
      state: 'undone',
    },
  ];

  it('lists entries newest first with local times and localised counterparts', () => {
    expect(renderHistory(EN, entries).text).toBe(
      [
        'Your last 4 transactions:',
        'Nov 25, 20:00  +12.50 USD from Bob — lunch',
        'Nov 25, 20:00  −5.00 USD to @carol (unclaimed) (pending)',
        'Nov 25, 20:00  +100.00 USD from demo faucet',
        'Nov 25, 20:00  −3.00 USD to Dan (undone)',
      ].join('\n'),
    );
    const zh = renderHistory(ZH, entries).text;
    expect(zh).toContain('11月25日 20:00  +12.50 USD 来自 Bob — lunch');
    expect(zh).toContain('@carol（未领取） （处理中）');
    expect(zh).toContain('演示资金');
  });

  it('shows an undone payment once as undone and its reversal as money given back, never as a new payment', () => {
    // The payer undid 25.00 USD to Bob: their original line and the reversal (which carries the payment's note).
    const payer: HistoryView[] = [
      { ...entries[0]!, direction: 'in', amount: usd(2500n), kind: 'pay.undo', reverses: 7n, note: 'rent' },
      { ...entries[0]!, direction: 'out', amount: usd(2500n), kind: 'pay', state: 'undone', note: 'rent' },
    ];
    expect(renderHistory(EN, payer).text).toBe(
      [
        'Your last 2 transactions:',
        'Nov 25, 20:00  ↩️ 25.00 USD back from Bob (you undid your payment) — rent',
        'Nov 25, 20:00  −25.00 USD to Bob (undone) — rent',
      ].join('\n'),
    );
    expect(renderHistory(ZH, payer).text).toContain('11月25日 20:00  ↩️ Bob 退回 25.00 USD （你撤销了转账） — rent');
    // Bob, who received it, sees Alice take it back.
    const recipient: HistoryView[] = [
      { ...payer[0]!, direction: 'out', party: { type: 'person', name: 'Alice' } },
      { ...payer[1]!, direction: 'in', party: { type: 'person', name: 'Alice' } },
    ];
    const en = renderHistory(EN, recipient).text;
    expect(en).toContain('Nov 25, 20:00  ↩️ −25.00 USD: Alice took back their payment — rent');
    expect(en).toContain('Nov 25, 20:00  +25.00 USD from Alice (undone) — rent');
    expect(renderHistory(ZH, recipient).text).toContain('11月25日 20:00  ↩️ −25.00 USD：Alice 撤回了转账 — rent');
    // Any other reversal (a withdrawal the bank sent back) reads as money back too, without a reason it has no key for.
    const returned: HistoryView = {
      ...entries[2]!,
      amount: usd(12000n),
      party: { type: 'system', name: 'payouts' },
      kind: 'withdrawal.returned',
      reverses: 9n,
    };
    expect(renderHistory(EN, [returned]).text).toContain('↩️ 120.00 USD back from your bank (withdrawal)');
    expect(renderHistory(ZH, [returned]).text).toContain('↩️ 你的银行（提现） 退回 120.00 USD');
  });

  it('says so when there is nothing yet', () => {
    expect(renderHistory(ZH, []).text).toBe('还没有任何收支记录。');
  });

  it('fits one Telegram message, dropping the oldest lines with a pointer to /export', () => {
    const long = Array.from({ length: 50 }, (_, i): HistoryView => ({
      ...entries[0]!,
      note: `${i} ${'x'.repeat(190)}`,
    }));
    const text = renderHistory(EN, long).text;
    expect(text.length).toBeLessThanOrEqual(TEXT_LIMIT);
    expect(text).toMatch(/^Your last \d+ transactions:/);
    expect(text).toContain('/export');
    expect(text).toContain('— 0 x');
    expect(text).not.toContain('— 49 x');
  });
});

describe('renderPayOutcome', () => {
  const paid: PayOutcome = {
    type: 'paid',
    transferId: 1n,
    amount: usd(125075n),
    toPersonId: 2n,
    toName: 'Bob *bold* <b>',
    note: 'rent',
    undoActionId: 'A'.repeat(22),
    undoUntil: new Date(),
  };

  it('confirms a payment with an Undo button, in both languages, amounts unchanged', () => {
    expect(renderPayOutcome(EN, paid, { undoSeconds: 10 })).toEqual({
      text: '✅ Sent 1,250.75 USD to Bob *bold* <b>.\nNote: rent\nChanged your mind? Tap Undo within 10 seconds.',
      buttons: [[{ label: 'Undo', actionId: 'A'.repeat(22) }]],
    });
    const zh = renderPayOutcome(ZH, paid, { undoSeconds: 10 });
    expect(zh.text).toContain('1,250.75 USD');
    expect(zh.buttons).toEqual([[{ label: '撤销', actionId: 'A'.repeat(22) }]]);
  });

  it('a confirm card shows what a person can check: name, @username and where they were seen, never a raw id', () => {
    const card = {
      type: 'confirm',
      actionId: 'C'.repeat(22),
      expiresAt: new Date(),
      reason: 'username',
      amount: usd(5000n),
      toName: 'Mallory',
      toPersonId: 7n,
      toUserId: '5550001',
      toUsername: 'alice',
      seen: { here: true, since: new Date('2026-12-01T12:00:00Z') },
      changedHands: false,
      note: null,
    } as const;
    const zh = renderPayOutcome(ZH, card, { undoSeconds: 10, inGroup: true });
    expect(zh.text).toContain('Mallory（@alice，2026年12月1日起在本群）');
    expect(zh.text).toContain('50.00 USD');
    expect(zh.text).not.toContain('5550001');
    expect(zh.buttons).toEqual([[{ label: '确认', actionId: 'C'.repeat(22) }]]);
    const elsewhere = renderPayOutcome(
      EN,
      { ...card, seen: { here: false, since: card.seen.since } },
      {
        undoSeconds: 10,
        inGroup: true,
      },
    );
    expect(elsewhere.text).toBe(
      'Send 50.00 USD to Mallory (@alice, not seen in this chat; on chipin since Dec 1, 2026)?\nCheck it is them, then tap Confirm.',
    );
    const taken = renderPayOutcome(EN, { ...card, changedHands: true }, { undoSeconds: 10, inGroup: true });
    expect(taken.text).toContain('@alice now belongs to someone else than the person you paid as @alice before');
  });

  it('a refusal for lack of money says what the payer has', () => {
    const short = renderPayOutcome(
      EN,
      { type: 'rejected', error: 'InsufficientFunds', available: { minor: 7850n, currency: 'USD' } },
      { undoSeconds: 10 },
    );
    expect(short.text).toBe('Not enough money: you have 78.50 USD.');
    const zh = renderPayOutcome(
      ZH,
      { type: 'rejected', error: 'InsufficientFunds', available: { minor: 0n, currency: 'CNY' } },
      { undoSeconds: 10 },
    );
    expect(zh.text).toBe('余额不足：你只有 0.00 CNY。');
  });

  it('explains money held for an unseen @username, with the return date in the reader’s zone', () => {
    const held = renderPayOutcome(
      EN,
      {
        type: 'escrowed',
        claimId: 3n,
        amount: usd(1000n),
        username: 'newbie',
        platform: 'telegram',
        expiresAt: new Date('2025-11-26T12:00:00Z'),
        returnActionId: 'R'.repeat(22),
        note: null,
      },
      { undoSeconds: 10 },
    );
    expect(held.text).toContain('@newbie hasn');
    expect(held.text).toContain('10.00 USD');
    expect(held.text).toContain('Nov 26, 2025, 20:00');
    expect(held.buttons).toEqual([[{ label: 'Take it back', actionId: 'R'.repeat(22) }]]);
  });

  it('turns every refusal into a sentence, never a code', () => {
    const zh = renderPayOutcome(ZH, { type: 'rejected', error: 'InsufficientFunds' }, { undoSeconds: 10 });
    expect(zh.text).toBe('余额不足，请查看 /balance。');
  });
});

describe('renderRequestOutcome', () => {
  it('shows the deadline and the payer’s Pay / Decline buttons', () => {
    const msg = renderRequestOutcome(ZH, {
      type: 'requested',
      requestId: 1n,
      payActionId: 'P'.repeat(22),
      declineActionId: 'D'.repeat(22),
      dueAt: new Date('2025-11-25T12:00:00Z'),
      amount: usd(2000n),
      note: '电影票',
      payerPersonId: 2n,
      payerName: 'Bob',
      card: { ref: 'request:1', version: 1n },
    });
    expect(msg.text).toBe('📨 已向 Bob 收款 20.00 USD，对方需在 2025年11月25日 20:00 前处理。\n备注：电影票');
    expect(msg.buttons).toEqual([
      [
        { label: '付款', actionId: 'P'.repeat(22) },
        { label: '拒绝', actionId: 'D'.repeat(22) },
      ],
    ]);
  });
});

describe('a /request with no deadline typed', () => {
  const requested = {
    type: 'requested' as const,
    requestId: 1n,
    payActionId: 'P'.repeat(22),
    declineActionId: 'D'.repeat(22),
    dueAt: new Date('2025-11-25T12:00:00Z'),
    amount: usd(800n),
    note: 'lunch',
    payerPersonId: 2n,
    payerName: 'Bob',
    card: { ref: 'request:1', version: 1n },
  };

  it('says on the requester’s card that the default deadline was used', () => {
    expect(renderRequestOutcome(EN, { ...requested, defaultTtlMs: 24 * 3_600_000 }).text).toBe(
      '📨 Asked Bob for 8.00 USD. They have until Nov 25, 2025, 20:00 to answer (default: 24 h; add a deadline such as “by 8pm” or “in 2 hours” to choose).\nNote: lunch',
    );
    expect(renderRequestOutcome(ZH, { ...requested, defaultTtlMs: 24 * 3_600_000 }).text).toContain(
      '对方需在 2025年11月25日 20:00 前处理（默认 24 小时；',
    );
    expect(renderRequestOutcome(ZH, requested).text).not.toContain('默认');
  });

  it('says on the payer’s card that the default deadline was used', () => {
    const incoming = (params: Record<string, string>) =>
      renderNotification(
        'zh-CN',
        {
          key: 'request.incoming',
          params: { amount: '8.00 USD', from: 'Alice', dueAt: '2025-11-25T12:00:00.000Z', ...params },
        },
        { timeZone: 'Asia/Shanghai' },
      ).text;
    expect(incoming({ reason: 'default', hours: '24' })).toBe(
      '📨 Alice 向你收款 8.00 USD，请在 2025年11月25日 20:00 前处理（默认 24 小时）。',
    );
    expect(incoming({})).toBe('📨 Alice 向你收款 8.00 USD，请在 2025年11月25日 20:00 前处理。');
  });
});

describe('renderParseError', () => {
  it('names the deadline it cannot read, in both languages', () => {
    const context = { command: 'request', defaultCurrency: 'USD', noteMax: 200, detail: 'by 8pmm' };
    expect(renderParseError(EN, 'BadDeadline', context).text).toBe(
      'I can’t read the deadline “by 8pmm”: try by 8pm, in 2 hours, by friday, by tomorrow 9am. Nothing was sent.',
    );
    expect(renderParseError(ZH, 'BadDeadline', { ...context, detail: '晚上25点前' }).text).toBe(
      '看不懂截止时间“晚上25点前”。可以写：晚上8点前、明天中午前、2小时内、下周五前（也可以写 by 8pm、in 2 hours）。这次没有发出收款。',
    );
  });

  it('has a message for every parse error in both languages, with the command in its examples', () => {
    for (const locale of LOCALES) {
      for (const error of PARSE_ERRORS) {
        const text = renderParseError({ locale, timeZone: 'UTC' }, error, {
          command: 'pay',
          defaultCurrency: 'USD',
          noteMax: 200,
        }).text;
        expect(text, `${locale} ${error}`).not.toMatch(/\{\{|\}\}/);
        expect(text).not.toBe(PARSE_ERROR_KEYS[error]);
      }
    }
    const en = renderParseError(EN, 'MissingRecipient', { command: 'request', defaultCurrency: 'USD', noteMax: 200 });
    expect(en.text).toContain('/request @name 10');
  });
});

describe('renderNotification', () => {
  // A typed sample per template: a new core template without a sample here does not compile.
  const SAMPLES: { [K in TemplateKey]: TemplateParams[K] } = {
    'pay.received': { amount: '12.50 USD', from: 'Alice', note: 'lunch' },
    'pay.paid': { amount: '12.50 USD', name: 'Bob', note: 'lunch' },
    'pay.confirm_expired': { amount: '12.50 USD', name: 'Bob' },
    'pay.undone': { amount: '12.50 USD', from: 'Alice' },
    'claim.matched': {
      amount: '10.00 USD',
      username: 'bob',
      claimantName: 'Bob',
      claimantId: '5550002',
      platform: 'telegram',
      expiresAt: '2025-11-26T12:00:00.000Z',
    },
    'claim.received': { amount: '10.00 USD', from: 'Alice' },
    'claim.returned': { amount: '10.00 USD', username: 'bob', reason: 'expired' },
    'request.sent': { name: 'Bob', amount: '20.00 USD', dueAt: '2025-11-25T12:00:00.000Z', note: 'tickets' },
    'request.card.paid': { payer: 'Bob', requester: 'Alice', amount: '20.00 USD', note: 'tickets' },
    'request.card.declined': { payer: 'Bob', requester: 'Alice', amount: '20.00 USD' },
    'request.card.expired': { payer: 'Bob', requester: 'Alice', amount: '20.00 USD' },
    'request.incoming': { amount: '20.00 USD', from: 'Alice', dueAt: '2025-11-25T12:00:00.000Z', note: 'tickets' },
    'request.nudge': { amount: '20.00 USD', from: 'Alice', dueAt: '2025-11-25T12:00:00.000Z' },
    'request.paid': { amount: '20.00 USD', payer: 'Bob' },
    'request.declined': { amount: '20.00 USD', payer: 'Bob' },
    'request.expired.payer': { amount: '20.00 USD', from: 'Alice' },
    'request.expired.requester': { amount: '20.00 USD', payer: 'Bob' },
    'schedule.notice': { amount: '50.00 USD', to: 'Mum', runAt: '2026-03-01T08:00:00.000Z', note: 'rent' },
    'schedule.paid': { amount: '50.00 USD', to: 'Mum' },
    'schedule.received': { amount: '50.00 USD', from: 'Alice' },
    'schedule.short': { amount: '50.00 USD', to: 'Mum', retryAt: '2026-03-02T08:00:00.000Z' },
    'schedule.skipped': { amount: '50.00 USD', to: 'Mum', tries: '3' },
    'schedule.notice_shared': {
      share: '150.00 USD',
      amount: '600.00 USD',
      to: 'Mum',
      runAt: '2026-03-01T08:00:00.000Z',
      note: 'rent',
    },
    'schedule.paid_share': { share: '150.00 USD', amount: '600.00 USD', to: 'Mum', note: 'rent' },
    'schedule.short_shared': { amount: '600.00 USD', to: 'Mum', short: 'Ben', retryAt: '2026-03-02T08:00:00.000Z' },
    'schedule.skipped_shared': { amount: '600.00 USD', to: 'Mum', tries: '3' },
    'schedule.cancelled_shared': { id: '12', amount: '600.00 USD', to: 'Mum', by: 'Ann' },
    'fund.received': { amount: '80.00 USD', fund: 'trip', note: 'train tickets' },
    'fund.spend_passed': { amount: '80.00 USD', fund: 'trip', payee: 'Ben' },
    'fund.spend_failed': { amount: '80.00 USD', fund: 'trip', payee: 'Ben', reason: 'vote' },
    'fund.vote_card': {
      name: 'trip',
      amount: '80.00 USD',
      payee: 'Ben',
      yes: '1',
      no: '0',
      needed: '2',
      members: '3',
      closesAt: '2026-12-09T10:00:00.000Z',
      note: 'train tickets',
    },
    'fund.not_member': { fund: 'trip', amount: '80.00 USD' },
    'fund.close_failed': { fund: 'trip', amount: '70.00 USD', reason: 'vote' },
    'fund.thanks': {
      fund: 'lucky',
      amount: '20.00 USD',
      beneficiary: 'Mei',
      unlocksAt: '2027-02-17T00:00:00.000Z',
    },
    'fund.matured': { fund: 'lucky', amount: '120.00 USD' },
    'fund.matured_creator': { fund: 'lucky', amount: '120.00 USD', beneficiary: 'Mei' },
    'fund.refunded': { fund: 'trip', amount: '29.50 USD' },
    'fund.pot_waiting': { fund: 'lucky', amount: '120.00 USD', username: 'mei' },
    'fund.pot_matched': {
      fund: 'lucky',
      amount: '120.00 USD',
      username: 'mei',
      claimantName: 'Mei Chen',
      claimantId: '4242',
      platform: 'telegram',
    },
    'fund.close_card': {
      name: 'trip',
      balance: '59.00 USD',
      yes: '1',
      no: '0',
      needed: '2',
      members: '3',
      closesAt: '2026-12-09T10:00:00.000Z',
    },
    'collect.card': {
      id: '7',
      collector: 'Ann',
      what: 'class dues',
      to: 'Ann',
      collected: '20.00 USD',
      expected: '40.00 USD',
      paid: '1',
      count: '2',
      roster: '✓ Ben 20.00 USD\n◻ Chen 20.00 USD',
    },
    'collect.reminder': { collector: 'Ann', what: 'class dues', amount: '20.00 USD', to: '💼 class' },
    'collect.complete': { what: 'class dues', collected: '40.00 USD', count: '2' },
    'iou.offered': { amount: '50.00 USD', from: 'Ann', due: '2026-12-18', note: 'rent' },
    'iou.offered_record': { amount: '50.00 USD', from: 'Ann', due: '2026-12-18' },
    'iou.confirmed': { amount: '50.00 USD', borrower: 'Ben', due: '2026-12-18' },
    'iou.lender_short': { amount: '50.00 USD', borrower: 'Ben' },
    'iou.voided': { amount: '50.00 USD', borrower: 'Ben' },
    'borrow.funded': { amount: '20.00 USD', lender: 'Ann', funded: '20.00 USD', total: '50.00 USD' },
    'borrow.halfway': { funded: '20.00 USD', total: '50.00 USD' },
    'borrow.closed': { funded: '20.00 USD', total: '50.00 USD' },
    'borrow.expired': { funded: '20.00 USD', total: '50.00 USD', rest: '30.00 USD' },
    'borrow.card': {
      borrower: 'Ann',
      amount: '50.00 USD',
      due: '2026-12-18',
      id: '12',
      funded: '20.00 USD',
      rest: '30.00 USD',
      onTime: '1',
      late: '0',
      open: '0',
      note: 'rent',
    },
    'borrow.asked': {
      borrower: 'Ann',
      amount: '50.00 USD',
      due: '2026-12-18',
      id: '12',
      onTime: '1',
      late: '0',
      open: '0',
      note: 'rent',
    },
    'borrow.halfway_chat': { borrower: 'Ann', id: '12', funded: '20.00 USD', total: '50.00 USD', rest: '30.00 USD' },
    'iou.reminder': { amount: '50.00 USD', lender: 'Ann', due: '2026-12-18', id: '7', half: '25.00 USD' },
    'iou.nudge': { amount: '50.00 USD', lender: 'Ann', due: '2026-12-18', id: '7', half: '25.00 USD' },
    'iou.repaid': { amount: '20.00 USD', borrower: 'Ben', outstanding: '30.00 USD' },
    'iou.forgiven': { amount: '10.00 USD', lender: 'Ann', id: '7', outstanding: '20.00 USD' },
    'iou.extend_asked': { amount: '30.00 USD', borrower: 'Ben', id: '7', due: '2026-12-31', from: '2026-12-18' },
    'iou.extended': { amount: '30.00 USD', lender: 'Ann', id: '7', due: '2026-12-31' },
    'iou.extend_refused': { amount: '30.00 USD', lender: 'Ann', id: '7', due: '2026-12-31' },
    'redpacket.card': {
      sender: 'Ann',
      total: '100.00 USD',
      count: '10',
      claimed: '2',
      left: '80.00 USD',
      closesAt: '2026-12-09T10:00:00.000Z',
      claims: '\nBen — 12.00 USD\nChen — 8.00 USD',
      note: 'happy new year',
    },
    'redpacket.returned': { amount: '80.00 USD', total: '100.00 USD', unclaimed: '8' },
    'deposit.received': { amount: '20.00 USD', available: '45.00 USD' },
    'deposit.failed': { amount: '20.00 USD' },
    'refund.taken': { amount: '20.00 USD' },
    'refund.owed': { amount: '20.00 USD', taken: '5.00 USD', owed: '15.00 USD' },
    'dispute.taken': { amount: '20.00 USD' },
    'dispute.owed': { amount: '20.00 USD', taken: '5.00 USD', owed: '15.00 USD' },
    'dispute.won': { amount: '20.00 USD' },
    'receivable.covered': { amount: '15.00 USD', owed: '0.00 USD' },
    'withdraw.refused': { amount: '50.00 USD', total: '50.38 USD' },
    'withdraw.paid': { amount: '50.00 USD' },
    'withdraw.returned': { amount: '50.00 USD', total: '50.38 USD' },
  };

  const render = (locale: Locale, key: TemplateKey) =>
    renderNotification(locale, { key, params: { ...SAMPLES[key] } }, { timeZone: 'Asia/Shanghai' });

  it('renders every core template in both languages with its params filled in', () => {
    for (const locale of LOCALES) {
      for (const key of Object.keys(SAMPLES) as TemplateKey[]) {
        const text = render(locale, key).text;
        expect(text, `${locale} ${key}`).not.toMatch(/\{\{|\}\}/);
        expect(text, `${locale} ${key}`).toMatch(/\d+\.\d{2} USD/);
      }
    }
  });

  it('shows …At params as local dates and the note on its own line', () => {
    expect(render('en', 'request.incoming').text).toBe(
      '📨 Alice asks you for 20.00 USD. Please answer by Nov 25, 2025, 20:00.\nNote: tickets',
    );
    expect(render('zh-CN', 'request.incoming').text).toBe(
      '📨 Alice 向你收款 20.00 USD，请在 2025年11月25日 20:00 前处理。\n备注：tickets',
    );
  });

  it('picks the variant for a reason', () => {
    expect(render('en', 'claim.returned').text).toContain('Nobody claimed');
    const cancelled = renderNotification(
      'en',
      { key: 'claim.returned', params: { amount: '1.00 USD', username: 'bob', reason: 'cancelled' } },
      { timeZone: 'UTC' },
    );
    expect(cancelled.text).toContain('You took back');
  });

  it('translates button labels and keeps the action ids', () => {
    const msg = renderNotification(
      'zh-CN',
      {
        key: 'claim.matched',
        params: { ...SAMPLES['claim.matched'] },
        buttons: [[{ labelKey: 'button.release', actionId: 'x1' }], [{ labelKey: 'button.return', actionId: 'x2' }]],
      },
      { timeZone: 'Asia/Shanghai' },
    );
    expect(msg.text).toContain('Bob（ID 5550002）');
    expect(msg.buttons).toEqual([[{ label: '放款', actionId: 'x1' }], [{ label: '收回', actionId: 'x2' }]]);
  });

  it('refuses an unknown template or label rather than sending a raw key', () => {
    expect(() => renderNotification('en', { key: 'no.such', params: {} }, { timeZone: 'UTC' })).toThrow(/no.such/);
    expect(() =>
      renderNotification(
        'en',
        { key: 'pay.undone', params: {}, buttons: [[{ labelKey: 'button.nope', actionId: 'x' }]] },
        { timeZone: 'UTC' },
      ),
    ).toThrow(/button.nope/);
  });

  it('never sends more than one Telegram message can hold', () => {
    const msg = renderNotification(
      'en',
      { key: 'pay.received', params: { amount: '1.00 USD', from: 'A', note: 'n'.repeat(5000) } },
      { timeZone: 'UTC' },
    );
    expect(msg.text.length).toBeLessThanOrEqual(TEXT_LIMIT);
  });
});

describe('truncate', () => {
  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(3000);
    const cut = truncate(text, 4096);
    expect(cut.length).toBeLessThanOrEqual(4096);
    expect(cut.endsWith('😀…')).toBe(true);
  });
});

describe('renderSettings', () => {
  const defaults = { timezone: 'UTC', confirmThreshold: usd(2000n) };

  it('marks what the person has not chosen', () => {
    const text = renderSettings(
      EN,
      { locale: null, timezone: null, quietHours: null, confirmThresholdMinor: null },
      defaults,
    ).text;
    expect(text).toContain('Language: English (from your app)');
    expect(text).toContain('Time zone: UTC (default)');
    expect(text).toContain('Quiet hours (no reminders): off');
    expect(text).toContain('confirm payments above: 20.00 USD (default)');
  });

  it('shows chosen values in Chinese', () => {
    const text = renderSettings(
      ZH,
      { locale: 'zh-CN', timezone: 'Asia/Shanghai', quietHours: { start: 1320, end: 420 }, confirmThresholdMinor: 0n },
      defaults,
    ).text;
    expect(text).toContain('语言：简体中文');
    expect(text).toContain('时区：Asia/Shanghai');
    expect(text).toContain('22:00-07:00');
    expect(text).toContain('每笔都确认');
  });
});

describe('recurring transfers', () => {
  it('describes schedules in both languages, with their end', () => {
    const cases: Array<[Parameters<typeof renderCadence>[1], string, string]> = [
      [{ cadence: { unit: 'monthday', day: 1 } }, 'monthly on day 1', '每月1号'],
      [{ cadence: { unit: 'weekday', weekday: 'fr', interval: 1 } }, 'every Friday', '每周五'],
      [{ cadence: { unit: 'week', interval: 2 } }, 'every 2 weeks', '每2周'],
      [{ cadence: { unit: 'day', interval: 1 }, end: { count: 6 } }, 'every day, 6 times', '每天，共 6 次'],
      [
        { cadence: { unit: 'month', interval: 1 }, end: { until: '2026-12-31' } },
        'every month, until 2026-12-31',
        '每月，直到 2026-12-31',
      ],
    ];
    for (const [spec, en, zh] of cases) {
      expect(renderCadence(EN, spec)).toBe(en);
      expect(renderCadence(ZH, spec)).toBe(zh);
    }
  });

  it('the confirm card names the time of day the runs happen at: 09:00 unless the schedule says', () => {
    const card = (spec: Parameters<typeof renderCadence>[1], reader = EN) =>
      renderEveryOutcome(
        reader,
        {
          type: 'confirm',
          scheduleId: 3n,
          actionId: 'act',
          amount: usd(5_000n),
          note: null,
          spec,
          toName: 'Mum',
          toUserId: '42',
          toUsername: 'mum',
          seen: { here: false, since: new Date('2026-01-05T12:00:00Z') },
          next: [new Date('2026-03-27T10:30:00Z')],
          timezone: 'Asia/Shanghai',
        },
        false,
      ).text;
    const friday = { cadence: { unit: 'weekday', weekday: 'fr', interval: 1 } } as const;
    expect(card(friday)).toContain('every Friday, at 09:00 your time (Asia/Shanghai)?');
    expect(card({ ...friday, time: { hour: 18, minute: 30 } })).toContain('every Friday, at 18:30 your time');
    expect(card({ ...friday, time: { hour: 18, minute: 30 } }, ZH)).toContain('你当地时间 18:30');
    expect(card(friday)).toContain('Send 50.00 USD to Mum (@mum, on chipin since Jan 5, 2026) every Friday');
    expect(card(friday)).not.toContain('42');
  });

  it('lists schedules with their state, next run and paid runs', () => {
    const text = renderSchedules(EN, [
      {
        id: 12n,
        state: 'active',
        amount: { minor: 5_000n, currency: 'USD' },
        note: null,
        spec: { cadence: { unit: 'monthday', day: 1 } },
        toName: 'Mum',
        nextAt: new Date('2026-03-01T01:00:00Z'),
        paidRuns: 2,
      },
    ]).text;
    expect(text).toBe(
      'Your recurring transfers:\n#12 50.00 USD to Mum, monthly on day 1 — active\n   next run Mar 1, 2026, 09:00 · 2 paid so far',
    );
    expect(renderSchedules(ZH, []).text).toBe('你还没有定期转账。发送 /every @用户名 50 每月1号 开始一个。');
  });
});
