/**
 * Money does not wait for the chat's pacing (`chipin start` with Telegram's limits on, the fake Bot API enforcing
 * them): Telegram lets a bot send about one message a second to a chat, so a person who sends twenty commands at
 * once gets twenty answers over twenty seconds — but every one of the twenty is committed at once, and the answers
 * still arrive in the order the commands were sent.
 */
import { describe, expect, it } from 'vitest';
import { sentTo, sleep, telegramWorld, waitForSent } from '../support/app.js';

describe('commands commit at once while their replies go out at the platform pace', () => {
  const world = telegramWorld();

  it('twenty /faucet in one private chat are all in the ledger long before the twentieth answer can be sent', async () => {
    const { fake, database, post } = world;
    const alice = fake.user(5_950_001, 'Alice', { username: 'alice_pacing', language_code: 'en' });
    const chat = fake.privateChat(alice);
    const amounts = Array.from({ length: 20 }, (_, i) => i + 1);
    for (const amount of amounts) await post(fake.message(alice, chat, `/faucet ${amount}`));

    const faucets = async (): Promise<number> => {
      const r = await database.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM command_log WHERE command = 'faucet' AND outcome IS NOT NULL
            AND key LIKE 'tg:%'`,
      );
      return Number(r.rows[0]?.n ?? 0);
    };
    const deadline = Date.now() + 30_000;
    while ((await faucets()) < amounts.length && Date.now() < deadline) await sleep(20);
    // When the twentieth outcome is committed, at one message a second to this chat, most answers are still to come
    // (when each waited for its answer, the twentieth committed after the nineteenth answer).
    const answered = sentTo(fake, alice.id).length;
    expect(await faucets()).toBe(amounts.length);
    expect(answered).toBeLessThan(amounts.length / 2);

    const answers = await waitForSent(fake, alice.id, () => true, { count: amounts.length, timeoutMs: 40_000 });
    // In the order the commands were sent: each answer names its amount ("Added 3.00 USD of demo money…").
    const named = answers.map((m) => Number(/Added (\d+)\.00 USD/.exec(m.text)?.[1]));
    expect(named).toEqual(amounts);
  }, 60_000);
});
