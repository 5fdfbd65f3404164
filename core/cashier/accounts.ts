/**
 * Connected accounts (`/connect`): each person withdraws to their own Stripe Connect Express account. It is created
 * once per person — idempotency key `connect:<person id>`, and its id stored in the same transaction as the command,
 * so a retried command finds the row (or, within Stripe's 24 h, gets the same account back) — and every `/connect`
 * answers with a fresh onboarding link (Account Links expire within minutes). `account.updated` events re-read the
 * account and record whether Stripe lets it receive payouts: only then does `/withdraw` go ahead.
 */
import type { Executor, Row, Tx } from '../db/executor.js';
import { big } from '../db/rows.js';
import type { Log } from '../log.js';
import { JobRejected } from '../outbox/errors.js';
import type { Person } from '../people/model.js';
import { objectField, type EventHandlers } from './events.js';
import { StripeRefused, StripeUnknownOutcome, type ConnectedAccount, type StripeGateway } from './gateway.js';
import type { EventOutcome } from './model.js';

export interface AccountsDeps {
  gateway: StripeGateway | undefined;
  /** Where Stripe sends the person back after onboarding (`<PUBLIC_URL>/stripe/return`). */
  returnUrl: string;
  log: Log;
}

/** Why /connect did nothing. */
export type ConnectError = 'StripeUnavailable' | 'ConnectRefused' | 'StripeUnreachable';

export type ConnectOutcome =
  { type: 'link'; url: string; expiresAt: Date; payoutsEnabled: boolean } | { type: 'rejected'; error: ConnectError };

/** The account a person withdraws to, as chipin last heard of it. */
export interface PersonAccount {
  personId: bigint;
  accountId: string;
  payoutsEnabled: boolean;
}

/** Metadata on the connected account: how an `account.updated` event (and reconciliation) finds its person. */
export const PERSON_METADATA = 'chipin_person_id';

const toAccount = (r: Row): PersonAccount => ({
  personId: big(r.person_id),
  accountId: String(r.account_id),
  payoutsEnabled: r.payouts_enabled === true,
});

export async function accountOf(exec: Executor, personId: bigint): Promise<PersonAccount | undefined> {
  const r = await exec.query(
    `SELECT person_id, account_id, payouts_enabled FROM connected_accounts WHERE person_id = $1`,
    [personId],
  );
  return r.rows[0] ? toAccount(r.rows[0]) : undefined;
}

export function createAccounts(deps: AccountsDeps) {
  const { gateway, log } = deps;

  async function connect(tx: Tx, input: { person: Person }): Promise<ConnectOutcome> {
    if (!gateway) return { type: 'rejected', error: 'StripeUnavailable' };
    const { person } = input;
    try {
      // Two /connect at once queue on this lock: the account is created and stored once.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('connect'), hashtext($1))`, [String(person.id)]);
      let account = await accountOf(tx, person.id);
      if (!account) {
        const created = await gateway.createConnectedAccount({
          idempotencyKey: `connect:${person.id}`,
          metadata: { [PERSON_METADATA]: String(person.id) },
        });
        await tx.query(
          `INSERT INTO connected_accounts (person_id, account_id, payouts_enabled, details_submitted)
           VALUES ($1, $2, $3, $4)`,
          [person.id, created.id, created.payoutsEnabled, created.detailsSubmitted],
        );
        account = { personId: person.id, accountId: created.id, payoutsEnabled: created.payoutsEnabled };
      }
      const link = await gateway.createAccountLink({
        account: account.accountId,
        refreshUrl: `${deps.returnUrl}?connect=refresh`,
        returnUrl: `${deps.returnUrl}?connect=done`,
      });
      return { type: 'link', url: link.url, expiresAt: link.expiresAt, payoutsEnabled: account.payoutsEnabled };
    } catch (err) {
      if (err instanceof StripeRefused) {
        log.warn({ err, personId: person.id }, 'stripe refused a connected account or its link');
        return { type: 'rejected', error: 'ConnectRefused' };
      }
      if (err instanceof StripeUnknownOutcome) {
        log.warn({ err, personId: person.id }, 'stripe did not answer /connect');
        return { type: 'rejected', error: 'StripeUnreachable' };
      }
      throw err;
    }
  }

  /** Brings the stored account up to what Stripe says about it now (events may arrive in any order). */
  async function sync(tx: Tx, accountId: string): Promise<EventOutcome> {
    if (!gateway) throw new Error('a stripe event without a stripe gateway');
    const r = await tx.query(`SELECT person_id FROM connected_accounts WHERE account_id = $1 FOR UPDATE`, [accountId]);
    const now: ConnectedAccount = await gateway.retrieveConnectedAccount(accountId);
    if (!r.rows[0]) await adopt(tx, now);
    await tx.query(
      `UPDATE connected_accounts SET payouts_enabled = $2, details_submitted = $3, updated_at = now()
        WHERE account_id = $1`,
      [accountId, now.payoutsEnabled, now.detailsSubmitted],
    );
    return { type: 'account', accountId, payoutsEnabled: now.payoutsEnabled };
  }

  /**
   * An account Stripe made for one of our people whose /connect transaction did not commit (and was not retried
   * within 24 h): its metadata names the person, so it becomes theirs — unless they already have another one.
   */
  async function adopt(tx: Tx, account: ConnectedAccount): Promise<void> {
    const tag = account.metadata[PERSON_METADATA];
    const known =
      tag !== undefined && /^[0-9]{1,19}$/.test(tag)
        ? (await tx.query(`SELECT 1 FROM people WHERE id = $1`, [tag])).rows.length > 0
        : false;
    // Not ours (another integration on the platform): an alert, never an account.
    if (!known) throw new JobRejected(`account.updated for ${account.id}: no person has that connected account`);
    const r = await tx.query(
      `INSERT INTO connected_accounts (person_id, account_id) VALUES ($1, $2) ON CONFLICT (person_id) DO NOTHING`,
      [tag, account.id],
    );
    if (r.rowCount === 0)
      throw new JobRejected(`account.updated for ${account.id}: person ${tag} already has another connected account`);
    log.warn({ accountId: account.id, personId: tag }, 'connected account adopted from an account.updated event');
  }

  const events: EventHandlers = {
    'account.updated': (tx, event) => sync(tx, objectField(event, 'id')),
  };

  return { connect, sync, events, accountOf };
}

export type Accounts = ReturnType<typeof createAccounts>;
