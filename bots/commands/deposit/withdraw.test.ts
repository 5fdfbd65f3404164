/** /connect and /withdraw through the command layer, with the fake Stripe server (texts, buttons, privacy). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandLayer } from '../layer.js';
import type { Actor, ChatRef, CommandLayer, Effect } from '../types.js';
import { loadConfig } from '../../../config/env.js';
import { audit, createCore, type Core, type JsonValue } from '../../../core/index.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { replyOf } from '../../../test/support/layer.js';
import { chatEvents } from '../../../test/support/events.js';
import { SECRET_KEY, WEBHOOK_SECRET, startFakeStripe, type FakeStripe } from '../../../test/support/stripe/server.js';
import { accountOfPerson, installConnect, onboard } from '../../../test/support/stripe/connect.js';
import { createStripeGateway } from '../../stripe/client.js';
import { createStripeRoutes } from '../../stripe/webhook.js';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { silentLog } from '../../../core/log.js';
import { actionIdOf } from '../render.js';

const config = loadConfig({ NODE_ENV: 'test', DEMO_MONEY: '1' });
let database: TestDatabase;
let fake: FakeStripe;
let core: Core;
let layer: CommandLayer;
let bare: CommandLayer;

beforeAll(async () => {
  database = await createTestDatabase(4);
  fake = await startFakeStripe([installConnect]);
  const gateway = createStripeGateway({ secretKey: SECRET_KEY, apiBase: fake.url, webhookSecret: WEBHOOK_SECRET });
  core = createCore({ db: database.db, config, stripe: { gateway, returnUrl: 'http://localhost/stripe/return' } });
  layer = createCommandLayer({ core, config });
  bare = createCommandLayer({ core: createCore({ db: database.db, config }), config });
});

afterAll(async () => {
  expect((await audit(database.db)).violations).toEqual([]);
  await fake.close();
  await database.drop();
});

const GROUP: ChatRef = { platform: 'telegram', chatId: '-100923', kind: 'group', title: 'Payday' };
const { person, command, press } = chatEvents({ firstId: 9_230_000, keyPrefix: 'tg:23', group: GROUP });
const dm = (actor: Actor): ChatRef => ({ platform: 'telegram', chatId: actor.userId, kind: 'private' });
const say = async (actor: Actor, text: string, chat?: ChatRef, on = layer) =>
  replyOf((await on.handle(command(actor, text, chat))).effects);
const tap = async (actor: Actor, actionId: string, chat: ChatRef) => {
  const effects = (await layer.handle(press(actor, actionId, chat))).effects;
  const edit = effects.find((e): e is Extract<Effect, { type: 'edit' }> => e.type === 'edit');
  const answer = effects.find((e): e is Extract<Effect, { type: 'answer' }> => e.type === 'answer');
  return edit?.message.text ?? answer?.text ?? '';
};

async function onboarded(actor: Actor): Promise<void> {
  const r = await database.db.query(
    `SELECT p.id FROM people p JOIN identities i ON i.person_id = p.id WHERE i.user_id = $1`,
    [actor.userId],
  );
  const account = accountOfPerson(fake, String(r.rows[0]?.id));
  if (!account) throw new Error('no account');
  const event = onboard(fake, account.id);
  await core.cashier.receive(database.db, {
    id: event.id,
    type: event.type,
    created: event.created,
    object: JSON.parse(JSON.stringify(event.data.object)) as JsonValue,
    account: account.id,
  });
  await core.cashier.process(database.db, event.id);
}

describe('/connect and /withdraw', () => {
  it('say they are not available without Stripe', async () => {
    const zoe = person('zoe');
    for (const text of ['/connect', '/withdraw 10']) {
      const reply = await say(zoe, text, dm(zoe), bare);
      expect(reply.message.text).toBe('Card deposits and withdrawals are not available here.');
    }
  });

  it('/connect answers privately with an onboarding link button', async () => {
    const amy = person('amy');
    const reply = await say(amy, '/connect');
    expect(reply.private).toBe(true);
    expect(reply.message.text).toMatch(/^Open the secure Stripe page below/);
    const link = reply.message.buttons?.[0]?.[0];
    expect(link?.label).toBe('Connect with Stripe');
    expect(link?.url).toMatch(/\/connect\/onboard\/acct_/);
    expect(link?.actionId).toBeUndefined();
  });

  it('/withdraw points to /connect first, then shows amount, fee and total; only its person confirms', async () => {
    const bo = person('bo');
    await say(bo, '/faucet 100', dm(bo));
    const first = await say(bo, '/withdraw 50', dm(bo));
    expect(first.message.text).toMatch(/send \/connect to set it up first/);
    await say(bo, '/connect', dm(bo));
    await onboarded(bo);
    const card = await say(bo, '/withdraw 50', dm(bo));
    expect(card.private).toBe(true);
    expect(card.message.text).toBe(
      'Withdraw to your bank:\nAmount: 50.00 USD\nFee: 0.38 USD\nTotal from your wallet: 50.38 USD\nTap Confirm to send it.',
    );
    const button = card.message.buttons?.[0]?.[0];
    if (!button) throw new Error('no Confirm');
    expect(button.label).toBe('Confirm');
    const eve = person('eve');
    expect(await tap(eve, actionIdOf(button), dm(bo))).toBe('This button is for someone else.');
    expect(await tap(bo, actionIdOf(button), dm(bo))).toBe(
      '✅ Withdrawing 50.00 USD (fee 0.38 USD): 50.38 USD is on hold in your wallet while Stripe sends it to your bank. I will tell you when it arrives.',
    );
    expect((await say(bo, '/balance', dm(bo))).message.text).toContain('49.62 USD available');
    const history = (await say(bo, '/history', dm(bo))).message.text;
    expect(history).toMatch(/−0\.38 USD to withdrawal fee \(pending\)/);
    expect(history).toMatch(/−50\.00 USD to your bank \(withdrawal\) \(pending\)/);
    const short = await say(bo, '/withdraw 60', dm(bo));
    expect(short.message.text).toBe('Your wallet does not cover that amount plus the withdrawal fee.');
  });

  it('answers in the reader’s language', async () => {
    const li = person('li', 'zh-CN');
    await say(li, '/faucet 100', dm(li));
    expect((await say(li, '/withdraw 10', dm(li))).message.text).toBe(
      '提现会转到你自己的 Stripe 账户：请先发送 /connect 开通（并填完 Stripe 的表格）。',
    );
    await say(li, '/connect', dm(li));
    await onboarded(li);
    expect((await say(li, '/withdraw 10', dm(li))).message.text).toBe(
      '提现到银行：\n金额：10.00 USD\n手续费：0.28 USD\n从钱包扣除合计：10.28 USD\n点“确认”即可发出。',
    );
  });

  it('Stripe sends the person back from onboarding to a page in their language', async () => {
    const app = express();
    app.use(
      createStripeRoutes({
        enabled: false,
        cashier: core.cashier,
        db: database.db,
        log: silentLog,
        defaultLocale: 'en',
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stripe/return`;
    const page = async (query: string, language: string) =>
      (await fetch(`${base}?${query}`, { headers: { 'accept-language': language } })).text();
    try {
      expect(await page('connect=done', 'en')).toMatch(/^Thanks! Go back to your chat: once Stripe has checked/);
      expect(await page('connect=refresh', 'zh-CN')).toBe('这个链接已过期。请回到聊天，再发一次 /connect 获取新链接。');
      expect(await page('deposit=1', 'en')).toMatch(/as soon as the money is in your wallet/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
