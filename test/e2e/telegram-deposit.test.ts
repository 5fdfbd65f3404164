/**
 * Real money in and out through the real app (`chipin start`), the fake Stripe reached by the real `stripe` library
 * through STRIPE_API_BASE: /deposit in a DM answers with a Checkout link button; the payer pays; Stripe's signed
 * event reaches /stripe/webhook; the settlement worker credits the wallet and the depositor is told in their own
 * language; the money is spent at once; /connect and /withdraw send the rest to the bank; every step is in /history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../core/ledger/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { balanceOf, startApp, startFakeTelegram, waitForSent, type RunningApp, type TgUser } from '../support/app.js';
import { cleanUp } from '../support/chipin.js';
import { waitFor } from '../support/workers.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { installCheckout, pay, sessionOfDeposit } from '../support/stripe/checkout.js';
import {
  accountOfPerson,
  installConnect,
  onboard,
  payoutOfWithdrawal,
  settlePayout,
} from '../support/stripe/connect.js';
import { personIdOf } from '../support/app.js';
import { SECRET_KEY, WEBHOOK_SECRET, startFakeStripe, type FakeStripe } from '../support/stripe/server.js';

describe('card deposits through the real app', () => {
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  let stripe: FakeStripe;
  let app: RunningApp;
  let mei: TgUser;
  let tom: TgUser;

  beforeAll(async () => {
    database = await createTestDatabase(1);
    fake = await startFakeTelegram();
    stripe = await startFakeStripe([installCheckout, installConnect]);
    app = await startApp({
      databaseUrl: database.url,
      fake,
      env: {
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_BASE: stripe.url,
        DEMO_MONEY: '',
      },
    });
    stripe.webhookUrl = `${app.url}/stripe/webhook`;
    mei = fake.user(5_720_001, 'Mei', { username: 'mei_card', language_code: 'zh-hans' });
    tom = fake.user(5_720_002, 'Tom', { username: 'tom_card', language_code: 'en' });
  });

  afterAll(async () => {
    await cleanUp();
    await fake?.close();
    await stripe?.close();
    if (database) {
      expect((await audit(database.db)).violations).toEqual([]);
      await database.drop();
    }
  });

  it('/deposit → a Checkout link → paid → credited once, told in Chinese, and spendable at once', async () => {
    expect(await app.post(fake.message(tom, fake.privateChat(tom), '/start'))).toBe(200);
    await waitForSent(fake, tom.id, () => true);
    expect(await app.post(fake.message(mei, fake.privateChat(mei), '/deposit 50'))).toBe(200);
    const [link] = await waitForSent(fake, mei.id, (m) => m.buttons.some((b) => b.url !== undefined));
    expect(link?.text).toContain('50.00 USD');
    const button = link?.buttons.find((b) => b.url !== undefined);
    expect(button?.url).toMatch(new RegExp(`^${stripe.url}/c/pay/cs_test_`));

    const depositId = (await database.db.query<{ id: string }>(`SELECT id::text AS id FROM deposits`)).rows[0]?.id;
    const session = sessionOfDeposit(stripe, String(depositId));
    expect(button?.url).toBe(session.url);
    const event = pay(stripe, session.id);
    const statuses = await Promise.all([stripe.deliver(event), stripe.deliver(event), stripe.deliver(event)]);
    expect(statuses).toEqual([200, 200, 200]);

    const [received] = await waitForSent(fake, mei.id, (m) => m.text.includes('已通过银行卡收到 50.00 USD'));
    expect(received?.text).toContain('当前可用：50.00 USD');
    expect((await balanceOf(database.db, mei.id)).available).toBe(50_00n);

    // Tom's @username: a card to confirm (the name and who it is), then the money goes.
    expect(await app.post(fake.message(mei, fake.privateChat(mei), '/pay @tom_card 12'))).toBe(200);
    const [card] = await waitForSent(fake, mei.id, (m) => m.buttons.some((b) => b.data !== undefined));
    const confirm = card?.buttons.find((b) => b.data !== undefined);
    if (!confirm) throw new Error('no confirm button');
    expect(await app.post(fake.callback(mei, fake.privateChat(mei), confirm.messageId ?? 0, confirm.data))).toBe(200);
    await waitForSent(fake, tom.id, (m) => m.text.includes('12.00 USD'));
    expect((await balanceOf(database.db, mei.id)).available).toBe(38_00n);
    expect(await app.post(fake.message(mei, fake.privateChat(mei), '/history'))).toBe(200);
    const [history] = await waitForSent(fake, mei.id, (m) => m.text.includes('+50.00 USD'));
    expect(history?.text).toContain('−12.00 USD');
  });

  it('/connect → onboarding → /withdraw with its fee → paid to the bank, every step in /history', async () => {
    const dm = fake.privateChat(mei);
    expect(await app.post(fake.message(mei, dm, '/connect'))).toBe(200);
    const [connect] = await waitForSent(fake, mei.id, (m) => m.buttons.some((b) => b.url?.includes('/connect/')));
    expect(connect?.buttons[0]?.url).toMatch(/\/connect\/onboard\/acct_/);
    const meiId = await personIdOf(database.db, mei.id);
    const account = accountOfPerson(stripe, String(meiId));
    if (!account) throw new Error('no connected account at Stripe');
    expect(await stripe.deliver(onboard(stripe, account.id))).toBe(200);
    await waitForRow(`SELECT 1 FROM connected_accounts WHERE account_id = '${account.id}' AND payouts_enabled`);

    expect(await app.post(fake.message(mei, dm, '/withdraw 20'))).toBe(200);
    const [card] = await waitForSent(fake, mei.id, (m) => m.text.includes('Fee') || m.text.includes('手续费'));
    expect(card?.text).toContain('20.00 USD');
    const confirm = card?.buttons.find((b) => b.data !== undefined);
    if (!confirm) throw new Error('no confirm button');
    expect(await app.post(fake.callback(mei, dm, confirm.messageId ?? 0, confirm.data))).toBe(200);
    const withdrawalId = await waitForRow(`SELECT id::text AS id FROM withdrawals WHERE state = 'settling'`);
    const payout = payoutOfWithdrawal(stripe, String(withdrawalId.id));
    if (!payout) throw new Error('no payout at Stripe');
    expect(await stripe.deliver(settlePayout(stripe, payout.id, 'paid'))).toBe(200);
    await waitForSent(fake, mei.id, (m) => m.text === '🏦 你提现的 20.00 USD 已到达银行账户。');
    await waitForRow(`SELECT 1 FROM withdrawals WHERE state = 'paid'`);
    const left = (await balanceOf(database.db, mei.id)).available;
    expect(left).toBe(38_00n - 20_00n - 30n); // the fee: 0.25 USD + 0.25 %, rounded up

    expect(await app.post(fake.message(mei, dm, '/history'))).toBe(200);
    const histories = await waitForSent(fake, mei.id, (m) => m.text.includes('银行卡（充值或退款）'), { count: 2 });
    const history = histories.at(-1);
    expect(history?.text).toContain('+50.00 USD');
    expect(history?.text).toContain('银行卡（充值或退款）');
    expect(history?.text).toContain('−12.00 USD');
    expect(history?.text).toContain('−20.00 USD');
    expect(history?.text).toContain('你的银行（提现）');
    expect(history?.text).toContain('−0.30 USD');
  });

  const waitForRow = (sql: string): Promise<Record<string, unknown>> =>
    waitFor(sql, async () => (await database.db.query(sql)).rows[0]);

  it('/faucet gives nothing without DEMO_MONEY, and a forged event credits nothing', async () => {
    expect(await app.post(fake.message(tom, fake.privateChat(tom), '/faucet 100'))).toBe(200);
    await waitForSent(fake, tom.id, (m) => m.text === 'The faucet only works in demo mode.');
    const forged = await fetch(`${app.url}/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: JSON.stringify({ id: 'evt_forged', type: 'checkout.session.completed' }),
    });
    expect(forged.status).toBe(400);
    expect((await balanceOf(database.db, tom.id)).available).toBe(12_00n);
  });
});
