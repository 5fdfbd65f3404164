/**
 * Red packets (红包): a sender's total held in escrow accounts of the packet (kind 'escrow'), its shares planned at
 * creation (plan.ts) and stored as slots, a Claim button that many people press (a 'once' group action: each person
 * at most once), one transfer per claim, and the unclaimed rest back to the sender at the deadline — exactly once, by
 * the job that closes the button.
 *
 * Nothing a claim touches is shared with the other claims of the packet, so claims run side by side:
 * - the slot is taken with `FOR UPDATE SKIP LOCKED` (claimants never wait for each other's slots);
 * - the escrow is split into up to ESCROW_SHARDS accounts (`redpacket:<id>:<k>`, slot s in shard s mod n, funded
 *   with the sum of its slots by the one unit that holds the total): consecutive slots, taken by concurrent claims,
 *   debit different accounts, so the ledger's row locks do not queue them;
 * - the card is not rendered in the claim: the claims of one second schedule one `redpacket.card` job, due just
 *   after that second, which renders the card from the committed claims under the card's lock and marks the packet
 *   done when no slot is left; while the packet is open it runs again FOLLOW_UPS times, 1.5 s apart, for a claim
 *   that committed after it read. (A claim slower than that is shown by the next refresh, at the latest by the
 *   deadline's.)
 */
import type { GroupAction, GroupActionHandler } from '../actions/group.js';
import { closeGroupAction, createGroupAction, groupButtonId } from '../actions/group.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import { inTx } from '../db/retry.js';
import { big, date, textOrNull, withSavepoint } from '../db/rows.js';
import { transferRefusalOf } from '../ledger/errors.js';
import { openAccounts } from '../ledger/queries.js';
import type { Ledger } from '../ledger/service.js';
import { touchLive } from '../live/service.js';
import type { LiveView } from '../live/model.js';
import { silentLog, type Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { formatAmount } from '../money/format.js';
import { schedule } from '../outbox/service.js';
import { notifyPerson } from '../outbox/notify.js';
import { walletOwner, type Locale, type Person } from '../people/model.js';
import type { People } from '../people/service.js';
import type { Platform } from '../platform.js';
import { storedNote } from '../text/clean.js';
import {
  REDPACKET_CLAIM,
  type RedPacketClaimError,
  type ExpireDecision,
  type RedPacket,
  type RedPacketClaim,
  type RedPacketClaimOutcome,
  type RedPacketError,
  type RedPacketSendOutcome,
  type RedPacketView,
} from './model.js';
import { MAX_SHARES, cryptoRng, planRedPacket, type Rng, type ShareMode } from './plan.js';
import { REDPACKET_TEMPLATES } from './templates.js';

const cardRef = (id: bigint): string => `redpacket:${id}`;
const expireKey = (id: bigint): string => `redpacket.expire:${id}`;
const slotRef = (id: bigint, slot: number): string => `packet:${id}:${slot}`;
/** Claims of one second share one refresh of the card (`redpacket.card:<id>:<second>:<round>`). */
const REFRESH_MS = 1_000;
/** Follow-up refreshes after a second's first one, each FOLLOW_MS later: they show claims that committed late. */
const FOLLOW_UPS = 3;
const FOLLOW_MS = 1_500;
const refreshKey = (id: bigint, bucket: number, round: number): string => `redpacket.card:${id}:${bucket}:${round}`;

/** Most escrow accounts a packet's total is split into (one per share when it has fewer). */
export const ESCROW_SHARDS = 16;
const shardsOf = (shares: number): number => Math.min(ESCROW_SHARDS, shares);
export const redPacketEscrow = (id: bigint, shard: number): string => `redpacket:${id}:${shard}`;

/** Claimed shares listed on the card; more are counted, not named (a chat message has a length limit). */
const CARD_LINES = 20;

export interface Chat {
  platform: Platform;
  chatId: string;
  kind: 'private' | 'group';
}

export interface RedPacketsDeps {
  ledger: Pick<Ledger, 'apply'>;
  people: Pick<People, 'get' | 'defaults'>;
  config: {
    /** REDPACKET_TTL. */
    ttlMs: number;
    /** Most shares one person may claim in a minute, over all packets (default 10). */
    claimsPerMinute?: number;
  };
  /** Where random shares come from (tests seed it). */
  rng?: Rng;
  log?: Log;
}

export interface RedPackets {
  /** The Claim button's handler. */
  readonly groupActions: readonly GroupActionHandler[];
  /** Holds the total from the sender, plans the shares and shows the card (all or nothing). */
  send(
    tx: Tx,
    input: {
      key: string;
      sender: Person;
      chat: Chat;
      amount: Amount;
      count: number;
      mode?: ShareMode;
      note?: string | null;
      /** The card's language and time zone (default: the sender's settings, else the defaults). */
      reader?: { locale: Locale; timeZone: string };
    },
  ): Promise<RedPacketSendOutcome>;
  /** The packet and who claimed what. */
  show(exec: Executor, packetId: bigint): Promise<RedPacketView | undefined>;
  /** At the deadline: closes the button and returns the unclaimed rest to the sender, exactly once. */
  expire(exec: Executor, packetId: bigint): Promise<ExpireDecision>;
  /**
   * After claims: the card from the committed claims, and the packet done when every share is taken. `after`: the
   * second of the claims that asked for it and which round this is; while the packet is open a follow-up round is
   * scheduled, up to FOLLOW_UPS.
   */
  refresh(
    exec: Executor,
    packetId: bigint,
    after?: { bucket: bigint; round: number },
  ): Promise<{ type: 'refreshed' | 'noop'; done: boolean }>;
}

const COLUMNS =
  'id, platform, chat_id, sender, currency, total, shares, mode, note, locale, timezone, action_id, state, expires_at, created_at';

/** COLUMNS of `redpackets r` in a join. */
const PACKET_COLUMNS = COLUMNS.split(', ')
  .map((c) => `r.${c}`)
  .join(', ');

function toPacket(r: Row): RedPacket {
  return {
    id: big(r.id),
    platform: r.platform as Platform,
    chatId: String(r.chat_id),
    sender: big(r.sender),
    total: { minor: big(r.total), currency: String(r.currency).trim() },
    shares: Number(r.shares),
    mode: r.mode as ShareMode,
    note: textOrNull(r.note),
    locale: r.locale as Locale,
    timeZone: String(r.timezone),
    actionId: String(r.action_id),
    state: r.state as RedPacket['state'],
    expiresAt: date(r.expires_at),
    createdAt: date(r.created_at),
  };
}

const rejected = (error: RedPacketError): RedPacketSendOutcome => ({ type: 'rejected', error });
const refused = (error: RedPacketClaimError): RedPacketClaimOutcome => ({ type: 'rejected', error });

export function createRedPackets(deps: RedPacketsDeps): RedPackets {
  const { ledger, people, config } = deps;
  const log = deps.log ?? silentLog;
  const rng = deps.rng ?? cryptoRng;
  const claimsPerMinute = config.claimsPerMinute ?? 10;

  async function packetBy(exec: Executor, where: 'id' | 'key' | 'action_id', value: unknown, lock = false) {
    const r = await exec.query(`SELECT ${COLUMNS} FROM redpackets WHERE ${where} = $1${lock ? ' FOR UPDATE' : ''}`, [
      value,
    ]);
    return r.rows[0] ? toPacket(r.rows[0]) : undefined;
  }

  /** Who claimed what (earliest first) and what is left, in one statement: one snapshot. */
  async function claimsOf(exec: Executor, packet: RedPacket): Promise<{ claims: RedPacketClaim[]; left: Amount }> {
    const r = await exec.query(
      `SELECT s.slot, s.amount, s.claimed_by, s.claimed_at, p.display_name
         FROM redpacket_slots s LEFT JOIN people p ON p.id = s.claimed_by
        WHERE s.packet_id = $1
        ORDER BY s.claimed_at NULLS LAST, s.slot`,
      [packet.id],
    );
    const currency = packet.total.currency;
    let left = 0n;
    const claims: RedPacketClaim[] = [];
    for (const row of r.rows) {
      if (row.claimed_by === null || row.claimed_by === undefined) {
        left += big(row.amount);
        continue;
      }
      claims.push({
        slot: Number(row.slot),
        personId: big(row.claimed_by),
        name: textOrNull(row.display_name) ?? '—',
        amount: { minor: big(row.amount), currency },
        at: date(row.claimed_at),
      });
    }
    return { claims, left: { minor: left, currency } };
  }

  async function show(exec: Executor, packetId: bigint): Promise<RedPacketView | undefined> {
    const packet = await packetBy(exec, 'id', packetId);
    if (!packet) return undefined;
    const sender = await people.get(exec, packet.sender);
    return { packet, senderName: sender?.displayName ?? '—', ...(await claimsOf(exec, packet)) };
  }

  /**
   * The card as `packet` stands (its state as of this transaction), recorded as the live message's new version, in
   * the sender's language. It names the first CARD_LINES claimants and counts the rest.
   */
  async function showCard(
    tx: Tx,
    packet: RedPacket,
    sender: Person | undefined,
  ): Promise<{ version: bigint; view: LiveView }> {
    const r = await tx.query(
      `WITH s AS (SELECT slot, amount, claimed_by, claimed_at FROM redpacket_slots WHERE packet_id = $1)
       SELECT 'total' AS part, count(claimed_by)::int AS n,
              coalesce(sum(amount) FILTER (WHERE claimed_by IS NULL), 0)::bigint AS amount, NULL AS name
         FROM s
       UNION ALL
       (SELECT 'line', NULL, s.amount, p.display_name FROM s JOIN people p ON p.id = s.claimed_by
         ORDER BY s.claimed_at, s.slot LIMIT ${CARD_LINES})
       UNION ALL
       (SELECT 'luckiest', NULL, s.amount, p.display_name FROM s JOIN people p ON p.id = s.claimed_by
         ORDER BY s.amount DESC, s.claimed_at, s.slot LIMIT 1)`,
      [packet.id],
    );
    const currency = packet.total.currency;
    const shown = (row: Row) =>
      `${textOrNull(row.name) ?? '—'} — ${formatAmount({ minor: big(row.amount), currency })}`;
    const total = r.rows.find((row) => row.part === 'total');
    const claimed = Number(total?.n ?? 0);
    const left = { minor: big(total?.amount ?? 0), currency };
    const lines = r.rows.filter((row) => row.part === 'line').map(shown);
    if (claimed > lines.length) lines.push(`… +${claimed - lines.length}`);
    const best = r.rows.find((row) => row.part === 'luckiest');
    const luckiest = best ? shown(best) : undefined;
    const reason =
      packet.state === 'expired'
        ? 'expired'
        : packet.state === 'done'
          ? packet.mode === 'equal'
            ? 'done_equal'
            : 'done'
          : packet.mode === 'equal'
            ? 'equal'
            : undefined;
    const view: LiveView = {
      template: {
        key: REDPACKET_TEMPLATES['redpacket.card'].key,
        params: {
          sender: sender?.displayName ?? '—',
          total: formatAmount(packet.total),
          count: String(packet.shares),
          claimed: String(claimed),
          left: formatAmount(left),
          closesAt: packet.expiresAt.toISOString(),
          claims: lines.length > 0 ? `\n${lines.join('\n')}` : '',
          ...(packet.note ? { note: packet.note } : {}),
          ...(packet.state === 'done' && luckiest ? { luckiest } : {}),
          ...(packet.state === 'expired' ? { returned: formatAmount(left) } : {}),
          ...(reason ? { reason } : {}),
        },
        ...(packet.state === 'open'
          ? { buttons: [[{ labelKey: 'redpacket.claim_button', actionId: groupButtonId(packet.actionId) }]] }
          : {}),
      },
      locale: packet.locale,
      timeZone: packet.timeZone,
    };
    const { version } = await touchLive(tx, cardRef(packet.id), view);
    return { version, view };
  }

  async function claim(tx: Tx, action: GroupAction, personId: bigint): Promise<RedPacketClaimOutcome> {
    // One statement: the packet, its sender's name, and the presser's claims of the last minute (the rate limit).
    const found = await tx.query(
      `SELECT ${PACKET_COLUMNS}, s.display_name AS sender_name,
              (SELECT count(*)::int FROM redpacket_slots
                WHERE claimed_by = $2 AND claimed_at > now() - interval '1 minute') AS recent
         FROM redpackets r JOIN people s ON s.id = r.sender
        WHERE r.action_id = $1`,
      [action.id, personId],
    );
    const head = found.rows[0];
    if (!head) return refused('UnknownPacket');
    const packet = toPacket(head);
    const senderName = textOrNull(head.sender_name) ?? '—';
    if (packet.sender === personId) return refused('OwnPacket');
    if (packet.state !== 'open') return refused('AllClaimed');
    if (Number(head.recent ?? 0) >= claimsPerMinute) return refused('RateLimited');
    // Claimants skip each other's slots instead of queueing on them (the lock is held until the claim commits).
    const taken = await tx.query(
      `SELECT slot, amount FROM redpacket_slots
        WHERE packet_id = $1 AND claimed_by IS NULL
        ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [packet.id],
    );
    const row = taken.rows[0];
    if (!row) return refused('AllClaimed');
    const slot = Number(row.slot);
    const amount: Amount = { minor: big(row.amount), currency: packet.total.currency };

    const [escrow, wallet] = await openAccounts(tx, [
      { kind: 'escrow', owner: redPacketEscrow(packet.id, slot % shardsOf(packet.shares)), currency: amount.currency },
      { kind: 'wallet', owner: walletOwner(personId), currency: amount.currency },
    ]);
    if (!escrow || !wallet) throw new Error('red packet accounts were not opened');
    const paid = await ledger.apply(tx, {
      legs: [
        {
          op: 'transfer',
          ref: slotRef(packet.id, slot),
          debit: escrow.id,
          credit: wallet.id,
          amount: amount.minor,
          kind: 'redpacket.claim',
          meta: { packet: packet.id.toString(), slot },
        },
      ],
    });
    // The escrow shard holds exactly its unclaimed slots: a refusal here is a bug, not a user error.
    if (!paid.ok) throw new Error(`red packet ${packet.id} slot ${slot}: ledger refused the claim (${paid.error})`);
    const transferId = paid.transfers[0]?.id;
    if (transferId === undefined) throw new Error('red packet claim: no transfer');
    // One claim per person is also the UNIQUE (packet_id, claimed_by) key.
    await tx.query(
      `UPDATE redpacket_slots SET claimed_by = $3, claimed_at = now(), transfer_id = $4 WHERE packet_id = $1 AND slot = $2`,
      [packet.id, slot, personId, transferId],
    );
    // The claims of this second share one refresh, due just after it (retry-safe: one key per second; a refresh
    // renders whatever is committed when it runs, and its follow-ups catch a claim that committed after it read).
    const bucket = Math.floor(Date.now() / REFRESH_MS);
    await schedule(tx, {
      key: refreshKey(packet.id, bucket, 1),
      kind: 'redpacket.card',
      dueAt: new Date((bucket + 1) * REFRESH_MS + REFRESH_MS / 2),
      payload: { packetId: packet.id.toString(), bucket: String(bucket), round: '1' },
    });
    return { type: 'claimed', packetId: packet.id, slot, amount, senderName, transferId };
  }

  const claimButton: GroupActionHandler = {
    kind: REDPACKET_CLAIM.kind,
    // Who may claim is decided with the slot, in `pressed`: a refusal there takes the press back.
    eligible: () => Promise.resolve(true),
    pressed: (tx, action, _tally, personId) => claim(tx, action, personId),
  };

  return {
    groupActions: [claimButton],
    show,

    async send(tx, input) {
      if (input.chat.kind !== 'group') return rejected('NotInGroup');
      const count = input.count;
      if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SHARES) return rejected('BadShareCount');
      if (input.amount.minor <= 0n) return rejected('InvalidAmount');
      if (input.amount.minor < BigInt(count)) return rejected('TotalTooSmall');
      const mode = input.mode ?? 'random';
      const note = storedNote(input.note ?? null);
      const again = await packetBy(tx, 'key', input.key);
      if (again) return sentOutcome(tx, again);
      // A refusal (not enough money) leaves nothing behind: not the button, not the packet.
      return withSavepoint(
        tx,
        'redpacket_send',
        async (): Promise<RedPacketSendOutcome> => {
          const action = await createGroupAction(tx, {
            kind: REDPACKET_CLAIM.kind,
            payload: {},
            platform: input.chat.platform,
            chatId: input.chat.chatId,
            createdBy: input.sender.id,
            ttlMs: config.ttlMs,
            ref: `redpacket:${input.key}`,
            mode: 'once',
          });
          const r = await tx.query(
            `INSERT INTO redpackets (key, platform, chat_id, sender, currency, total, shares, mode, note, action_id,
                                     expires_at, locale, timezone)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             RETURNING ${COLUMNS}`,
            [
              input.key,
              input.chat.platform,
              input.chat.chatId,
              input.sender.id,
              input.amount.currency,
              input.amount.minor,
              count,
              mode,
              note,
              action.id,
              action.expiresAt.toISOString(),
              input.reader?.locale ?? input.sender.locale ?? people.defaults.locale,
              input.reader?.timeZone ?? input.sender.timezone ?? people.defaults.timezone,
            ],
          );
          const packet = toPacket(r.rows[0] ?? {});
          const shares = planRedPacket(input.amount.minor, count, mode, rng);
          const shards = shardsOf(count);
          const perShard = Array.from({ length: shards }, () => 0n);
          shares.forEach((share, slot) => (perShard[slot % shards] = (perShard[slot % shards] ?? 0n) + share));
          const [wallet, ...escrows] = await openAccounts(tx, [
            { kind: 'wallet', owner: walletOwner(input.sender.id), currency: input.amount.currency },
            ...perShard.map((_, k) => ({
              kind: 'escrow' as const,
              owner: redPacketEscrow(packet.id, k),
              currency: input.amount.currency,
            })),
          ]);
          if (!wallet || escrows.length !== shards) throw new Error('red packet accounts were not opened');
          // One unit: the whole total is held, or nothing.
          const held = await ledger.apply(tx, {
            batchRef: input.key,
            legs: escrows.map((escrow, k) => ({
              op: 'transfer' as const,
              ref: shards === 1 ? input.key : `${input.key}#${k}`,
              debit: wallet.id,
              credit: escrow.id,
              amount: perShard[k] ?? 0n,
              kind: 'redpacket.send',
              meta: { packet: packet.id.toString(), ...(note ? { note } : {}) },
            })),
          });
          if (!held.ok) return rejected(transferRefusalOf(held.error, 'red packet'));
          await tx.query(
            `INSERT INTO redpacket_slots (packet_id, slot, amount)
             SELECT $1, s.slot - 1, s.amount FROM unnest($2::bigint[]) WITH ORDINALITY AS s(amount, slot)`,
            [packet.id, shares],
          );
          // retry-safe: the outbox key is unique per packet.
          await schedule(tx, {
            key: expireKey(packet.id),
            kind: 'redpacket.expire',
            dueAt: packet.expiresAt,
            payload: { packetId: packet.id.toString() },
          });
          log.debug({ packetId: packet.id.toString(), shares: count, mode }, 'red packet sent');
          return sentOutcome(tx, packet);
        },
        (outcome) => outcome.type === 'sent',
      );
    },

    refresh: (exec, packetId, after) =>
      inTx(exec, async (tx) => {
        const open = (await packetBy(tx, 'id', packetId))?.state === 'open';
        if (after && open && after.round <= FOLLOW_UPS)
          // retry-safe: one key per second and round.
          await schedule(tx, {
            key: refreshKey(packetId, Number(after.bucket), after.round + 1),
            kind: 'redpacket.card',
            dueAt: new Date(Date.now() + FOLLOW_MS),
            payload: { packetId: packetId.toString(), bucket: after.bucket.toString(), round: String(after.round + 1) },
          });
        // The card's lock first: refreshes go one at a time, each reading the claims committed before it.
        const locked = await tx.query(
          `SELECT view->'template'->'params'->>'claimed' AS shown,
                  (SELECT count(*)::int FROM redpacket_slots WHERE packet_id = $2 AND claimed_by IS NOT NULL) AS claimed,
                  (SELECT state FROM redpackets WHERE id = $2) AS state,
                  (SELECT shares FROM redpackets WHERE id = $2) AS shares
             FROM live_messages WHERE ref = $1 FOR UPDATE`,
          [cardRef(packetId), packetId],
        );
        const card = locked.rows[0];
        if (!card) return { type: 'noop' as const, done: false };
        // A refresh that ran after this one's claim committed showed it already (in a storm, most of them).
        // Not when every share is claimed and the packet is still open: a refresh that read the claims a moment after
        // it checked for a free slot showed them all without marking it done; this one does.
        const unfinished = Number(card.claimed) >= Number(card.shares) && card.state === 'open';
        if (textOrNull(card.shown) === String(card.claimed) && !unfinished)
          return { type: 'noop' as const, done: card.state === 'done' };
        const done = await tx.query(
          `UPDATE redpackets SET state = 'done', finished_at = now()
            WHERE id = $1 AND state = 'open'
              AND NOT EXISTS (SELECT 1 FROM redpacket_slots WHERE packet_id = $1 AND claimed_by IS NULL)`,
          [packetId],
        );
        const packet = await packetBy(tx, 'id', packetId);
        if (!packet) return { type: 'noop' as const, done: false };
        // A finished packet's card was rendered by what finished it, after every claim (the close waits for them).
        if (packet.state === 'expired' || (packet.state === 'done' && done.rowCount === 0))
          return { type: 'noop' as const, done: packet.state === 'done' };
        await showCard(tx, packet, await people.get(tx, packet.sender));
        return { type: 'refreshed' as const, done: packet.state === 'done' };
      }),

    expire: (exec, packetId) =>
      inTx(exec, async (tx): Promise<ExpireDecision> => {
        const found = await tx.query(
          `SELECT action_id, expires_at, expires_at <= now() AS past FROM redpackets WHERE id = $1`,
          [packetId],
        );
        const head = found.rows[0];
        if (!head) return { type: 'noop', reason: 'Unknown' };
        if (head.past !== true) return { type: 'noop', reason: 'NotDue', dueAt: date(head.expires_at) };
        // The button first (waits for the claims in flight; later presses are refused), then the packet: the order
        // claims take them in, so the two never wait on each other.
        await closeGroupAction(tx, String(head.action_id));
        const packet = await packetBy(tx, 'id', packetId, true);
        if (!packet || packet.state !== 'open') return { type: 'noop', reason: 'Decided' };
        const rest = await tx.query(
          `SELECT slot % $2 AS shard, count(*)::int AS n, sum(amount)::bigint AS amount
             FROM redpacket_slots WHERE packet_id = $1 AND claimed_by IS NULL GROUP BY 1 ORDER BY 1`,
          [packetId, shardsOf(packet.shares)],
        );
        const currency = packet.total.currency;
        const parts = rest.rows.map((row) => ({ shard: Number(row.shard), amount: big(row.amount), n: Number(row.n) }));
        const amount: Amount = { minor: parts.reduce((a, p) => a + p.amount, 0n), currency };
        const unclaimed = parts.reduce((a, p) => a + p.n, 0);
        let transferId: bigint | null = null;
        if (amount.minor > 0n) {
          const [wallet, ...escrows] = await openAccounts(tx, [
            { kind: 'wallet', owner: walletOwner(packet.sender), currency },
            ...parts.map((p) => ({ kind: 'escrow' as const, owner: redPacketEscrow(packet.id, p.shard), currency })),
          ]);
          if (!wallet || escrows.length !== parts.length) throw new Error('red packet accounts were not opened');
          const back = await ledger.apply(tx, {
            batchRef: `packet:${packet.id}:return`,
            legs: escrows.map((escrow, i) => ({
              op: 'transfer' as const,
              ref: `packet:${packet.id}:return#${parts[i]?.shard ?? i}`,
              debit: escrow.id,
              credit: wallet.id,
              amount: parts[i]?.amount ?? 0n,
              kind: 'redpacket.return',
              meta: { packet: packet.id.toString() },
            })),
          });
          if (!back.ok) throw new Error(`red packet ${packet.id}: ledger refused the return (${back.error})`);
          transferId = back.transfers[0]?.id ?? null;
          await notifyPerson(tx, {
            key: `notify:redpacket:${packet.id}:returned`,
            personId: packet.sender,
            template: REDPACKET_TEMPLATES['redpacket.returned'],
            params: { amount: formatAmount(amount), total: formatAmount(packet.total), unclaimed: String(unclaimed) },
          });
        }
        // Every share claimed, and the refresh that marks it done not run yet: it is done, not expired.
        const state = unclaimed === 0 ? 'done' : 'expired';
        await tx.query(`UPDATE redpackets SET state = $3, finished_at = now(), return_transfer = $2 WHERE id = $1`, [
          packet.id,
          transferId,
          state,
        ]);
        await showCard(tx, { ...packet, state }, await people.get(tx, packet.sender));
        if (state === 'done') return { type: 'noop', reason: 'Decided' };
        return { type: 'returned', packetId: packet.id, amount, transferId };
      }),
  };

  async function sentOutcome(tx: Tx, packet: RedPacket): Promise<RedPacketSendOutcome> {
    const sender = await people.get(tx, packet.sender);
    const card = await showCard(tx, packet, sender);
    return { type: 'sent', packet, senderName: sender?.displayName ?? '—', card: { ref: cardRef(packet.id), ...card } };
  }
}
