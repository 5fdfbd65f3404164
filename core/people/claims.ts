/**
 * When someone with an @username first shows up, money held for that username (claims, created by
 * core/payments) is matched to them — not paid: the sender sees the claimant's name and numeric id and
 * releases it with one tap (usernames change hands, SEC-6).
 */
import { createAction } from '../actions/service.js';
import { big, date } from '../commands/db.js';
import { notifyPerson } from '../commands/notifications.js';
import type { Tx } from '../db/executor.js';
import { formatAmount } from '../money/format.js';
import type { Identity, Person } from './model.js';

export const claimActionRef = (claimId: bigint, kind: 'release' | 'return'): string => `claim:${claimId}:${kind}`;

/** Marks the held claims for the identity's username as matched and asks each sender to release. */
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
      kind: 'claim.release',
      payload: { claimId: claimId.toString() },
      ttlMs,
      ref: claimActionRef(claimId, 'release'),
    });
    const back = await createAction(tx, {
      personId: sender,
      kind: 'claim.return',
      payload: { claimId: claimId.toString() },
      ttlMs,
      ref: claimActionRef(claimId, 'return'),
    });
    await notifyPerson(tx, {
      key: `notify:claim:${claimId}:matched`,
      personId: sender,
      template: 'claim.matched',
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
