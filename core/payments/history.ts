import { big, bigOrNull, date, json, textOrNull } from '../db/rows.js';
import type { Executor, Row } from '../db/executor.js';
import type { Meta } from '../ledger/model.js';
import { walletOwner } from '../people/model.js';
import type { EntryState, HistoryEntry, HistoryPage, Party } from './model.js';

const MAX_PAGE = 500;

const encodeCursor = (id: bigint): string => Buffer.from(`h:${id}`).toString('base64url');

function decodeCursor(cursor: string | null | undefined): bigint | null {
  if (!cursor || cursor.length > 64) return null;
  const m = /^h:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m?.[1] ? BigInt(m[1]) : null;
}

/**
 * A person's payments, newest first. A hold and its resolution are one entry (state pending,
 * completed or returned), so post and void rows are not listed on their own; a reversal is its own
 * entry (with `reverses` naming the original, and the original's note when it has none) and marks the original
 * as undone.
 */
export async function historyOf(
  exec: Executor,
  personId: bigint,
  query: { limit: number; cursor?: string | null },
): Promise<HistoryPage> {
  const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_PAGE);
  const before = decodeCursor(query.cursor);
  const r = await exec.query(
    `WITH mine AS (SELECT id FROM accounts WHERE owner = $1)
     SELECT t.id, t.created_at, t.amount, t.currency, t.kind, t.meta, t.state,
            COALESCE(orig.pending_id, orig.id) AS reverses, COALESCE(hold.meta, orig.meta) AS reversed_meta,
            (t.credit_account IN (SELECT id FROM mine)) AS incoming,
            other.owner AS other_owner,
            res.state AS resolution, res.amount AS resolved_amount,
            EXISTS (SELECT 1 FROM transfers rv WHERE rv.reverses_id IN (t.id, res.id)) AS reversed
       FROM transfers t
       JOIN accounts other
         ON other.id = CASE WHEN t.credit_account IN (SELECT id FROM mine) THEN t.debit_account ELSE t.credit_account END
       LEFT JOIN transfers res ON res.pending_id = t.id
      -- What a reversal gives back, as listed here: a posted hold (a withdrawal) is listed as its hold.
      LEFT JOIN transfers orig ON orig.id = t.reverses_id
      LEFT JOIN transfers hold ON hold.id = orig.pending_id
      WHERE (t.debit_account IN (SELECT id FROM mine) OR t.credit_account IN (SELECT id FROM mine))
        AND t.pending_id IS NULL
        AND ($2::bigint IS NULL OR t.id < $2::bigint)
      ORDER BY t.id DESC
      LIMIT $3`,
    [walletOwner(personId), before, limit + 1],
  );
  const rows = r.rows.slice(0, limit);
  const parties = await resolveParties(exec, rows);
  const entries = rows.map((row): HistoryEntry => {
    const meta = json<Meta>(row.meta);
    // A reversal without a note of its own (an Undo) carries the note of the payment it reverses.
    const note = noteOf(meta) ?? (row.reversed_meta === null ? null : noteOf(json<Meta>(row.reversed_meta)));
    const party = parties(String(row.other_owner), row.incoming === true);
    const posted =
      row.resolution === 'posted' && row.resolved_amount !== null ? big(row.resolved_amount) : big(row.amount);
    return {
      transferId: big(row.id),
      at: date(row.created_at),
      direction: row.incoming === true ? 'in' : 'out',
      amount: { minor: posted, currency: String(row.currency).trim() },
      counterpart: counterpartText(party),
      party,
      note,
      kind: String(row.kind),
      reverses: bigOrNull(row.reverses),
      state: entryState(row),
    };
  });
  const last = entries.at(-1);
  return { entries, next: r.rows.length > limit && last ? encodeCursor(last.transferId) : null };
}

const noteOf = (meta: Meta): string | null => (typeof meta.note === 'string' ? meta.note : null);

function entryState(row: Row): EntryState {
  if (row.reversed === true) return 'undone';
  if (row.state === 'pending') {
    if (row.resolution === 'posted') return 'completed';
    if (row.resolution === 'voided') return 'returned';
    return 'pending';
  }
  return 'completed';
}

export function counterpartText(party: Party): string {
  switch (party.type) {
    case 'person':
      return party.name;
    case 'claim':
      return party.claimed ? `@${party.username}` : `@${party.username} (unclaimed)`;
    case 'system':
      return party.name;
  }
}

/** Loads the names behind the other side of each row: people, claims (and their senders), system accounts. */
async function resolveParties(
  exec: Executor,
  rows: readonly Row[],
): Promise<(owner: string, incoming: boolean) => Party> {
  const personIds = new Set<string>();
  const claimIds = new Set<string>();
  for (const row of rows) {
    const [type, id] = String(row.other_owner).split(':');
    if (type === 'person' && id) personIds.add(id);
    if (type === 'claim' && id) claimIds.add(id);
  }
  const claims = new Map<string, { username: string; state: string; sender: string; claimant: string | null }>();
  if (claimIds.size > 0) {
    const c = await exec.query(
      `SELECT id, username, state, sender_person, claimant_person FROM claims WHERE id = ANY($1::bigint[])`,
      [[...claimIds]],
    );
    for (const row of c.rows) {
      const sender = String(row.sender_person);
      personIds.add(sender);
      claims.set(String(row.id), {
        username: String(row.username),
        state: String(row.state),
        sender,
        claimant: textOrNull(row.claimant_person),
      });
    }
  }
  const names = new Map<string, string>();
  if (personIds.size > 0) {
    const p = await exec.query(`SELECT id, display_name FROM people WHERE id = ANY($1::bigint[])`, [[...personIds]]);
    for (const row of p.rows) names.set(String(row.id), String(row.display_name));
  }
  return (owner, incoming) => {
    const [type = '', id = ''] = owner.split(':');
    if (type === 'person') return { type: 'person', personId: BigInt(id), name: names.get(id) ?? `#${id}` };
    if (type === 'claim') {
      const claim = claims.get(id);
      // Money from a claim escrow comes from the person who sent it.
      if (incoming && claim)
        return { type: 'person', personId: BigInt(claim.sender), name: names.get(claim.sender) ?? `#${claim.sender}` };
      return {
        type: 'claim',
        claimId: BigInt(id),
        username: claim?.username ?? '?',
        claimed: claim?.state === 'released',
      };
    }
    // What someone owes after card money was taken back (core/cashier/receivable.ts): theirs alone, named as such.
    if (type === 'receivable') return { type: 'system', name: 'receivable' };
    return { type: 'system', name: owner.startsWith('system:') ? owner.slice('system:'.length) : owner };
  };
}
