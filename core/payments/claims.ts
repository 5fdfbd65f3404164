/**
 * Money for an @username nobody has seen: a ledger hold from the sender's wallet into an escrow
 * account `claim:<id>`. Release posts the hold and pays the escrow out to the claimant in one unit;
 * expiry (or the sender's Return) voids the hold. The claim row is locked first, and the ledger
 * resolves a hold at most once, so release and expiry racing end in exactly one outcome.
 */
import { CLAIM_RELEASE, CLAIM_RETURN } from './model.js';
import type { Action } from '../actions/model.js';
import { createAction, expireActionsByRef } from '../actions/service.js';
import { big, date, dbNow, textOrNull, withSavepoint } from '../db/rows.js';
import { inTx } from '../db/retry.js';
import { notifyPerson, withNote } from '../outbox/notify.js';
import { PAYMENT_TEMPLATES } from './templates.js';
import type { Executor, Row, Tx } from '../db/executor.js';
import type { LedgerError } from '../ledger/errors.js';
import type { Ledger } from '../ledger/service.js';
import { openAccount } from '../ledger/queries.js';
import type { Log } from '../log.js';
import type { Amount } from '../money/amount.js';
import { formatAmount } from '../money/format.js';
import { cancel, schedule } from '../outbox/index.js';
import { walletOwner, type Identity, type Person, type Platform } from '../people/model.js';
import type { People } from '../people/service.js';
import type { ChatScope, ClaimOutcome, Noop, PayError, PayOutcome } from './model.js';

export const claimActionRef = (claimId: bigint, kind: 'release' | 'return'): string => `claim:${claimId}:${kind}`;

/**
 * When someone with an @username first shows up, money held for that username is matched to them — not paid: the
 * sender sees the claimant's name and numeric id and releases it with one tap (usernames change hands). Marks the
 * held claims for the identity's username as matched and asks each sender to release. core/people calls it (as
 * its `matchHeld`) in the transaction that records the new username.
 */
export async function matchClaims(tx: Tx, claimant: Person, identity: Identity): Promise<bigint[]> {
  if (!identity.username) return [];
  const r = await tx.query(
    `SELECT id, sender_person, amount, currency, expires_at, (extract(epoch FROM expires_at - now()) * 1000)::bigint AS ttl_ms
       FROM claims
      WHERE platform = $1 AND username = $2 AND state = 'held' AND expires_at > now() AND sender_person <> $3
      ORDER BY id FOR UPDATE`,
    [identity.platform, identity.username, claimant.id],
  );
  const matched: bigint[] = [];
  for (const row of r.rows) {
    const claimId = big(row.id);
    const sender = big(row.sender_person);
    // READ COMMITTED re-checks the row after a concurrent matcher committed: only one claimant wins.
    const upd = await tx.query(
      `UPDATE claims SET state = 'matched', claimant_person = $2 WHERE id = $1 AND state = 'held'`,
      [claimId, claimant.id],
    );
    if (upd.rowCount === 0) continue;
    const ttlMs = Number(row.ttl_ms);
    const release = await createAction(tx, {
      personId: sender,
      kind: CLAIM_RELEASE,
      payload: { claimId: claimId.toString() },
      ttlMs,
      ref: claimActionRef(claimId, 'release'),
    });
    const back = await createAction(tx, {
      personId: sender,
      kind: CLAIM_RETURN,
      payload: { claimId: claimId.toString() },
      ttlMs,
      ref: claimActionRef(claimId, 'return'),
    });
    await notifyPerson(tx, {
      key: `notify:claim:${claimId}:matched`,
      personId: sender,
      template: PAYMENT_TEMPLATES['claim.matched'],
      params: {
        amount: formatAmount({ minor: big(row.amount), currency: String(row.currency).trim() }),
        username: identity.username,
        claimantName: identity.displayName,
        claimantId: identity.userId,
        platform: identity.platform,
        expiresAt: date(row.expires_at).toISOString(),
      },
      buttons: [
        [{ labelKey: 'button.release', actionId: release.id }],
        [{ labelKey: 'button.return', actionId: back.id }],
      ],
    });
    matched.push(claimId);
  }
  return matched;
}

export const claimExpireKey = (claimId: bigint): string => `claim.expire:${claimId}:1`;
export const escrowOwner = (claimId: bigint): string => `claim:${claimId}`;

interface ClaimRow {
  id: bigint;
  sender: bigint;
  platform: Platform;
  username: string;
  amount: Amount;
  note: string | null;
  escrowAccount: bigint | null;
  holdTransferId: bigint | null;
  state: 'held' | 'matched' | 'released' | 'returned';
  claimant: bigint | null;
  expiresAt: Date;
  expired: boolean;
}

function toClaim(r: Row): ClaimRow {
  return {
    id: big(r.id),
    sender: big(r.sender_person),
    platform: r.platform as Platform,
    username: String(r.username),
    amount: { minor: big(r.amount), currency: String(r.currency).trim() },
    note: textOrNull(r.note),
    escrowAccount: r.escrow_account === null ? null : big(r.escrow_account),
    holdTransferId: r.hold_transfer_id === null ? null : big(r.hold_transfer_id),
    state: r.state as ClaimRow['state'],
    claimant: r.claimant_person === null ? null : big(r.claimant_person),
    expiresAt: date(r.expires_at),
    expired: r.expired === true,
  };
}

async function lockClaim(tx: Tx, claimId: bigint): Promise<ClaimRow | undefined> {
  const r = await tx.query(`SELECT *, expires_at <= now() AS expired FROM claims WHERE id = $1 FOR UPDATE`, [claimId]);
  return r.rows[0] ? toClaim(r.rows[0]) : undefined;
}

export interface ClaimDeps {
  ledger: Ledger;
  people: People;
  holdTtlMs: number;
  log: Log;
  mapLedgerError: (error: LedgerError) => PayError;
}

export function createClaims(deps: ClaimDeps) {
  const { ledger, people } = deps;

  async function escrow(
    tx: Tx,
    input: {
      key: string;
      from: Person;
      username: string;
      platform: Platform;
      amount: Amount;
      note: string | null;
      chat: ChatScope;
    },
  ): Promise<PayOutcome> {
    // The claim row exists only if the hold is taken: a refused payment leaves no trace.
    return withSavepoint(
      tx,
      'chipin_escrow',
      async (): Promise<PayOutcome> => {
        const now = await dbNow(tx);
        const expiresAt = new Date(now.getTime() + deps.holdTtlMs);
        const created = await tx.query(
          `INSERT INTO claims (sender_person, platform, username, amount, currency, note, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [
            input.from.id,
            input.platform,
            input.username,
            input.amount.minor,
            input.amount.currency,
            input.note,
            expiresAt.toISOString(),
          ],
        );
        const claimId = big(created.rows[0]?.id);
        const wallet = await openAccount(tx, {
          kind: 'wallet',
          owner: walletOwner(input.from.id),
          currency: input.amount.currency,
        });
        const escrowAccount = await openAccount(tx, {
          kind: 'escrow',
          owner: escrowOwner(claimId),
          currency: input.amount.currency,
        });
        const r = await ledger.apply(tx, {
          legs: [
            {
              op: 'transfer',
              ref: input.key,
              debit: wallet.id,
              credit: escrowAccount.id,
              amount: input.amount.minor,
              kind: 'claim.hold',
              meta: { ...(input.note ? { note: input.note } : {}), claim: claimId.toString() },
              pending: { expiresAt },
            },
          ],
        });
        if (!r.ok) return { type: 'rejected', error: deps.mapLedgerError(r.error) };
        const hold = r.transfers[0];
        if (!hold) throw new Error('ledger returned no transfer');
        await tx.query(`UPDATE claims SET escrow_account = $2, hold_transfer_id = $3 WHERE id = $1`, [
          claimId,
          escrowAccount.id,
          hold.id,
        ]);
        await schedule(tx, {
          key: claimExpireKey(claimId),
          kind: 'claim.expire',
          dueAt: expiresAt,
          payload: { claimId: claimId.toString() },
        });
        const back = await createAction(tx, {
          personId: input.from.id,
          kind: CLAIM_RETURN,
          payload: { claimId: claimId.toString() },
          ttlMs: deps.holdTtlMs,
          ref: claimActionRef(claimId, 'return'),
        });
        deps.log.info(
          { claimId, personId: input.from.id, platform: input.platform },
          'money held for an unseen username',
        );
        return {
          type: 'escrowed',
          claimId,
          amount: input.amount,
          username: input.username,
          platform: input.platform,
          expiresAt,
          returnActionId: back.id,
          note: input.note,
        };
      },
      (result) => result.type !== 'rejected',
    );
  }

  /** Sender's Release tap: hold posted into the escrow and the escrow paid to the claimant, one unit. */
  async function release(tx: Tx, action: Action): Promise<ClaimOutcome> {
    const claim = await lockClaim(tx, claimIdOf(action));
    if (!claim || claim.sender !== action.personId) return { type: 'rejected', error: 'ClaimNotFound' };
    if (claim.state === 'released' || claim.state === 'returned') return { type: 'rejected', error: 'ClaimResolved' };
    if (claim.state !== 'matched' || claim.claimant === null) return { type: 'rejected', error: 'ClaimNotMatched' };
    if (claim.expired) return { type: 'rejected', error: 'ClaimExpired' };
    if (claim.escrowAccount === null || claim.holdTransferId === null) throw new Error(`claim ${claim.id} has no hold`);
    const claimant = await people.get(tx, claim.claimant);
    if (!claimant) throw new Error(`claimant ${claim.claimant} of claim ${claim.id} is missing`);
    const wallet = await openAccount(tx, {
      kind: 'wallet',
      owner: walletOwner(claimant.id),
      currency: claim.amount.currency,
    });
    const key = `act:${action.id}`;
    const r = await ledger.apply(tx, {
      batchRef: key,
      legs: [
        { op: 'post', ref: `${key}#1`, pendingId: claim.holdTransferId },
        {
          op: 'transfer',
          ref: `${key}#2`,
          debit: claim.escrowAccount,
          credit: wallet.id,
          amount: claim.amount.minor,
          kind: 'claim.release',
          meta: { ...(claim.note ? { note: claim.note } : {}), claim: claim.id.toString() },
        },
      ],
    });
    if (!r.ok) {
      if (r.error === 'PendingAlreadyResolved') return { type: 'rejected', error: 'ClaimResolved' };
      if (r.error === 'PendingExpired') return { type: 'rejected', error: 'ClaimExpired' };
      throw new Error(`claim ${claim.id} release refused by the ledger: ${r.error}`);
    }
    await tx.query(`UPDATE claims SET state = 'released', resolved_at = now() WHERE id = $1`, [claim.id]);
    await cancel(tx, claimExpireKey(claim.id));
    await expireActionsByRef(tx, [claimActionRef(claim.id, 'release'), claimActionRef(claim.id, 'return')]);
    const sender = await people.get(tx, claim.sender);
    await notifyPerson(tx, {
      key: `notify:claim:${claim.id}:released`,
      personId: claimant.id,
      template: PAYMENT_TEMPLATES['claim.received'],
      params: { amount: formatAmount(claim.amount), from: sender?.displayName ?? '?', ...withNote(claim.note) },
    });
    deps.log.info({ claimId: claim.id, claimant: claimant.id }, 'held money released');
    return {
      type: 'released',
      claimId: claim.id,
      amount: claim.amount,
      username: claim.username,
      claimantPersonId: claimant.id,
      claimantName: claimant.displayName,
    };
  }

  async function giveBack(
    tx: Tx,
    claim: ClaimRow,
    ref: string,
    reason: 'expired' | 'cancelled',
  ): Promise<ClaimOutcome> {
    if (claim.holdTransferId === null) throw new Error(`claim ${claim.id} has no hold`);
    const r = await ledger.apply(tx, { legs: [{ op: 'void', ref, pendingId: claim.holdTransferId }] });
    if (!r.ok) {
      if (r.error === 'PendingAlreadyResolved') return { type: 'rejected', error: 'ClaimResolved' };
      throw new Error(`claim ${claim.id} return refused by the ledger: ${r.error}`);
    }
    await tx.query(`UPDATE claims SET state = 'returned', resolved_at = now() WHERE id = $1`, [claim.id]);
    await cancel(tx, claimExpireKey(claim.id));
    await expireActionsByRef(tx, [claimActionRef(claim.id, 'release'), claimActionRef(claim.id, 'return')]);
    if (reason === 'expired') {
      await notifyPerson(tx, {
        key: `notify:claim:${claim.id}:returned`,
        personId: claim.sender,
        template: PAYMENT_TEMPLATES['claim.returned'],
        params: { amount: formatAmount(claim.amount), username: claim.username, reason },
      });
    }
    deps.log.info({ claimId: claim.id, reason }, 'held money returned to the sender');
    return { type: 'returned', claimId: claim.id, amount: claim.amount, username: claim.username, reason };
  }

  /** Sender's Return tap: the hold is voided now. */
  async function takeBack(tx: Tx, action: Action): Promise<ClaimOutcome> {
    const claim = await lockClaim(tx, claimIdOf(action));
    if (!claim || claim.sender !== action.personId) return { type: 'rejected', error: 'ClaimNotFound' };
    if (claim.state === 'released' || claim.state === 'returned') return { type: 'rejected', error: 'ClaimResolved' };
    return giveBack(tx, claim, `act:${action.id}`, 'cancelled');
  }

  /** Timed (`claim.expire`): returns the money unless the claim was resolved meanwhile or is not due. */
  function expire(exec: Executor, claimId: bigint): Promise<ClaimOutcome | Noop> {
    return inTx(exec, async (tx): Promise<ClaimOutcome | Noop> => {
      const claim = await lockClaim(tx, claimId);
      if (!claim) return { type: 'noop', reason: 'Unknown', dueAt: null };
      if (claim.state === 'released' || claim.state === 'returned')
        return { type: 'noop', reason: 'Resolved', dueAt: null };
      if (!claim.expired) return { type: 'noop', reason: 'NotDue', dueAt: claim.expiresAt };
      return giveBack(tx, claim, claimExpireKey(claim.id), 'expired');
    });
  }

  return { escrow, release, takeBack, expire };
}

export type Claims = ReturnType<typeof createClaims>;

function claimIdOf(action: Action): bigint {
  const id = action.payload.claimId;
  if (typeof id !== 'string' || !/^[0-9]{1,19}$/.test(id)) throw new Error(`action ${action.id} has no claim id`);
  return BigInt(id);
}
