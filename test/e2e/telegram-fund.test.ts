/**
 * A group fund through the real app (`chipin start`: webhook, command layer, workers) and the fake Bot API: members
 * put money in, a spend opens a native non-anonymous poll, members answer it, the workers decide and pay, the card in
 * the group is edited with the result; a non-member's answer does not count and they hear why in private.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { editsIn, settled, waitForSent, type TgUser, telegramWorld } from '../support/app.js';
import type { TestDatabase } from '../support/postgres.js';

describe('a group fund through the real app', () => {
  const world = telegramWorld();
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  const group = { id: -100_560_900, type: 'supergroup', title: 'Trip 2027' };
  const users: Record<'ann' | 'ben' | 'chen' | 'dan' | 'eve', TgUser> = {} as never;

  beforeAll(async () => {
    ({ database, fake } = world);
    let id = 5_609_100;
    for (const name of ['ann', 'ben', 'chen', 'dan', 'eve'] as const) {
      users[name] = fake.user((id += 1), name[0]!.toUpperCase() + name.slice(1), {
        username: `${name}_fund`,
        language_code: 'en',
      });
      await post(fake.message(users[name], fake.privateChat(users[name]), '/faucet 100'));
      await waitForSent(fake, users[name].id, (m) => m.text.includes('100.00 USD'));
    }
  });

  async function inGroup(user: TgUser, text: string, match: (text: string) => boolean) {
    await post(fake.message(user, group, text));
    const [reply] = await waitForSent(fake, group.id, (m) => match(m.text));
    return reply!;
  }

  it('members vote on a native poll; the workers pay what passed and the card shows it', async () => {
    const { ann, ben, chen, dan, eve } = users;
    await inGroup(ann, '/fund new trip 300', (text) => text.includes('Fund “trip” started by Ann'));
    for (const who of [ann, ben, chen])
      await inGroup(who, '/fund add trip 50', (text) => text.includes(`added to “trip”`));

    await post(fake.message(ann, group, '/fund spend trip 80 @dan_fund train tickets'));
    const [card] = await waitForSent(fake, group.id, (m) => m.text.startsWith('🗳 Pay 80.00 USD from “trip” to Dan?'));
    expect(card?.text).toContain('Yes 0 · No 0');
    await fake.waitFor(() => fake.polls.size > 0, 10_000, 'sendPoll');
    const poll = [...fake.polls.values()].at(-1)!;
    expect(fake.sent('sendPoll').at(-1)?.params).toMatchObject({
      chat_id: group.id,
      question: 'Pay 80.00 USD from “trip” to Dan?',
      options: ['Yes', 'No'],
      is_anonymous: false,
    });

    // Eve is no member: her answer does not count, and she is told privately.
    await post(fake.pollAnswer(eve, poll.id, [0]));
    await waitForSent(fake, eve.id, (m) => m.text.includes('did not count'));
    // Ann and Ben say yes (Ben's answer arrives twice): that is 2 of 3, the spend passes.
    await post(fake.pollAnswer(ann, poll.id, [0]));
    const benYes = fake.pollAnswer(ben, poll.id, [0]);
    await post(benYes);
    await post(benYes);

    await waitForSent(fake, dan.id, (m) => m.text.includes('80.00 USD from the fund “trip” is in your wallet'));
    await fake.waitFor(
      () => editsIn(fake, group.id).some((e) => e.text.startsWith('✅ Paid 80.00 USD from “trip” to Dan')),
      15_000,
      'the card edited with the result',
    );
    // The vote closed, so its native poll is stopped: the chat sees it closed.
    await fake.waitFor(() => fake.polls.get(poll.id)?.isClosed === true, 15_000, 'stopPoll');
    await settled(database.db);
    const show = await inGroup(chen, '/fund show trip', (text) => text.includes('💼 trip —'));
    expect(show.text).toContain('trip — 70.00 USD');
    expect(show.text).toMatch(/−80\.00 USD to Dan — train tickets \(approved by Ann, Ben\)/);
    const paid = await database.db.query(`SELECT count(*)::int AS n FROM transfers WHERE kind = 'fund.spend'`);
    expect(paid.rows[0]?.n).toBe(1);
  });
});
