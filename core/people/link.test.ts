import { describe, expect, it } from 'vitest';
import { actor, available, fund, touch, auditedCore } from '../../test/support/core.js';
import { balancesOf } from '../ledger/index.js';
import { MAX_LINK_ATTEMPTS } from './index.js';
import type { LinkResult, Person } from './index.js';

const f = auditedCore();

const telegramUser = (name: string) => touch(f.core, actor(name));
const discordUser = (name: string) => touch(f.core, actor(name, { platform: 'discord' }));

async function codeOf(p: Person): Promise<string> {
  const r = await f.db.transaction((tx) => f.core.people.createLinkCode(tx, p.id, 600_000));
  if (!r.ok) throw new Error(r.error);
  return r.code;
}

const redeem = (p: Person, code: string): Promise<LinkResult> =>
  f.db.transaction((tx) => f.core.people.redeemLinkCode(tx, p.id, code));

describe('/link <code>', () => {
  it('joins a Telegram and a Discord account into one person with one wallet per currency', async () => {
    const tg = await telegramUser('ann_tg');
    const dc = await discordUser('ann_dc');
    await fund(f.core, tg, 50_00n);
    await fund(f.core, dc, 7_25n);
    await fund(f.core, dc, 300n, 'JPY');

    const linked = await redeem(dc, await codeOf(tg));
    expect(linked).toMatchObject({
      ok: true,
      person: { id: tg.id },
      moved: [
        { minor: 300n, currency: 'JPY' },
        { minor: 7_25n, currency: 'USD' },
      ],
    });
    // The Discord identity now belongs to the Telegram person; the wallet holds both balances.
    const found = await f.core.people.findByUsername(f.db, 'discord', 'ann_dc');
    expect(found?.person.id).toBe(tg.id);
    expect(await available(f.core, tg)).toBe(57_25n);
    expect(await available(f.core, tg, 'JPY')).toBe(300n);
    // The absorbed wallet is empty: the money moved by transfers, nothing was edited.
    const left = await balancesOf(f.db, `person:${dc.id}`);
    expect(left.every((b) => b.posted === 0n && b.available === 0n)).toBe(true);
    const merges = await f.db.query(`SELECT count(*)::int AS n FROM transfers WHERE kind = 'link.merge'`);
    expect(merges.rows[0]?.n).toBe(2);
  });

  it('works the other way round: a code made on Discord redeemed on Telegram', async () => {
    const dc = await discordUser('bo_dc');
    const tg = await telegramUser('bo_tg');
    await fund(f.core, tg, 10_00n);
    const linked = await redeem(tg, await codeOf(dc));
    expect(linked).toMatchObject({ ok: true, person: { id: dc.id } });
    expect(await available(f.core, dc)).toBe(10_00n);
    // Notifications of either person id go to the identity used last.
    const identity = await f.core.people.identityOf(f.db, tg.id);
    expect(identity?.personId).toBe(dc.id);
  });

  it('a code works once', async () => {
    const tg = await telegramUser('cy_tg');
    const code = await codeOf(tg);
    expect((await redeem(await discordUser('cy_dc'), code)).ok).toBe(true);
    expect(await redeem(await discordUser('cy_other'), code)).toEqual({ ok: false, error: 'UnknownCode' });
  });

  it('refuses a person’s own code, two accounts of one platform, and an expired code', async () => {
    const tg = await telegramUser('di_tg');
    expect(await redeem(tg, await codeOf(tg))).toEqual({ ok: false, error: 'OwnCode' });
    expect(await redeem(await telegramUser('di_tg2'), await codeOf(tg))).toEqual({ ok: false, error: 'SamePlatform' });
    const expired = await codeOf(tg);
    await f.db.query(`UPDATE link_codes SET expires_at = now() - interval '1 second' WHERE code = $1`, [expired]);
    expect(await redeem(await discordUser('di_dc'), expired)).toEqual({ ok: false, error: 'ExpiredCode' });
  });

  it('waits while money is held for or by the joining wallet', async () => {
    const tg = await telegramUser('ed_tg');
    const dc = await discordUser('ed_dc');
    await fund(f.core, dc, 5_00n);
    // A payment to an unseen @username holds money in the Discord wallet.
    const held = await f.db.transaction((tx) =>
      f.core.payments.pay(tx, {
        key: `test:hold:${dc.id}`,
        from: dc,
        to: { username: 'nobody_yet_ed', platform: 'discord' },
        amount: { minor: 1_00n, currency: 'USD' },
        chat: { platform: 'discord', chatId: '42' },
      }),
    );
    expect(held.type).not.toBe('rejected');
    expect(await redeem(dc, await codeOf(tg))).toEqual({ ok: false, error: 'PendingPayments' });
    expect(await available(f.core, dc)).toBe(4_00n);
  });

  it('recurring transfers follow the survivor, and one between the two joined accounts ends', async () => {
    const tg = await telegramUser('gu_tg');
    const dc = await discordUser('gu_dc');
    const friend = await telegramUser('gu_friend');
    const spec = { cadence: { unit: 'rule', rule: 'FREQ=DAILY' } } as const;
    const chat = { platform: 'telegram', chatId: '-100' } as const;
    const make = (key: string, payer: Person, payee: Person) =>
      f.db.transaction((tx) =>
        f.core.schedules.create(tx, {
          key,
          payer,
          payee: { personId: payee.id },
          amount: { minor: 1_00n, currency: 'USD' },
          spec,
          chat,
        }),
      );
    for (const made of [await make('link:s1', dc, friend), await make('link:s2', dc, tg)])
      expect(made.type).not.toBe('rejected');

    expect((await redeem(dc, await codeOf(tg))).ok).toBe(true);
    const rows = await f.db.query<{ key: string; payer: string; state: string }>(
      `SELECT key, payer::text, state FROM schedules WHERE key IN ('link:s1', 'link:s2') ORDER BY key`,
    );
    expect(rows.rows).toEqual([
      { key: 'link:s1', payer: tg.id.toString(), state: 'awaiting' },
      { key: 'link:s2', payer: dc.id.toString(), state: 'cancelled' },
    ]);
  });

  it('money that reaches the old wallet after the join (a payment racing it) is swept to the survivor', async () => {
    const tg = await telegramUser('ha_tg');
    const dc = await discordUser('ha_dc');
    expect((await redeem(dc, await codeOf(tg))).ok).toBe(true);
    const job = await f.db.query<{ kind: string; payload: unknown }>(
      `SELECT kind, payload FROM outbox WHERE key = $1 AND state = 'pending'`,
      [`link.sweep:${dc.id}`],
    );
    expect(job.rows).toEqual([{ kind: 'link.sweep', payload: { from: dc.id.toString(), to: tg.id.toString() } }]);

    // The race: a payment that resolved the old person before the join commits after it.
    await fund(f.core, dc, 3_00n);
    expect(await available(f.core, dc)).toBe(3_00n);
    const run = () =>
      f.core.timed['link.sweep'](
        f.db,
        { from: dc.id.toString(), to: tg.id.toString() },
        {
          key: `link.sweep:${dc.id}`,
          dueAt: new Date(),
        },
      );
    await run();
    await run(); // a repeated job moves nothing twice
    expect(await available(f.core, dc)).toBe(0n);
    expect(await available(f.core, tg)).toBe(3_00n);
  });

  it('wrong codes are rate-limited per person', async () => {
    const dc = await discordUser('fi_dc');
    for (let i = 0; i < MAX_LINK_ATTEMPTS; i++) {
      expect(await redeem(dc, 'ABCDEFGH')).toEqual({ ok: false, error: 'UnknownCode' });
    }
    const good = await codeOf(await telegramUser('fi_tg'));
    expect(await redeem(dc, good)).toEqual({ ok: false, error: 'TooManyAttempts' });
  });
});
