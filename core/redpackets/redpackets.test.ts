import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  available,
  coreFixture,
  coreWith,
  notificationsOf,
  outbox,
  person,
  press,
  sleep,
  touch,
  actor,
  type CoreFixture,
  usd,
} from '../../test/support/core.js';
import { audit, groupButtonId, type Core, type Person } from '../index.js';
import { bigOrNull } from '../db/rows.js';
import { readLive } from '../live/index.js';
import type { RedPacketSendOutcome } from './model.js';

let f: CoreFixture;
beforeAll(async () => {
  f = await coreFixture({}, 16);
});
afterAll(async () => {
  expect((await audit(f.db)).ok).toBe(true);
  await f.t.drop();
});

const group = () => ({
  platform: 'telegram' as const,
  chatId: `-100${Math.floor(Math.random() * 1e9)}`,
  kind: 'group' as const,
});
type Group = ReturnType<typeof group>;

async function send(
  core: Core,
  sender: Person,
  chat: Group,
  minor: bigint,
  count: number,
  options: { mode?: 'random' | 'equal'; note?: string } = {},
): Promise<RedPacketSendOutcome> {
  return f.db.transaction((tx) =>
    core.redpackets.send(tx, { key: `test:${randomUUID()}`, sender, chat, amount: usd(minor), count, ...options }),
  );
}

async function sent(core: Core, sender: Person, chat: Group, minor: bigint, count: number, mode?: 'random' | 'equal') {
  const r = await send(core, sender, chat, minor, count, mode ? { mode } : {});
  if (r.type !== 'sent') throw new Error(`not sent: ${r.error}`);
  return r;
}

const claim = (core: Core, who: Person, chat: Group, actionId: string) =>
  press(core, who, groupButtonId(actionId), chat);

type Claimed = { type: 'claimed'; amount: { minor: string; currency: string }; slot: number };

/** What the press gave: the share claimed, or why not. */
function claimedOf(outcome: unknown): Claimed | { refused: string } {
  const o = outcome as {
    type: string;
    result: { ok: boolean; error?: string };
    outcome?: { type: string; error?: string };
  };
  if (o.type !== 'group') throw new Error(`not a group press: ${JSON.stringify(o)}`);
  if (o.outcome?.type === 'claimed') return o.outcome as unknown as Claimed;
  return { refused: o.outcome?.error ?? o.result.error ?? 'unknown' };
}

async function slots(packetId: bigint) {
  const r = await f.db.query(
    `SELECT slot, amount, claimed_by, transfer_id FROM redpacket_slots WHERE packet_id = $1 ORDER BY slot`,
    [packetId],
  );
  return r.rows.map((row) => ({
    amount: BigInt(String(row.amount)),
    claimedBy: bigOrNull(row.claimed_by),
    transferId: bigOrNull(row.transfer_id),
  }));
}

describe('sending a red packet', () => {
  it('holds the whole total from the sender in one transfer and plans every share up front', async () => {
    const chat = group();
    const ann = await person(f.core, 'ann', 100_00n);
    const packet = await sent(f.core, ann, chat, 30_00n, 7);
    expect(await available(f.core, ann)).toBe(70_00n);
    const planned = await slots(packet.packet.id);
    expect(planned).toHaveLength(7);
    expect(planned.reduce((a, s) => a + s.amount, 0n)).toBe(30_00n);
    expect(planned.every((s) => s.amount >= 1n && s.claimedBy === null)).toBe(true);
    // One unit: a leg into each escrow shard (one per share here, at most 16), summing to the total.
    const held = await f.db.query(
      `SELECT count(DISTINCT batch_ref)::int AS units, count(*)::int AS legs, sum(amount)::bigint AS total
         FROM transfers WHERE kind = 'redpacket.send' AND meta->>'packet' = $1`,
      [packet.packet.id.toString()],
    );
    expect(held.rows[0]).toMatchObject({ units: 1, legs: 7 });
    expect(BigInt(String(held.rows[0]?.total))).toBe(30_00n);
    // The card the chat sees: live, with a Claim button.
    expect(packet.card.view.template.key).toBe('redpacket.card');
    expect(packet.card.view.template.buttons?.[0]?.[0]?.actionId).toBe(groupButtonId(packet.packet.actionId));
    expect(await outbox(f.db, `redpacket.expire:${packet.packet.id}`)).toHaveLength(1);
  });

  it('splits equal shares with the remainder one minor unit at a time', async () => {
    const ann = await person(f.core, 'ann', 100_00n);
    const packet = await sent(f.core, ann, group(), 10_00n, 3, 'equal');
    expect((await slots(packet.packet.id)).map((s) => s.amount)).toEqual([334n, 333n, 333n]);
    expect(packet.card.view.template.params?.reason).toBe('equal');
  });

  it('is refused kindly, leaving nothing behind, when the sender is short, outside a group, or the shares cannot be planned', async () => {
    const ben = await person(f.core, 'ben', 5_00n);
    const chat = group();
    expect(await send(f.core, ben, chat, 10_00n, 2)).toEqual({ type: 'rejected', error: 'InsufficientFunds' });
    expect(await send(f.core, ben, { ...chat, kind: 'private' as never }, 1_00n, 2)).toEqual({
      type: 'rejected',
      error: 'NotInGroup',
    });
    expect(await send(f.core, ben, chat, 5_00n, 1001)).toEqual({ type: 'rejected', error: 'BadShareCount' });
    expect(await send(f.core, ben, chat, 9n, 10)).toEqual({ type: 'rejected', error: 'TotalTooSmall' });
    expect(await available(f.core, ben)).toBe(5_00n);
    const left = await f.db.query(
      `SELECT (SELECT count(*)::int FROM redpackets WHERE sender = $1) AS packets,
              (SELECT count(*)::int FROM group_actions WHERE created_by = $1) AS buttons`,
      [ben.id],
    );
    expect(left.rows[0]).toEqual({ packets: 0, buttons: 0 });
  });

  it('is one packet when the same delivery is sent twice', async () => {
    const ann = await person(f.core, 'ann', 100_00n);
    const chat = group();
    const key = `test:${randomUUID()}`;
    const once = () =>
      f.db.transaction((tx) => f.core.redpackets.send(tx, { key, sender: ann, chat, amount: usd(10_00n), count: 2 }));
    const [a, b] = [await once(), await once()];
    expect(a.type === 'sent' && b.type === 'sent' && a.packet.id === b.packet.id).toBe(true);
    expect(await available(f.core, ann)).toBe(90_00n);
  });
});

describe('claiming a red packet', () => {
  it('pays each claimant their share in one transfer and shows who got how much', async () => {
    const chat = group();
    const ann = await person(f.core, 'ann', 100_00n);
    const [ben, chen] = [await person(f.core, 'ben'), await person(f.core, 'chen')];
    const packet = await sent(f.core, ann, chat, 10_00n, 3);
    const b = claimedOf(await claim(f.core, ben, chat, packet.packet.actionId));
    const c = claimedOf(await claim(f.core, chen, chat, packet.packet.actionId));
    if (!('type' in b) || !('type' in c)) throw new Error('not claimed');
    expect(await available(f.core, ben)).toBe(BigInt(b.amount.minor));
    expect(await available(f.core, chen)).toBe(BigInt(c.amount.minor));
    const refs = await f.db.query(
      `SELECT ref FROM transfers WHERE kind = 'redpacket.claim' AND meta->>'packet' = $1 ORDER BY ref`,
      [packet.packet.id.toString()],
    );
    expect(refs.rows.map((r) => r.ref)).toEqual([
      `packet:${packet.packet.id}:${Math.min(b.slot, c.slot)}`,
      `packet:${packet.packet.id}:${Math.max(b.slot, c.slot)}`,
    ]);
    // The card follows each claim after it commits (the redpacket.card job the claim scheduled).
    const [first] = await outbox(f.db, `redpacket.card:${packet.packet.id}:`);
    expect(first?.payload).toMatchObject({ packetId: packet.packet.id.toString(), round: '1' });
    // The job renders what is committed, and asks for a follow-up round (a claim may commit after it read).
    await f.core.timed['redpacket.card'](f.db, first?.payload as never, { key: first?.key ?? '', dueAt: new Date() });
    const rounds = (await outbox(f.db, `redpacket.card:${packet.packet.id}:`)).map((r) => r.payload.round);
    expect(rounds).toContain('2');
    expect(await f.core.redpackets.refresh(f.db, packet.packet.id)).toEqual({ type: 'noop', done: false });
    const last = { bucket: BigInt(String(first?.payload.bucket)), round: 4 };
    const before = (await outbox(f.db, `redpacket.card:${packet.packet.id}:`)).length;
    await f.core.redpackets.refresh(f.db, packet.packet.id, last);
    expect(await outbox(f.db, `redpacket.card:${packet.packet.id}:`)).toHaveLength(before);
    const card = await readLive(f.db, `redpacket:${packet.packet.id}`);
    expect(card?.view.template.params?.claimed).toBe('2');
    expect(card?.view.template.params?.claims).toContain(`Ben — ${(Number(b.amount.minor) / 100).toFixed(2)} USD`);
  });

  it('refuses the sender, and a second claim by anyone, moving nothing', async () => {
    const chat = group();
    const ann = await person(f.core, 'ann', 100_00n);
    const ben = await person(f.core, 'ben');
    const packet = await sent(f.core, ann, chat, 10_00n, 3);
    expect(claimedOf(await claim(f.core, ann, chat, packet.packet.actionId))).toEqual({ refused: 'OwnPacket' });
    expect(await available(f.core, ann)).toBe(90_00n);
    expect('type' in claimedOf(await claim(f.core, ben, chat, packet.packet.actionId))).toBe(true);
    const before = await available(f.core, ben);
    expect(claimedOf(await claim(f.core, ben, chat, packet.packet.actionId))).toEqual({ refused: 'AlreadyPressed' });
    expect(await available(f.core, ben)).toBe(before);
    // The sender's refusal was taken back: pressing again is refused the same way, not as "already pressed".
    expect(claimedOf(await claim(f.core, ann, chat, packet.packet.actionId))).toEqual({ refused: 'OwnPacket' });
  });

  it('limits how fast one person claims, kindly and without moving money', async () => {
    const limited = coreWith(f.db, { redpacketClaimsPerMinute: 2 });
    const chat = group();
    const ann = await person(limited, 'ann', 100_00n);
    const grabber = await person(limited, 'grabber');
    const packets = [
      await sent(limited, ann, chat, 1_00n, 2),
      await sent(limited, ann, chat, 1_00n, 2),
      await sent(limited, ann, chat, 1_00n, 2),
    ];
    const results = [];
    for (const p of packets) results.push(claimedOf(await claim(limited, grabber, chat, p.packet.actionId)));
    expect(results.filter((r) => 'type' in r)).toHaveLength(2);
    expect(results[2]).toEqual({ refused: 'RateLimited' });
    expect((await slots(packets[2]!.packet.id)).every((s) => s.claimedBy === null)).toBe(true);
  });

  it('a storm of 1,000 people on a 100-share packet: exactly 100 claims, nobody twice, the total exact', async () => {
    const chat = group();
    const ann = await person(f.core, 'ann', 1_000_00n);
    const packet = await sent(f.core, ann, chat, 500_00n, 100);
    const crowd: Person[] = [];
    for (let i = 0; i < 1000; i += 50)
      crowd.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => touch(f.core, actor(`p${i + j}`))))));
    // Everyone presses at once, some twice, and the sender too.
    const presses = [...crowd, ...crowd.slice(0, 100), ann].map((who) =>
      claim(f.core, who, chat, packet.packet.actionId).then((o) => ({ who, got: claimedOf(o) })),
    );
    const results = await Promise.all(presses);
    const won = results.filter((r) => 'type' in r.got);
    expect(won).toHaveLength(100);
    expect(new Set(won.map((r) => r.who.id)).size).toBe(100);
    expect(results.find((r) => r.who.id === ann.id)?.got).toEqual({ refused: 'OwnPacket' });
    const refusals = new Set(
      results.filter((r) => !('type' in r.got)).map((r) => (r.got as { refused: string }).refused),
    );
    expect([...refusals].every((e) => ['AllClaimed', 'AlreadyPressed', 'OwnPacket', 'Closed'].includes(e))).toBe(true);

    const planned = await slots(packet.packet.id);
    expect(planned.every((s) => s.claimedBy !== null && s.transferId !== null)).toBe(true);
    const paid = await f.db.query(
      `SELECT count(*)::int AS n, sum(amount)::bigint AS total, count(DISTINCT credit_account)::int AS people
         FROM transfers WHERE kind = 'redpacket.claim' AND meta->>'packet' = $1`,
      [packet.packet.id.toString()],
    );
    expect(paid.rows[0]).toMatchObject({ n: 100, people: 100 });
    expect(BigInt(String(paid.rows[0]?.total))).toBe(500_00n);
    const total = (await Promise.all(won.map((r) => available(f.core, r.who)))).reduce((a, b) => a + b, 0n);
    expect(total).toBe(500_00n);

    // Claims held no lock in common but their slot and their escrow shard. The claims of each second scheduled one
    // refresh of the card (not one per claim); the refresh that runs after the last claim finds the packet done.
    const refreshes = await outbox(f.db, `redpacket.card:${packet.packet.id}:`);
    expect(refreshes.length).toBeGreaterThanOrEqual(1);
    expect(refreshes.length).toBeLessThan(100);
    expect(await f.core.redpackets.refresh(f.db, packet.packet.id)).toEqual({ type: 'refreshed', done: true });
    expect(await f.core.redpackets.refresh(f.db, packet.packet.id)).toEqual({ type: 'noop', done: true });
    const card = await readLive(f.db, `redpacket:${packet.packet.id}`);
    expect(card?.view.template.params).toMatchObject({ claimed: '100', reason: 'done' });
    expect(card?.view.template.params?.luckiest).toMatch(/ — \d+\.\d{2} USD$/);
    expect(card?.view.template.buttons).toBeUndefined();
    expect((await audit(f.db)).ok).toBe(true);
  });
});

describe('the card of a red packet', () => {
  it('ends done even when a refresh showed every claim before it saw the last one committed', async () => {
    const chat = group();
    const ann = await person(f.core, 'ann', 10_00n);
    const ben = await person(f.core, 'ben');
    const packet = await sent(f.core, ann, chat, 1_00n, 1);
    expect('type' in claimedOf(await claim(f.core, ben, chat, packet.packet.actionId))).toBe(true);
    // A refresh whose done check ran just before the claim committed, and its read of the claims just after: the
    // card shows 1/1 while the packet is still open.
    await f.db.query(
      `UPDATE live_messages SET view = jsonb_set(view, '{template,params,claimed}', '"1"') WHERE ref = $1`,
      [`redpacket:${packet.packet.id}`],
    );
    expect(await f.core.redpackets.refresh(f.db, packet.packet.id)).toEqual({ type: 'refreshed', done: true });
    const card = await readLive(f.db, `redpacket:${packet.packet.id}`);
    expect(card?.view.template.params).toMatchObject({ reason: 'done', claimed: '1' });
  });
});

describe('a red packet at its deadline', () => {
  it('returns the unclaimed rest to the sender exactly once, and later presses are refused', async () => {
    const short = coreWith(f.db, { redpacketTtlMs: 400 });
    const chat = group();
    const ann = await person(short, 'ann', 100_00n);
    const ben = await person(short, 'ben');
    const packet = await sent(short, ann, chat, 20_00n, 4);
    const got = claimedOf(await claim(short, ben, chat, packet.packet.actionId));
    if (!('type' in got)) throw new Error('not claimed');
    expect(await short.redpackets.expire(f.db, packet.packet.id)).toMatchObject({ type: 'noop', reason: 'NotDue' });
    await sleep(500);
    const runs = await Promise.all([
      short.redpackets.expire(f.db, packet.packet.id),
      short.redpackets.expire(f.db, packet.packet.id),
      short.timed['redpacket.expire'](f.db, { packetId: packet.packet.id.toString() }, { key: 'k', dueAt: new Date() }),
    ]);
    // Of the three runs one returned the rest (the timed handler's outcome is logged, not returned), in one unit.
    const outcomes = runs.filter((r) => r !== undefined).map((r) => r.type);
    expect(outcomes.filter((t) => t === 'returned').length).toBeLessThanOrEqual(1);
    expect(outcomes.filter((t) => t === 'noop').length).toBeGreaterThanOrEqual(1);
    const rest = 20_00n - BigInt(got.amount.minor);
    const back = await f.db.query(
      `SELECT count(DISTINCT batch_ref)::int AS units, sum(amount)::bigint AS amount
         FROM transfers WHERE kind = 'redpacket.return' AND meta->>'packet' = $1`,
      [packet.packet.id.toString()],
    );
    expect(back.rows[0]?.units).toBe(1);
    expect(BigInt(String(back.rows[0]?.amount))).toBe(rest);
    expect(await available(short, ann)).toBe(80_00n + rest);
    const chen = await person(short, 'chen');
    expect(claimedOf(await claim(short, chen, chat, packet.packet.actionId))).toEqual({ refused: 'Closed' });
    expect(await available(short, chen)).toBe(0n);
    const card = await readLive(f.db, `redpacket:${packet.packet.id}`);
    expect(card?.view.template.params).toMatchObject({ reason: 'expired', claimed: '1' });
    expect((await notificationsOf(f.db, ann)).map((n) => n.template.key)).toContain('redpacket.returned');
  });

  it('returns nothing from a packet that was all claimed', async () => {
    const short = coreWith(f.db, { redpacketTtlMs: 300 });
    const chat = group();
    const ann = await person(short, 'ann', 10_00n);
    const ben = await person(short, 'ben');
    const packet = await sent(short, ann, chat, 1_00n, 1);
    expect('type' in claimedOf(await claim(short, ben, chat, packet.packet.actionId))).toBe(true);
    await sleep(400);
    // Whether or not the refresh after the last claim ran first, the packet is done, not expired.
    if (Math.random() < 0.5) await short.redpackets.refresh(f.db, packet.packet.id);
    expect(await short.redpackets.expire(f.db, packet.packet.id)).toMatchObject({ type: 'noop', reason: 'Decided' });
    expect(await available(short, ann)).toBe(9_00n);
    expect((await readLive(f.db, `redpacket:${packet.packet.id}`))?.view.template.params?.reason).toBe('done');
  });
});
