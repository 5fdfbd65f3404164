/**
 * `/link <code>`: the person who redeems a code made by another person is joined into them. The code's maker
 * survives; the redeemer's identities, open buttons, open requests and money move over, and the redeemer's row
 * stays behind naming the survivor (`merged_into`), so history and recorded outcomes keep their references.
 * Money moves through ledger transfers in the caller's transaction, never by editing balances. Wrong codes are
 * counted per person and rate-limited, so codes cannot be guessed.
 */
import { big, dbNow } from '../db/rows.js';
import { inTx } from '../db/retry.js';
import type { Executor, Tx } from '../db/executor.js';
import { schedule } from '../outbox/index.js';
import { openAccount } from '../ledger/queries.js';
import type { Ledger } from '../ledger/service.js';
import type { Leg } from '../ledger/model.js';
import type { Amount } from '../money/amount.js';
import { walletOwner, type Person } from './model.js';

export const LINK_ERRORS = [
  /** No such code, or it was used already. */
  'UnknownCode',
  'ExpiredCode',
  /** The code belongs to the person redeeming it (or to someone already joined with them). */
  'OwnCode',
  /** Both people already have an identity on one platform: a link joins accounts of different platforms. */
  'SamePlatform',
  /** Money on the way in or out of the redeemer's wallet: it must settle before the wallets can be joined. */
  'PendingPayments',
  /** Too many wrong codes lately. */
  'TooManyAttempts',
] as const;
export type LinkError = (typeof LINK_ERRORS)[number];

export type LinkResult = { ok: true; person: Person; moved: Amount[] } | { ok: false; error: LinkError };

/** Wrong codes a person may enter within `LINK_ATTEMPT_WINDOW_MS`. */
export const MAX_LINK_ATTEMPTS = 5;
export const LINK_ATTEMPT_WINDOW_MS = 10 * 60_000;

/**
 * A payment that found the redeemer's old person just before the join committed may credit the old wallet just
 * after it: this long after a join, whatever reached the old wallets is swept to the survivor (`link.sweep`).
 */
export const LINK_SWEEP_AFTER_MS = 60_000;

export interface LinkDeps {
  ledger: Pick<Ledger, 'apply'>;
  get(tx: Tx, personId: bigint): Promise<Person | undefined>;
}

export async function redeemLinkCode(deps: LinkDeps, tx: Tx, redeemerId: bigint, code: string): Promise<LinkResult> {
  // The redeemer's row lock serialises their attempts, so the attempt cap holds under concurrency.
  await tx.query(`SELECT id FROM people WHERE id = $1 FOR UPDATE`, [redeemerId]);
  const recent = await tx.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM link_attempts
      WHERE person_id = $1 AND attempted_at > now() - $2::bigint * interval '1 millisecond'`,
    [redeemerId, LINK_ATTEMPT_WINDOW_MS],
  );
  if (Number(recent.rows[0]?.n ?? 0) >= MAX_LINK_ATTEMPTS) return { ok: false, error: 'TooManyAttempts' };

  const found = await tx.query(
    `SELECT coalesce(p.merged_into, p.id) AS owner, c.used_at, c.expires_at > now() AS live
       FROM link_codes c JOIN people p ON p.id = c.person_id
      WHERE c.code = $1 FOR UPDATE OF c`,
    [code],
  );
  const row = found.rows[0];
  const wrong = async (error: LinkError): Promise<LinkResult> => {
    await tx.query(`INSERT INTO link_attempts (person_id) VALUES ($1)`, [redeemerId]);
    return { ok: false, error };
  };
  if (!row || row.used_at !== null) return wrong('UnknownCode');
  if (row.live !== true) return wrong('ExpiredCode');
  const survivorId = big(row.owner);
  if (survivorId === redeemerId) return { ok: false, error: 'OwnCode' };

  // Both rows locked in id order (the redeemer's is held already; a lower survivor id waits its turn safely
  // because nobody else locks two people rows).
  await tx.query(`SELECT id FROM people WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`, [
    [survivorId, redeemerId],
  ]);
  const shared = await tx.query(
    `SELECT platform FROM identities WHERE person_id = $1
     INTERSECT SELECT platform FROM identities WHERE person_id = $2`,
    [survivorId, redeemerId],
  );
  if (shared.rowCount > 0) return { ok: false, error: 'SamePlatform' };

  const moved = await moveMoney(deps, tx, { from: redeemerId, to: survivorId, batchRef: `link:${code}` });
  if (moved === 'PendingPayments') return { ok: false, error: moved };
  await moveRows(tx, redeemerId, survivorId);
  await tx.query(`UPDATE link_codes SET used_at = now(), used_by = $2 WHERE code = $1`, [code, redeemerId]);
  await schedule(tx, {
    key: `link.sweep:${redeemerId}`,
    kind: 'link.sweep',
    payload: { from: redeemerId.toString(), to: survivorId.toString() },
    dueAt: new Date((await dbNow(tx)).getTime() + LINK_SWEEP_AFTER_MS),
  });
  const person = await deps.get(tx, survivorId);
  if (!person) throw new Error(`person ${survivorId} vanished while linking`);
  return { ok: true, person, moved };
}

/**
 * The `link.sweep` job: money that reached a joined person's old wallets after the join goes to the survivor. The
 * refs name the old wallet's credits so far, so a repeated run moves nothing twice and later money gets its own.
 */
export function sweepJoinedWallets(deps: LinkDeps, exec: Executor, from: bigint, to: bigint): Promise<Amount[]> {
  return inTx(exec, async (tx) => {
    const credits = await tx.query(
      `SELECT coalesce(sum(credits_posted), 0)::text AS n FROM accounts WHERE owner = $1`,
      [walletOwner(from)],
    );
    const moved = await moveMoney(deps, tx, { from, to, batchRef: `link.sweep:${from}:${String(credits.rows[0]?.n)}` });
    // A hold on an old wallet (it cannot have one: joins wait for them) stays where it is.
    return moved === 'PendingPayments' ? [] : moved;
  });
}

/** Every wallet balance of `from` to the wallet of `to` in the same currency, in one ledger unit. */
async function moveMoney(
  deps: LinkDeps,
  tx: Tx,
  input: { from: bigint; to: bigint; batchRef: string },
): Promise<Amount[] | 'PendingPayments'> {
  const r = await tx.query(
    `SELECT id, currency, credits_posted - debits_posted AS posted, debits_pending + credits_pending AS pending
       FROM accounts WHERE owner = $1 AND kind = 'wallet' ORDER BY currency`,
    [walletOwner(input.from)],
  );
  if (r.rows.some((a) => big(a.pending) !== 0n)) return 'PendingPayments';
  const legs: Leg[] = [];
  const moved: Amount[] = [];
  for (const account of r.rows) {
    const amount = big(account.posted);
    if (amount <= 0n) continue;
    const currency = String(account.currency);
    const target = await openAccount(tx, { kind: 'wallet', owner: walletOwner(input.to), currency });
    legs.push({
      op: 'transfer',
      ref: `${input.batchRef}#${legs.length + 1}`,
      debit: big(account.id),
      credit: target.id,
      amount,
      kind: 'link.merge',
      meta: { from: String(input.from), to: String(input.to) },
    });
    moved.push({ minor: amount, currency });
  }
  if (legs.length === 0) return moved;
  const result = await deps.ledger.apply(tx, { legs, batchRef: input.batchRef });
  if (!result.ok) throw new Error(`joining wallets failed: ${result.error} (leg ${result.leg})`);
  return moved;
}

/** Everything still open that names the redeemer now names the survivor; settings the survivor lacks are kept. */
async function moveRows(tx: Tx, from: bigint, to: bigint): Promise<void> {
  const ids = [from, to];
  await tx.query(`UPDATE identities SET person_id = $2 WHERE person_id = $1`, ids);
  await tx.query(`UPDATE actions SET person_id = $2 WHERE person_id = $1 AND state = 'pending'`, ids);
  await tx.query(`UPDATE claims SET claimant_person = $2 WHERE claimant_person = $1 AND state = 'matched'`, ids);
  // A request between the two is now a request to oneself: it ends declined.
  await tx.query(
    `UPDATE requests SET state = 'declined', resolved_at = now()
      WHERE state = 'open' AND ((requester = $1 AND payer = $2) OR (requester = $2 AND payer = $1))`,
    ids,
  );
  await tx.query(`UPDATE requests SET requester = $2 WHERE requester = $1 AND state = 'open'`, ids);
  await tx.query(`UPDATE requests SET payer = $2 WHERE payer = $1 AND state = 'open'`, ids);
  // Likewise a recurring transfer between the two ends; the others follow the survivor.
  await tx.query(
    `UPDATE schedules SET state = 'cancelled', next_n = NULL, next_at = NULL, ended_at = now()
      WHERE state IN ('awaiting', 'active') AND ((payer = $1 AND payee = $2) OR (payer = $2 AND payee = $1))`,
    ids,
  );
  await tx.query(`UPDATE schedules SET payer = $2 WHERE payer = $1 AND state IN ('awaiting', 'active')`, ids);
  await tx.query(`UPDATE schedules SET payee = $2 WHERE payee = $1 AND state IN ('awaiting', 'active')`, ids);
  // An IOU between the two is now a debt to oneself: it ends void (its history stays); the others follow the survivor,
  // closed ones too, so the borrower's record is theirs.
  await tx.query(
    `WITH voided AS (
       UPDATE ious SET state = 'void', closed_at = now()
        WHERE state IN ('offered', 'open') AND ((lender = $1 AND borrower = $2) OR (lender = $2 AND borrower = $1))
        RETURNING id, remind_key AS key
     ), cancelled AS (
       UPDATE outbox SET state = 'cancelled', done_at = now() WHERE key IN (SELECT key FROM voided) AND state = 'pending'
     )
     INSERT INTO iou_events (iou_id, kind) SELECT id, 'voided' FROM voided`,
    ids,
  );
  await tx.query(`UPDATE ious SET lender = $2 WHERE lender = $1 AND borrower <> $2`, ids);
  await tx.query(`UPDATE ious SET borrower = $2 WHERE borrower = $1 AND lender <> $2`, ids);
  await tx.query(
    `INSERT INTO reminder_mutes (person_id, thread) SELECT $2, thread FROM reminder_mutes WHERE person_id = $1
     ON CONFLICT DO NOTHING`,
    ids,
  );
  await tx.query(
    `UPDATE people s SET locale = coalesce(s.locale, r.locale), timezone = coalesce(s.timezone, r.timezone),
            quiet_start = CASE WHEN s.quiet_start IS NULL THEN r.quiet_start ELSE s.quiet_start END,
            quiet_end = CASE WHEN s.quiet_start IS NULL THEN r.quiet_end ELSE s.quiet_end END,
            confirm_threshold_minor = coalesce(s.confirm_threshold_minor, r.confirm_threshold_minor)
       FROM people r WHERE s.id = $2 AND r.id = $1`,
    ids,
  );
  await tx.query(`UPDATE people SET merged_into = $2 WHERE id = $1 OR merged_into = $1`, ids);
}
