/**
 * Issue 16, prove (1): a Discord burst of 400 interactions, every one acknowledged within Discord's 3 s. The real
 * `chipin start` (HTTP interactions), 200 people funded by /faucet, then 400 /pay at once across 20 channels; each
 * interaction's time is measured from sending it to its acknowledgement (the HTTP answer carrying the deferral).
 * Every payment then runs once, its reply arrives, and `chipin check --deep` finds nothing.
 */
import { describe, expect, it } from 'vitest';
import { postInteraction, type DiscordUser } from '../fakes/discord-api.js';
import { inboxDrained, notificationsDrained } from '../support/app.js';
import { contentOf, discordApp } from '../support/discord.js';
import { expectInvariants } from './invariants.js';
import { scenarioLine } from './report.js';

const PEOPLE = 200;
const BURST = 400;
const CHANNELS = 20;
const DEADLINE_MS = 3_000;
const GUILD = '360000000000000001';
const channel = (i: number) => ({ guildId: GUILD, channelId: String(460_000_000_000_000_000n + BigInt(i % CHANNELS)) });

describe('a Discord burst', () => {
  const world = discordApp('160000000000000001');

  it('400 interactions at once, each acknowledged within 3 s, each payment once', async () => {
    const { app, discord, interactions, database } = world;

    /** Sends all at once; resolves with each one's time to its acknowledgement. */
    async function burst(raws: ReadonlyArray<Record<string, unknown>>): Promise<number[]> {
      return Promise.all(
        raws.map(async (raw) => {
          const sent = Date.now();
          const res = await postInteraction(app.url, interactions, raw);
          expect(res).toMatchObject({ status: 200, json: { type: 5 } });
          return res.receivedAt - sent;
        }),
      );
    }

    const people: DiscordUser[] = Array.from({ length: PEOPLE }, (_, i) =>
      interactions.user(String(260_000_000_000_000_000n + BigInt(i)), `burst${i}`),
    );
    const faucets = people.map((person, i) => interactions.command(person, 'faucet', { amount: '50' }, channel(i)));
    const funding = await burst(faucets);
    await inboxDrained(database.db, 60_000);

    // Each person pays the next one twice: 400 payments, every wallet both paying and paid.
    const pays = Array.from({ length: BURST }, (_, i) =>
      interactions.command(people[i % PEOPLE]!, 'pay', { user: people[(i + 1) % PEOPLE]!, amount: '5' }, channel(i)),
    );
    const acks = await burst(pays);
    await inboxDrained(database.db, 60_000);
    await discord.waitFor(() => pays.every((raw) => discord.messagesOf(raw.token).length > 0), 30_000, 'the replies');
    await notificationsDrained(database.db, 30_000);

    const slowest = Math.max(...acks);
    const sorted = [...acks].sort((a, b) => a - b);
    const p50 = sorted[Math.floor(acks.length * 0.5) - 1]!;
    const p99 = sorted[Math.floor(acks.length * 0.99) - 1]!;
    expect(Math.max(...funding)).toBeLessThanOrEqual(DEADLINE_MS);
    expect(slowest).toBeLessThanOrEqual(DEADLINE_MS);
    for (const raw of pays) expect(contentOf(discord.messagesOf(raw.token)[0]!)).toContain('5.00 USD');
    const transfers = await database.db.query<{ ref: string; n: string }>(
      `SELECT ref, count(*)::text AS n FROM transfers WHERE ref = ANY($1::text[]) GROUP BY ref`,
      [pays.map((raw) => `dc:${raw.id}`)],
    );
    expect(transfers.rows).toHaveLength(BURST);
    expect(transfers.rows.every((row) => row.n === '1')).toBe(true);

    const invariants = await expectInvariants(database.url);
    scenarioLine({
      name: 'discord-burst',
      load: `${PEOPLE} /faucet then ${BURST} /pay at once over HTTP interactions, ${CHANNELS} channels`,
      faults: 'none (the burst itself)',
      invariants: [
        `ack<=3s (p50 ${p50} ms, p99 ${p99} ms, slowest ${slowest} ms; funding slowest ${Math.max(...funding)} ms)`,
        'each payment once',
        ...invariants,
      ],
    });
  });
});
