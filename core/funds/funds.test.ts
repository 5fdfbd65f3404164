import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actor,
  available,
  coreFixture,
  coreWith,
  notificationsOf,
  outbox,
  person,
  sleep,
  touch,
  type CoreFixture,
  usd,
} from '../../test/support/core.js';
import { JobNotDue } from '../jobs.js';
import { audit, groupButtonId, matureKey, type Core, type Person } from '../index.js';
import type { FundCloseOutcome, FundSpendOutcome } from './model.js';
import { NO, YES } from './vote.js';

let f: CoreFixture;
beforeAll(async () => {
  f = await coreFixture();
});
afterAll(async () => {
  expect((await audit(f.db)).ok).toBe(true);
  await f.t.drop();
});

const group = (chatId = `-100${Math.floor(Math.random() * 1e9)}`) => ({
  platform: 'telegram' as const,
  chatId,
  kind: 'group' as const,
});
const key = () => `test:${randomUUID()}`;

async function newFund(core: Core, creator: Person, chat: ReturnType<typeof group>, name = 'trip') {
  const created = await f.db.transaction((tx) =>
    core.funds.create(tx, { key: key(), creator, chat, name, currency: 'USD' }),
  );
  if (created.type !== 'created') throw new Error(`fund not created: ${created.error}`);
  return created.fund;
}

const add = (core: Core, who: Person, chat: ReturnType<typeof group>, minor: bigint, name = 'trip') =>
  f.db.transaction((tx) => core.funds.add(tx, { key: key(), person: who, chat, name, amount: usd(minor) }));

async function openSpend(
  core: Core,
  requester: Person,
  payee: Person,
  chat: ReturnType<typeof group>,
  minor: bigint,
): Promise<Extract<FundSpendOutcome, { type: 'vote' }>> {
  const spend = await f.db.transaction((tx) =>
    core.funds.spend(tx, { key: key(), requester, chat, name: 'trip', amount: usd(minor), payee, reason: 'tickets' }),
  );
  if (spend.type !== 'vote') throw new Error(`no vote: ${spend.error}`);
  return spend;
}

const vote = (core: Core, who: Person, chat: ReturnType<typeof group>, actionId: string, choice: number) =>
  f.db.transaction((tx) =>
    core.press(tx, {
      actionId: groupButtonId(actionId, choice),
      person: who,
      platform: chat.platform,
      chatId: chat.chatId,
    }),
  );

/** Three members who each put 50 in. */
async function threeMembers(core: Core = f.core) {
  const chat = group();
  const [ann, ben, chen] = [
    await person(core, 'ann', 100_00n),
    await person(core, 'ben', 100_00n),
    await person(core, 'chen', 100_00n),
  ];
  await newFund(core, ann, chat);
  for (const who of [ann, ben, chen]) expect((await add(core, who, chat, 50_00n)).type).toBe('added');
  return { chat, ann, ben, chen };
}

describe('group funds', () => {
  it('is created once per chat and name, is shown with its members and every movement in', async () => {
    const chat = group();
    const ann = await person(f.core, 'ann', 100_00n);
    await newFund(f.core, ann, chat, 'Trip');
    const again = await f.db.transaction((tx) =>
      f.core.funds.create(tx, { key: key(), creator: ann, chat, name: 'trip', currency: 'USD' }),
    );
    expect(again).toEqual({ type: 'rejected', error: 'FundExists' });
    const dm = { ...chat, kind: 'private' as const };
    const inDm = await f.db.transaction((tx) =>
      f.core.funds.create(tx, { key: key(), creator: ann, chat: dm, name: 'x', currency: 'USD' }),
    );
    expect(inDm).toEqual({ type: 'rejected', error: 'NotInGroup' });

    const ben = await person(f.core, 'ben', 30_00n);
    expect(await add(f.core, ben, chat, 40_00n, 'TRIP')).toEqual({ type: 'rejected', error: 'InsufficientFunds' });
    expect((await add(f.core, ben, chat, 25_00n, 'TRIP')).type).toBe('added');
    const view = await f.core.funds.show(f.db, chat, 'trip');
    expect(view?.balance).toEqual(usd(25_00n));
    expect(view?.members.map((m) => [m.displayName, m.role])).toEqual([
      ['Ann', 'creator'],
      ['Ben', 'contributor'],
    ]);
    expect(view?.movements).toMatchObject([{ direction: 'in', amount: usd(25_00n), name: 'Ben' }]);
    expect(await available(f.core, ben)).toBe(5_00n);
  });

  it('only its creator adds or removes members, and the creator stays', async () => {
    const chat = group();
    const ann = await person(f.core, 'ann');
    const ben = await person(f.core, 'ben');
    await newFund(f.core, ann, chat);
    const members = (who: Person, change?: { op: 'add' | 'remove'; member: Person }) =>
      f.db.transaction((tx) =>
        f.core.funds.members(tx, { person: who, chat, name: 'trip', ...(change ? { change } : {}) }),
      );
    expect(await members(ben, { op: 'add', member: ben })).toEqual({ type: 'rejected', error: 'NotFundCreator' });
    expect(await members(ann, { op: 'add', member: ben })).toMatchObject({ type: 'members', changed: 'added' });
    expect(await members(ann, { op: 'add', member: ben })).toEqual({ type: 'rejected', error: 'AlreadyMember' });
    expect(await members(ann, { op: 'remove', member: ann })).toEqual({ type: 'rejected', error: 'NotAMember' });
    expect(await members(ann, { op: 'remove', member: ben })).toMatchObject({ type: 'members', changed: 'removed' });
    const shown = await members(ben);
    expect(shown.type === 'members' && shown.members.map((m) => m.displayName)).toEqual(['Ann']);
  });

  it('pays a spend once a majority of members voted yes, in the job that closes the vote, and only once', async () => {
    const { chat, ann, ben, chen } = await threeMembers();
    const dan = await person(f.core, 'dan');
    const spend = await openSpend(f.core, ann, dan, chat, 80_00n);
    expect(spend).toMatchObject({ members: 3, needed: 2 });
    // Asking moves nothing: the fund's money leaves only by a vote.
    expect(await available(f.core, dan)).toBe(0n);
    expect(await f.core.funds.decideSpend(f.db, spend.spendId)).toMatchObject({ type: 'noop', reason: 'NotDue' });

    expect(await vote(f.core, ann, chat, spend.actionId, YES)).toMatchObject({ type: 'group', result: { ok: true } });
    expect(await vote(f.core, ben, chat, spend.actionId, NO)).toMatchObject({ type: 'group', result: { ok: true } });
    // Ben changes his mind: his new vote is the one that counts, and the spend passes.
    await vote(f.core, ben, chat, spend.actionId, YES);
    // Each vote asked for a check after its commit (three votes, three checks, besides the deadline).
    const due = await f.db.query(`SELECT key FROM outbox WHERE key LIKE $1`, [
      `fund.vote.close:${spend.spendId}:check:%`,
    ]);
    expect(due.rows).toHaveLength(3);

    const decisions = await Promise.all([
      f.core.funds.decideSpend(f.db, spend.spendId),
      f.core.funds.decideSpend(f.db, spend.spendId),
      f.core.funds.decideSpend(f.db, spend.spendId),
    ]);
    expect(decisions.filter((d) => d.type === 'paid')).toHaveLength(1);
    expect(decisions.filter((d) => d.type === 'noop')).toHaveLength(2);
    expect(await available(f.core, dan)).toBe(80_00n);
    const view = await f.core.funds.show(f.db, chat, 'trip');
    expect(view?.balance).toEqual(usd(70_00n));
    expect(view?.movements[0]).toMatchObject({
      direction: 'out',
      name: 'Dan',
      note: 'tickets',
      approvedBy: ['Ann', 'Ben'],
    });
    // Closed: a late vote is refused, and Chen's no changes nothing.
    expect(await vote(f.core, chen, chat, spend.actionId, NO)).toMatchObject({
      result: { ok: false, error: 'Closed' },
    });
    expect((await notificationsOf(f.db, dan)).map((n) => n.template.key)).toContain('fund.received');
  });

  it('decides at once when two members pass it by voting at the same moment', async () => {
    const { chat, ann, ben } = await threeMembers();
    const dan = await person(f.core, 'dan');
    const spend = await openSpend(f.core, ann, dan, chat, 10_00n);
    // Neither vote's transaction sees the other's: only the checks that run after both commit can see the pass.
    await Promise.all([vote(f.core, ann, chat, spend.actionId, YES), vote(f.core, ben, chat, spend.actionId, YES)]);
    const checks = await f.db.query(`SELECT key FROM outbox WHERE key LIKE $1`, [
      `fund.vote.close:${spend.spendId}:check:%`,
    ]);
    expect(checks.rows).toHaveLength(2);
    const decided = await Promise.all(
      checks.rows.map(() => f.core.funds.decideSpend(f.db, spend.spendId, { check: true })),
    );
    expect(decided.filter((d) => d.type === 'paid')).toHaveLength(1);
    expect(decided.filter((d) => d.type === 'noop')).toHaveLength(1);
    expect(await available(f.core, dan)).toBe(10_00n);
  });

  it("ignores a non-member's vote and counts one member's double vote once", async () => {
    const { chat, ann, ben } = await threeMembers();
    const eve = await person(f.core, 'eve', 10_00n);
    const spend = await openSpend(f.core, ann, eve, chat, 10_00n);
    expect(await vote(f.core, eve, chat, spend.actionId, YES)).toMatchObject({
      result: { ok: false, error: 'NotEligible' },
    });
    await Promise.all([vote(f.core, ann, chat, spend.actionId, YES), vote(f.core, ann, chat, spend.actionId, YES)]);
    expect(await f.core.funds.decideSpend(f.db, spend.spendId)).toMatchObject({ type: 'noop', reason: 'NotDue' });
    await vote(f.core, ben, chat, spend.actionId, YES);
    expect(await f.core.funds.decideSpend(f.db, spend.spendId)).toMatchObject({ type: 'paid' });
  });

  it('fails at the deadline when the members did not pass it, and tells the requester', async () => {
    const short = coreWith(f.db, { voteTtlMs: 300 });
    const { chat, ann, ben } = await threeMembers(short);
    const spend = await openSpend(short, ann, ben, chat, 20_00n);
    await vote(short, ann, chat, spend.actionId, YES);
    await sleep(400);
    // The last vote and the deadline together: the vote is refused as expired, the deadline decides.
    const [late, decided] = await Promise.all([
      vote(short, ben, chat, spend.actionId, YES),
      short.funds.decideSpend(f.db, spend.spendId),
    ]);
    expect(late).toMatchObject({ result: { ok: false } });
    expect(decided).toMatchObject({ type: 'failed', reason: 'vote' });
    expect(await short.funds.decideSpend(f.db, spend.spendId)).toMatchObject({ type: 'noop', reason: 'Decided' });
    expect((await short.funds.show(f.db, chat, 'trip'))?.balance).toEqual(usd(150_00n));
    expect((await notificationsOf(f.db, ann)).map((n) => n.template.key)).toContain('fund.spend_failed');
  });

  it('lets money leave a fund only by a spend its members passed', async () => {
    const { chat, ann, ben } = await threeMembers();
    const dan = await person(f.core, 'dan');
    const passed = await openSpend(f.core, ann, dan, chat, 30_00n);
    await vote(f.core, ann, chat, passed.actionId, YES);
    await vote(f.core, ben, chat, passed.actionId, YES);
    await f.core.funds.decideSpend(f.db, passed.spendId);
    const open = await openSpend(f.core, ben, dan, chat, 40_00n);
    await vote(f.core, ben, chat, open.actionId, YES);
    await f.core.funds.decideSpend(f.db, open.spendId);
    // Every debit of the fund's account is the payout of a passed spend; nothing else ever took from it.
    const fund = await f.core.funds.show(f.db, chat, 'trip');
    const debits = await f.db.query(
      `SELECT t.id, s.state FROM transfers t JOIN accounts a ON a.id = t.debit_account
         LEFT JOIN fund_spends s ON s.transfer_id = t.id
        WHERE a.owner = $1`,
      [`fund:${fund?.fund.id}`],
    );
    expect(debits.rows.map((r) => r.state)).toEqual(['passed']);
    expect(fund?.balance).toEqual(usd(120_00n));
  });

  it('refuses a spend the fund cannot cover and one asked by someone who is not a member', async () => {
    const { chat, ann } = await threeMembers();
    const eve = await person(f.core, 'eve');
    const tooMuch = await f.db.transaction((tx) =>
      f.core.funds.spend(tx, { key: key(), requester: ann, chat, name: 'trip', amount: usd(151_00n), payee: eve }),
    );
    expect(tooMuch).toEqual({ type: 'rejected', error: 'InsufficientFunds' });
    const stranger = await f.db.transaction((tx) =>
      f.core.funds.spend(tx, { key: key(), requester: eve, chat, name: 'trip', amount: usd(1_00n), payee: eve }),
    );
    expect(stranger).toEqual({ type: 'rejected', error: 'NotAMember' });
  });
});

describe('locked pots', () => {
  async function newPot(core: Core, creator: Person, beneficiary: Person, lockedUntil: Date) {
    const chat = group();
    const created = await f.db.transaction((tx) =>
      core.funds.create(tx, {
        key: key(),
        creator,
        chat,
        name: '压岁钱',
        currency: 'USD',
        pot: { beneficiary, lockedUntil },
      }),
    );
    if (created.type !== 'created') throw new Error(`pot not created: ${created.error}`);
    return { chat, pot: created.fund };
  }

  const give = (core: Core, who: Person, chat: ReturnType<typeof group>, minor: bigint, note: string) =>
    f.db.transaction((tx) =>
      core.funds.add(tx, { key: key(), person: who, chat, name: '压岁钱', amount: usd(minor), note }),
    );

  it('takes anyone’s money with a note, thanks each giver, and shows the beneficiary and the unlock date', async () => {
    const mum = await person(f.core, 'mum');
    const mei = await person(f.core, 'mei');
    const grandma = await person(f.core, 'grandma', 100_00n);
    const until = new Date(Date.now() + 30 * 86_400_000);
    const { chat } = await newPot(f.core, mum, mei, until);
    expect((await give(f.core, grandma, chat, 88_00n, 'from grandma')).type).toBe('added');

    const view = await f.core.funds.show(f.db, chat, '压岁钱');
    expect(view).toMatchObject({ beneficiaryName: 'Mei', balance: usd(88_00n), fund: { lockedUntil: until } });
    expect(view?.movements[0]).toMatchObject({ direction: 'in', name: 'Grandma', note: 'from grandma' });
    const thanks = (await notificationsOf(f.db, grandma)).filter((n) => n.template.key === 'fund.thanks');
    expect(thanks).toHaveLength(1);
    expect(thanks[0]?.template.params).toMatchObject({ beneficiary: 'Mei', amount: '88.00 USD' });
  });

  it('refuses a spend and a close before its date, naming the date', async () => {
    const mum = await person(f.core, 'mum', 100_00n);
    const mei = await person(f.core, 'mei');
    const until = new Date(Date.now() + 30 * 86_400_000);
    const { chat } = await newPot(f.core, mum, mei, until);
    await give(f.core, mum, chat, 50_00n, 'from mum');
    const spend = await f.db.transaction((tx) =>
      f.core.funds.spend(tx, { key: key(), requester: mum, chat, name: '压岁钱', amount: usd(1_00n), payee: mum }),
    );
    expect(spend).toEqual({ type: 'rejected', error: 'Locked', until });
    const close = await f.db.transaction((tx) =>
      f.core.funds.close(tx, { key: key(), requester: mum, chat, name: '压岁钱' }),
    );
    expect(close).toEqual({ type: 'rejected', error: 'Locked', until });
    expect(await available(f.core, mum)).toBe(50_00n);
  });

  it('is not due before its date: the maturity job waits and moves nothing', async () => {
    const mum = await person(f.core, 'mum', 100_00n);
    const mei = await person(f.core, 'mei');
    const until = new Date(Date.now() + 30 * 86_400_000);
    const { chat, pot } = await newPot(f.core, mum, mei, until);
    await give(f.core, mum, chat, 50_00n, 'from mum');
    const [job] = await outbox(f.db, `fund.mature:${pot.id}`);
    expect(job?.dueAt).toEqual(until);
    expect(await f.core.funds.mature(f.db, pot.id)).toEqual({ type: 'noop', reason: 'NotDue', dueAt: until });
    // The worker's handler retries it at the date rather than treating the early run as done.
    await expect(
      f.core.timed['fund.mature'](f.db, { fundId: pot.id.toString() }, { key: matureKey(pot.id), dueAt: until }),
    ).rejects.toBeInstanceOf(JobNotDue);
    expect(await available(f.core, mei)).toBe(0n);
  });

  it('pays the whole balance to the beneficiary exactly once at its date, with two runs racing', async () => {
    const mum = await person(f.core, 'mum', 100_00n);
    const grandma = await person(f.core, 'grandma', 100_00n);
    const mei = await person(f.core, 'mei');
    const { chat, pot } = await newPot(f.core, mum, mei, new Date(Date.now() + 400));
    await give(f.core, mum, chat, 30_00n, 'from mum');
    await give(f.core, grandma, chat, 20_00n, 'from grandma');
    await sleep(500);

    const runs = await Promise.all([f.core.funds.mature(f.db, pot.id), f.core.funds.mature(f.db, pot.id)]);
    expect(runs.filter((r) => r.type === 'matured')).toHaveLength(1);
    expect(runs.filter((r) => r.type === 'noop')).toEqual([{ type: 'noop', reason: 'Decided' }]);
    expect(await available(f.core, mei)).toBe(50_00n);
    expect(await f.core.funds.mature(f.db, pot.id)).toEqual({ type: 'noop', reason: 'Decided' });
    expect((await f.core.funds.show(f.db, chat, '压岁钱'))?.fund.state).toBe('matured');
    expect((await notificationsOf(f.db, mei)).map((n) => n.template.key)).toContain('fund.matured');
    expect((await notificationsOf(f.db, mum)).map((n) => n.template.key)).toContain('fund.matured_creator');
    // Matured: nothing more goes in.
    expect(await give(f.core, grandma, chat, 1_00n, 'late')).toEqual({ type: 'rejected', error: 'FundClosed' });
  });
});

describe('a pot for someone who has not started the bot', () => {
  const press = (core: Core, who: Person, actionId: string) =>
    f.db.transaction((tx) =>
      core.press(tx, { actionId, person: who, platform: 'telegram', chatId: who.id.toString() }),
    );

  /** The creator's "it is them" button for the pot, from the notification they got. */
  async function bindButton(creator: Person, claimantId: string): Promise<string> {
    const n = (await notificationsOf(f.db, creator)).find(
      (x) => x.template.key === 'fund.pot_matched' && x.template.params.claimantId === claimantId,
    );
    const id = n?.template.buttons?.[0]?.[0]?.actionId;
    if (!id) throw new Error('no pot_bind button');
    return id;
  }

  it('waits for their @username past its date, and pays them once the creator confirms it is them', async () => {
    const suffix = randomUUID().slice(0, 8);
    const username = `lily_${suffix}`;
    const mum = await person(f.core, `mum_${suffix}`, 100_00n);
    const grandpa = await person(f.core, `grandpa_${suffix}`, 100_00n);
    const chat = group();
    const created = await f.db.transaction((tx) =>
      f.core.funds.create(tx, {
        key: key(),
        creator: mum,
        chat,
        name: 'lily',
        currency: 'USD',
        pot: { beneficiary: { username: `@${username.toUpperCase()}` }, lockedUntil: new Date(Date.now() + 400) },
      }),
    );
    expect(created).toMatchObject({
      type: 'created',
      beneficiaryName: `@${username}`,
      fund: { beneficiary: null, beneficiaryUsername: username },
    });
    if (created.type !== 'created') return;
    const pot = created.fund;
    expect((await add(f.core, grandpa, chat, 40_00n, 'lily')).type).toBe('added');
    const thanks = (await notificationsOf(f.db, grandpa)).find((n) => n.template.key === 'fund.thanks');
    expect(thanks?.template.params.beneficiary).toBe(`@${username}`);
    await sleep(500);

    // At its date nobody holds the username: the money stays in the pot and the creator is told (once).
    expect(await f.core.funds.mature(f.db, pot.id)).toEqual({ type: 'noop', reason: 'Waiting' });
    expect(await f.core.funds.mature(f.db, pot.id)).toEqual({ type: 'noop', reason: 'Waiting' });
    const waiting = (await notificationsOf(f.db, mum)).filter((n) => n.template.key === 'fund.pot_waiting');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]?.template.params).toMatchObject({ username, amount: '40.00 USD' });
    // Nothing else can be paid from it, and the refusal says it has unlocked.
    const spend = await f.db.transaction((tx) =>
      f.core.funds.spend(tx, { key: key(), requester: mum, chat, name: 'lily', amount: usd(1_00n), payee: mum }),
    );
    expect(spend).toMatchObject({ type: 'rejected', error: 'Unlocked' });

    // Lily starts the bot: the creator is asked (once, however often she is seen), with her name and id.
    const lilyActor = actor(username, { displayName: 'Lily' });
    await f.core.people.seen(lilyActor);
    await f.core.people.seen(lilyActor);
    const asked = (await notificationsOf(f.db, mum)).filter((n) => n.template.key === 'fund.pot_matched');
    expect(asked).toHaveLength(1);
    expect(asked[0]?.template).toMatchObject({
      params: { fund: 'lily', username, claimantName: 'Lily', claimantId: lilyActor.userId },
      buttons: [[{ labelKey: 'button.pot_bind' }]],
    });
    const lily = await touch(f.core, lilyActor);
    expect(await available(f.core, lily)).toBe(0n);

    // Only the creator can confirm; confirming pays at once (its date has passed), exactly once.
    const bind = await bindButton(mum, lilyActor.userId);
    expect(await press(f.core, lily, bind)).toEqual({ type: 'refused', error: 'NotYours' });
    expect(await press(f.core, mum, bind)).toMatchObject({
      type: 'done',
      kind: 'fund.pot.bind',
      outcome: { type: 'bound', beneficiaryName: 'Lily', paid: usd(40_00n) },
    });
    expect(await press(f.core, mum, bind)).toEqual({ type: 'refused', error: 'AlreadyUsed' });
    expect(await available(f.core, lily)).toBe(40_00n);
    expect(await f.core.funds.mature(f.db, pot.id)).toEqual({ type: 'noop', reason: 'Decided' });
    expect((await notificationsOf(f.db, lily)).map((n) => n.template.key)).toContain('fund.matured');
  });

  it('is not given to someone who took the username after the creator was asked', async () => {
    const suffix = randomUUID().slice(0, 8);
    const username = `kai_${suffix}`;
    const dad = await person(f.core, `dad_${suffix}`, 100_00n);
    const chat = group();
    const created = await f.db.transaction((tx) =>
      f.core.funds.create(tx, {
        key: key(),
        creator: dad,
        chat,
        name: 'kai',
        currency: 'USD',
        pot: { beneficiary: { username }, lockedUntil: new Date(Date.now() + 30 * 86_400_000) },
      }),
    );
    expect(created.type).toBe('created');
    const first = actor(username, { displayName: 'Kai' });
    await f.core.people.seen(first);
    // The username moves to someone else before the creator confirms the first holder.
    const second = actor(username, { displayName: 'Not Kai' });
    await f.core.people.seen(second);
    expect(await press(f.core, dad, await bindButton(dad, first.userId))).toMatchObject({
      outcome: { type: 'rejected', error: 'UsernameMoved' },
    });
    // The new holder was asked about too: confirming them binds the pot, which pays at its date, not before.
    expect(await press(f.core, dad, await bindButton(dad, second.userId))).toMatchObject({
      outcome: { type: 'bound', beneficiaryName: 'Not Kai', paid: null },
    });
    expect((await f.core.funds.show(f.db, chat, 'kai'))?.beneficiaryName).toBe('Not Kai');
  });
});

describe('a pot maturing while someone adds', () => {
  it('never strands money: a racing add is either paid out with the rest or refused', async () => {
    const mum = await person(f.core, 'mum', 100_00n);
    const grandma = await person(f.core, 'grandma', 100_00n);
    const mei = await person(f.core, 'mei');
    const chat = group();
    const created = await f.db.transaction((tx) =>
      f.core.funds.create(tx, {
        key: key(),
        creator: mum,
        chat,
        name: 'lucky',
        currency: 'USD',
        pot: { beneficiary: mei, lockedUntil: new Date(Date.now() + 300) },
      }),
    );
    if (created.type !== 'created') throw new Error('pot not created');
    await add(f.core, mum, chat, 10_00n, 'lucky');
    await sleep(400);
    const [added, matured] = await Promise.all([
      add(f.core, grandma, chat, 5_00n, 'lucky'),
      f.core.funds.mature(f.db, created.fund.id),
    ]);
    expect(matured.type).toBe('matured');
    expect((await f.core.funds.show(f.db, chat, 'lucky'))?.balance).toEqual(usd(0n));
    expect(await available(f.core, mei)).toBe(added.type === 'added' ? 15_00n : 10_00n);
    expect(await available(f.core, grandma)).toBe(added.type === 'added' ? 95_00n : 100_00n);
  });
});

describe('closing a fund by vote', () => {
  async function openClose(
    core: Core,
    requester: Person,
    chat: ReturnType<typeof group>,
  ): Promise<Extract<FundCloseOutcome, { type: 'vote' }>> {
    const close = await f.db.transaction((tx) => core.funds.close(tx, { key: key(), requester, chat, name: 'trip' }));
    if (close.type !== 'vote') throw new Error(`no vote: ${close.error}`);
    return close;
  }

  it('gives back what is left in proportion to what each put in, to the unit, and closes the fund', async () => {
    const chat = group();
    const [ann, ben, chen, dan] = [
      await person(f.core, 'ann', 100_00n),
      await person(f.core, 'ben', 100_00n),
      await person(f.core, 'chen', 100_00n),
      await person(f.core, 'dan'),
    ];
    await newFund(f.core, ann, chat);
    await add(f.core, ann, chat, 30n);
    await add(f.core, ben, chat, 20n);
    await add(f.core, chen, chat, 10n);
    // One unit leaves by a passed spend, so 59 are left to share 30:20:10.
    const spend = await openSpend(f.core, ann, dan, chat, 1n);
    await vote(f.core, ann, chat, spend.actionId, YES);
    await vote(f.core, ben, chat, spend.actionId, YES);
    expect(await f.core.funds.decideSpend(f.db, spend.spendId)).toMatchObject({ type: 'paid' });

    const close = await openClose(f.core, ben, chat);
    expect(close).toMatchObject({ balance: usd(59n), members: 3, needed: 2 });
    expect(await f.core.funds.decideClose(f.db, close.closeId)).toMatchObject({ type: 'noop', reason: 'NotDue' });
    await vote(f.core, ben, chat, close.actionId, YES);
    await vote(f.core, chen, chat, close.actionId, YES);
    const decided = await Promise.all([
      f.core.funds.decideClose(f.db, close.closeId),
      f.core.funds.decideClose(f.db, close.closeId),
    ]);
    expect(decided.filter((d) => d.type === 'closed')).toHaveLength(1);
    // 59 × 30/60 = 29.5, × 20/60 = 19.67, × 10/60 = 9.83: 29 + 19 + 9 = 57, the two left go to the largest
    // remainders (Chen's .83, Ben's .67).
    expect(await available(f.core, ann)).toBe(100_00n - 30n + 29n);
    expect(await available(f.core, ben)).toBe(100_00n - 20n + 20n);
    expect(await available(f.core, chen)).toBe(100_00n - 10n + 10n);
    const view = await f.core.funds.show(f.db, chat, 'trip');
    expect(view).toMatchObject({ balance: usd(0n), fund: { state: 'closed' } });
    expect(await add(f.core, ann, chat, 1_00n)).toEqual({ type: 'rejected', error: 'FundClosed' });
    expect((await notificationsOf(f.db, chen)).map((n) => n.template.key)).toContain('fund.refunded');
  });

  it('moves nothing when the vote fails at its deadline', async () => {
    const short = coreWith(f.db, { voteTtlMs: 300 });
    const { chat, ann, ben } = await threeMembers(short);
    const close = await openClose(short, ann, chat);
    await vote(short, ann, chat, close.actionId, YES);
    await vote(short, ben, chat, close.actionId, NO);
    await sleep(400);
    expect(await short.funds.decideClose(f.db, close.closeId)).toMatchObject({ type: 'failed', reason: 'vote' });
    expect(await short.funds.decideClose(f.db, close.closeId)).toMatchObject({ type: 'noop', reason: 'Decided' });
    const view = await short.funds.show(f.db, chat, 'trip');
    expect(view).toMatchObject({ balance: usd(150_00n), fund: { state: 'open' } });
    expect(await available(short, ann)).toBe(50_00n);
    // Whoever asked hears it privately too.
    const asked = await notificationsOf(f.db, ann);
    expect(asked.map((n) => n.template.key)).toContain('fund.close_failed');
  });

  it('stores a quorum per fund and refuses one out of range', async () => {
    const chat = group();
    const ann = await person(f.core, 'ann');
    const made = await f.db.transaction((tx) =>
      f.core.funds.create(tx, { key: key(), creator: ann, chat, name: 'club', currency: 'USD', quorumPct: 60 }),
    );
    expect(made).toMatchObject({ type: 'created', fund: { quorumPct: 60 } });
    const bad = await f.db.transaction((tx) =>
      f.core.funds.create(tx, { key: key(), creator: ann, chat, name: 'club2', currency: 'USD', quorumPct: 0 }),
    );
    expect(bad).toEqual({ type: 'rejected', error: 'BadQuorum' });
  });
});
