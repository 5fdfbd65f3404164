/**
 * Locked pots and shared recurring support through the real app (`chipin start`) and the fake Bot API: a pot takes
 * gifts with notes, thanks each giver privately and refuses to be spent before its date; a recurring transfer
 * shared by a fund's members shows an Accept button per sibling, starts on the last tap, and its run takes every share
 * at once; a pot for someone who never started the bot waits for them past its date.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { t } from '../../bots/i18n/index.js';
import type { FakeTelegramApi } from '../fakes/telegram-api.js';
import { answerOf, settled, waitForSent, type TgUser, telegramWorld } from '../support/app.js';
import type { TestDatabase } from '../support/postgres.js';

describe('pots and shared recurring support through the real app', () => {
  const world = telegramWorld();
  const { post } = world;
  let database: TestDatabase;
  let fake: FakeTelegramApi;
  const group = { id: -100_560_901, type: 'supergroup', title: 'Family' };
  const users: Record<'grandpa' | 'grandma' | 'mei' | 'ann' | 'ben' | 'chen' | 'mum', TgUser> = {} as never;

  beforeAll(async () => {
    ({ database, fake } = world);
    let id = 5_609_200;
    for (const name of ['grandpa', 'grandma', 'mei', 'ann', 'ben', 'chen', 'mum'] as const) {
      users[name] = fake.user((id += 1), name[0]!.toUpperCase() + name.slice(1), {
        username: `${name}_fam`,
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

  it('a locked pot takes gifts with notes, thanks each giver, and refuses to be spent before its date', async () => {
    const { grandpa, grandma } = users;
    await inGroup(grandpa, '/fund new lucky for @mei_fam until 2099-02-17', (text) => text.includes('Fund “lucky”'));
    await inGroup(grandma, '/fund add lucky 88 from grandma', (text) => text.includes('88.00 USD added to “lucky”'));
    await waitForSent(fake, grandma.id, (m) => m.text.startsWith('🧧 Thank you for putting 88.00 USD into “lucky”'));
    const refused = await inGroup(grandpa, '/fund spend lucky 20 @grandpa_fam sweets', (text) =>
      text.includes('locked'),
    );
    expect(refused.text).toContain('2099');
    // Replies waiting for the group's budget may arrive merged into one message: look for the text, not its start.
    const shown = await inGroup(grandpa, '/fund show lucky', (text) => text.includes('💼 lucky —'));
    expect(shown.text).toContain('For Mei');
    expect(shown.text).toContain('from grandma');
  });

  it('a pot for a child who never started the bot waits past its date, and pays them once the creator confirms it is them', async () => {
    const { grandpa, grandma } = users;
    const made = await inGroup(grandpa, '/fund new mochi for @kiko_fam until 2099-02-17', (text) =>
      text.includes('Fund “mochi”'),
    );
    expect(made.text).toContain('@kiko_fam hasn’t started chipin yet');
    await inGroup(grandma, '/fund add mochi 12 from grandma', (text) => text.includes('12.00 USD added to “mochi”'));
    // Its date comes (moved to now: the maturity job is due, the worker runs it). Kiko has not shown up, so the money
    // stays in the pot and the creator is told.
    const pot = await database.db.query(
      `UPDATE funds SET locked_until = now() WHERE name = 'mochi' RETURNING id::text`,
    );
    await database.db.query(`UPDATE outbox SET due_at = now() WHERE key = $1`, [
      `fund.mature:${String(pot.rows[0]?.id)}`,
    ]);
    await waitForSent(fake, grandpa.id, (m) => m.text.includes('but @kiko_fam hasn’t started chipin yet'));

    // Kiko starts the bot: grandpa is asked whether it is them, with their name and id, and confirms.
    const kiko = fake.user(5_609_300, 'Kiko', { username: 'kiko_fam', language_code: 'en' });
    await post(fake.message(kiko, fake.privateChat(kiko), '/start'));
    const [asked] = await waitForSent(fake, grandpa.id, (m) => m.text.includes('@kiko_fam just started chipin'));
    expect(asked!.text).toContain(`id ${kiko.id}`);
    const confirm = asked!.buttons.find((b) => b.text === 'Yes, it’s them')!;
    const tap = fake.callback(grandpa, fake.privateChat(grandpa), confirm.messageId ?? 0, confirm.data);
    await post(tap);
    await answerOf(fake, tap);
    await waitForSent(fake, kiko.id, (m) => m.text.startsWith('🧧 The pot “mochi” has unlocked: 12.00 USD'));
    await settled(database.db);
    const state = await database.db.query(`SELECT state FROM funds WHERE name = 'mochi'`);
    expect(state.rows[0]?.state).toBe('matured');
  });

  it('a recurring transfer shared by a fund’s members starts when every sibling accepted, and a run takes every share', async () => {
    const { ann, ben, chen } = users;
    await inGroup(ann, '/fund new parents', (text) => text.includes('Fund “parents”'));
    for (const who of [ann, ben, chen]) await inGroup(who, '/fund add parents 1', (text) => text.includes('“parents”'));
    const card = await inGroup(
      ann,
      '/every @mum_fam 60 monthly on 1 from parents shares @ann_fam:1 @ben_fam:1 @chen_fam:2',
      (text) => text.startsWith('🔁'),
    );
    expect(card.text).toContain('shared by members of the fund “parents”');
    expect(card.text).toContain('30.00 USD (2/4)');
    const accept = (label: string) => card.buttons.find((b) => b.text.startsWith(`Accept: ${label}`))!;
    // Chen cannot accept Ann's share; each accepts their own, and the last tap starts it.
    const wrong = fake.callback(chen, group, accept('Ann').messageId ?? 0, accept('Ann').data);
    await post(wrong);
    expect(await answerOf(fake, wrong)).toBe(t('en', 'action.NotYours'));
    for (const [who, label] of [
      [ann, 'Ann'],
      [ben, 'Ben'],
      [chen, 'Chen'],
    ] as const) {
      const tap = fake.callback(who, group, accept(label).messageId ?? 0, accept(label).data);
      await post(tap);
      await answerOf(fake, tap);
    }
    await settled(database.db);
    const state = await database.db.query(`SELECT id, state FROM schedules WHERE fund_id IS NOT NULL`);
    expect(state.rows.map((r) => r.state)).toEqual(['active']);

    // The first run comes (moved to now): the worker takes every share in one ledger unit and pays mum once.
    const id = String(state.rows[0]?.id);
    await database.db.query(`UPDATE schedules SET next_at = now() WHERE id = $1`, [id]);
    await database.db.query(`UPDATE outbox SET due_at = now() WHERE key = $1`, [`schedule.run:${id}:1`]);
    await waitForSent(fake, users.mum.id, (m) => m.text.includes('60.00 USD'));
    await settled(database.db);
    const legs = await database.db.query(`SELECT amount::text FROM transfers WHERE ref LIKE $1 ORDER BY ref`, [
      `schedule:${id}:1#%`,
    ]);
    expect(legs.rows.map((r) => r.amount)).toEqual(['1500', '1500', '3000']);
  });
});
