import { describe, expect, it } from 'vitest';
import { groupButtonId } from '../../../core/index.js';
import { layerFixture, replyOf } from '../../../test/support/layer.js';
import { chatEvents } from '../../../test/support/events.js';
import type { Actor, ChatRef, Effect } from '../types.js';

const f = layerFixture();

const GROUP: ChatRef = { platform: 'telegram', chatId: '-100777', kind: 'group', title: 'Class of 2026' };
const { person, command, press } = chatEvents({ firstId: 8_100_000, keyPrefix: 'tg:7', group: GROUP });

const say = async (actor: Actor, text: string, chat?: ChatRef) =>
  replyOf((await f.layer.handle(command(actor, text, chat))).effects);

async function funded(name: string, amount: string, languageCode = 'en'): Promise<Actor> {
  const actor = person(name, languageCode);
  await say(actor, `/faucet ${amount}`, { platform: 'telegram', chatId: actor.userId, kind: 'private' });
  return actor;
}

describe('/fund in a group chat', () => {
  it('starts a fund, takes money in, and pays out only what the members voted for', async () => {
    const [ann, ben, chen] = [await funded('ann', '100'), await funded('ben', '100'), await funded('chen', '100')];
    const dan = person('dan');
    await say(dan, '/balance');

    expect((await say(ann, '/fund new trip 200')).message.text).toContain(
      'Fund “trip” started by ann — target 200.00 USD',
    );
    expect((await say(ann, '/fund new trip')).refusal).toBe(true);
    for (const who of [ann, ben, chen])
      expect((await say(who, '/fund add trip 50 for the bus')).message.text).toContain('added to “trip”');

    const shown = (await say(ben, '/fund show trip')).message.text;
    expect(shown).toContain('trip — 150.00 USD');
    expect(shown).toContain('▓▓▓▓▓▓▓░░░ 75%');
    expect(shown).toContain('Members: ann, ben, chen');

    // The card (a live message the worker keeps up to date) and the poll members answer.
    const asked = (await f.layer.handle(command(ann, `/fund spend trip 80 @${dan.username} train tickets`))).effects;
    const card = asked.find((e): e is Extract<Effect, { type: 'live' }> => e.type === 'live');
    const poll = asked.find((e): e is Extract<Effect, { type: 'poll' }> => e.type === 'poll');
    expect(card?.message.text).toContain('Pay 80.00 USD from “trip” to dan?');
    expect(card?.message.text).toContain('Yes 0 · No 0 — it passes with 2 yes of 3 members');
    expect(poll).toMatchObject({ question: 'Pay 80.00 USD from “trip” to dan?', options: ['Yes', 'No'] });
    const [yes, no] = [groupButtonId(poll?.pollRef ?? '', 0), groupButtonId(poll?.pollRef ?? '', 1)];

    // Not a member: refused. A member's vote counts, once, and can change.
    const stranger = (await f.layer.handle(press(dan, yes))).effects;
    expect(stranger).toMatchObject([{ type: 'answer', alert: true }]);
    await f.layer.handle(press(ann, yes));
    await f.layer.handle(press(ben, no));
    await f.layer.handle(press(ben, yes));

    // Every vote showed on the card; a stranger's answer is explained to them privately.
    const live = await f.database.db.query(`SELECT view FROM live_messages WHERE ref = $1`, [card?.ref]);
    expect(JSON.stringify(live.rows[0]?.view)).toContain('"yes":"2"');
    const told = await f.database.db.query(
      `SELECT count(*)::int AS n FROM outbox WHERE key LIKE 'notify:fund.vote:%:not-member'`,
    );
    expect(told.rows[0]?.n).toBe(1);

    // The worker's job decides (here called as the worker would): paid exactly once.
    const spend = await f.database.db.query(`SELECT id FROM fund_spends ORDER BY id DESC LIMIT 1`);
    const spendId = BigInt(String(spend.rows[0]?.id));
    const decisions = await Promise.all([
      f.core.funds.decideSpend(f.database.db, spendId),
      f.core.funds.decideSpend(f.database.db, spendId),
    ]);
    expect(decisions.map((d) => d.type).sort()).toEqual(['noop', 'paid']);

    const after = (await say(chen, '/fund show trip')).message.text;
    expect(after).toContain('trip — 70.00 USD');
    expect(after).toMatch(/−80\.00 USD to dan — train tickets \(approved by ann, ben\)/);
    expect((await say(dan, '/balance')).message.text).toContain('80.00 USD');
    expect((await say(ann, '/fund list')).message.text).toContain('• trip: 70.00 USD');
    const decided = await f.database.db.query(`SELECT view FROM live_messages WHERE ref = $1`, [card?.ref]);
    expect(JSON.stringify(decided.rows[0]?.view)).toContain('"reason":"passed"');
  });

  it('answers in Chinese, and refuses bad input with one line that changes nothing', async () => {
    const li = await funded('li', '100', 'zh-CN');
    expect((await say(li, '/fund 新建 班费')).message.text).toContain('创建了基金“班费”');
    expect((await say(li, '/fund')).message.text).toContain('/fund new 旅行');
    expect((await say(li, '/fund add 没有这个 5')).message.text).toContain('本群没有这个基金');
    const dm = { platform: 'telegram' as const, chatId: li.userId, kind: 'private' as const };
    expect((await say(li, '/fund new 私房钱', dm)).message.text).toContain('基金属于群聊');
    const count = await f.database.db.query(`SELECT count(*)::int AS n FROM funds WHERE name = '私房钱'`);
    expect(count.rows[0]?.n).toBe(0);
  });

  it('keeps a locked pot for its beneficiary: anyone gives with a note and is thanked, nothing leaves before the date', async () => {
    const [mum, grandma] = [await funded('mum', '100'), await funded('grandma', '100')];
    const mei = person('mei');
    await say(mei, '/balance');

    const made = (await say(mum, `/fund new lucky for @${mei.username} until 2027-02-17 quorum 60%`)).message.text;
    expect(made).toContain('Fund “lucky” started by mum for mei, locked until');
    expect(made).toContain('2027');
    expect((await say(grandma, '/fund add lucky 20 from grandma')).message.text).toContain('added to “lucky”');
    const thanks = await f.database.db.query(
      `SELECT count(*)::int AS n FROM outbox WHERE key LIKE 'notify:fund.add:%:thanks'`,
    );
    expect(thanks.rows[0]?.n).toBe(1);

    const shown = (await say(mum, '/fund show lucky')).message.text;
    expect(shown).toContain('lucky — 20.00 USD');
    expect(shown).toMatch(/For mei — unlocks .*2027/);
    expect(shown).toMatch(/\+20\.00 USD from grandma — from grandma/);

    for (const asked of [`/fund spend lucky 5 @${mei.username} sweets`, '/fund close lucky']) {
      const refused = await say(mum, asked);
      expect(refused.refusal).toBe(true);
      expect(refused.message.text).toMatch(/locked until .*2027/);
    }
    const quorum = await f.database.db.query(`SELECT quorum_pct FROM funds WHERE name = 'lucky'`);
    expect(quorum.rows[0]?.quorum_pct).toBe(60);
  });

  it('keeps a pot for an @username nobody here has seen, and says it waits for them', async () => {
    const dad = await funded('dad', '50');
    const made = await say(dad, '/fund new yuki for @yuki_not_here until 2027-02-17');
    expect(made.refusal).toBeFalsy();
    expect(made.message.text).toContain('for @yuki_not_here, locked until');
    expect(made.message.text).toContain('hasn’t started chipin yet');
    expect((await say(dad, '/fund show yuki')).message.text).toMatch(/For @yuki_not_here — unlocks .*2027/);
  });

  it('closes a fund when its members vote for it, giving back what is left to who put it in', async () => {
    const [ann, ben] = [await funded('ann', '100'), await funded('ben', '100')];
    await say(ann, '/fund new outing');
    await say(ann, '/fund add outing 30');
    await say(ben, '/fund add outing 10');

    const asked = (await f.layer.handle(command(ben, '/fund close outing'))).effects;
    const card = asked.find((e): e is Extract<Effect, { type: 'live' }> => e.type === 'live');
    const poll = asked.find((e): e is Extract<Effect, { type: 'poll' }> => e.type === 'poll');
    expect(card?.message.text).toContain('Close “outing” and give back its 40.00 USD');
    expect(poll).toMatchObject({ question: 'Close “outing” and give back 40.00 USD?', options: ['Yes', 'No'] });
    await f.layer.handle(press(ann, groupButtonId(poll?.pollRef ?? '', 0)));
    await f.layer.handle(press(ben, groupButtonId(poll?.pollRef ?? '', 0)));

    // The worker's job decides (called here as the worker would).
    const close = await f.database.db.query(`SELECT id FROM fund_closes ORDER BY id DESC LIMIT 1`);
    expect(await f.core.funds.decideClose(f.database.db, BigInt(String(close.rows[0]?.id)))).toMatchObject({
      type: 'closed',
    });
    expect((await say(ann, '/fund show outing')).message.text).toContain('Closed by its members’ vote.');
    expect((await say(ann, '/fund add outing 5')).message.text).toContain('That fund is closed.');
    const balance = (await say(ann, '/balance', { platform: 'telegram', chatId: ann.userId, kind: 'private' })).message
      .text;
    expect(balance).toContain('100.00 USD');
  });
});
