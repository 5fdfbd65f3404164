/**
 * `chipin check --deep`: the system invariants of RELIABILITY §2 beyond the ledger's own (SPEC §5 INV-1..INV-5, which
 * already cover conservation and no overdraft). Run in the audit's snapshot, each a few set queries:
 * - IMMUTABLE (RELIABILITY INV-4): the triggers that refuse UPDATE, DELETE and TRUNCATE of transfers and IOU
 *   events are present and enabled;
 * - INBOX (INV-2): every stored delivery is processed (done), dead-lettered with a reason (failed), or still being
 *   worked on (claimed, or waiting for its retry) — none left behind for longer than the grace;
 * - COMMAND (INV-2): every command that started has its one recorded outcome (success or refusal);
 * - OUTCOME (INV-2, INV-6): no money moved for a delivery without that delivery's recorded outcome;
 * - OUTBOX (INV-7): every outbox row is done, cancelled, dead with a reason, or pending and not overdue beyond the
 *   grace;
 * - SENT (INV-7): a message recorded as sent belongs to an outbox row that is done (its batch committed, or the
 *   next one found the record), so it can never go again.
 * INV-5 (Stripe) is the cashier's RECON check, part of every `chipin check`.
 */
import type { Row } from '../db/executor.js';
import type { AuditExtension, Violation } from '../ledger/audit.js';

export interface SystemAuditOptions {
  /** How long work may be waiting (an inbox row unclaimed, an outbox row overdue) before it is a violation. */
  readonly graceMs: number;
}

/** Violations listed per check at most; the count is always complete. */
const LISTED = 20;

/** Keys of deliveries that run commands (SPEC §5); a transfer's ref is such a key or the key with `#<leg>`. */
const DELIVERY_REF = `'^(tg|tgcb|dc|sb):'`;

/** Deliveries older than this may have had their command log pruned (core/once: 7 days). */
const OUTCOME_WINDOW = `interval '6 days'`;

export function systemAudit(options: SystemAuditOptions): AuditExtension {
  const grace = Math.max(0, Math.round(options.graceMs));
  return async (tx) => {
    const violations: Violation[] = [];
    /** One check: its query lists at most LISTED rows, each with `total` (the count before the limit). */
    const check = async <R extends Row>(
      invariant: Violation['invariant'],
      what: string,
      sql: string,
      params: readonly unknown[],
      describe: (row: R) => { message: string } & Record<string, string | number | null>,
    ): Promise<void> => {
      const r = await tx.query<R & { total: string }>(sql, params);
      violations.push(...r.rows.map((row) => ({ ...describe(row), invariant })));
      const total = Number(r.rows[0]?.total ?? 0);
      if (total > LISTED)
        violations.push({ invariant, message: `${total - LISTED} more ${what}`, more: total - LISTED });
    };

    await check<{ name: string; tbl: string }>(
      'IMMUTABLE',
      'triggers',
      `SELECT t.name, t.tbl, count(*) OVER () AS total
         FROM (VALUES ('transfers', 'transfers_no_update_delete'), ('transfers', 'transfers_no_truncate'),
                      ('iou_events', 'iou_events_no_update_delete')) AS t (tbl, name)
        WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g
                           WHERE g.tgname = t.name AND g.tgrelid = to_regclass(t.tbl) AND g.tgenabled <> 'D')`,
      [],
      (r) => ({ message: `trigger ${r.name} on ${r.tbl} is missing or disabled`, trigger: r.name }),
    );

    await check<{ key: string; state: string; attempts: number }>(
      'INBOX',
      'deliveries left behind',
      `SELECT key, state, attempts, count(*) OVER () AS total FROM inbox
        WHERE (state = 'received' AND received_at < now() - $1::bigint * interval '1 millisecond'
               AND (locked_until IS NULL OR locked_until < now()))
           OR (state = 'failed' AND last_error IS NULL)
        ORDER BY received_at LIMIT ${LISTED}`,
      [grace],
      (r) => ({
        message:
          r.state === 'failed'
            ? `delivery ${r.key} was dead-lettered without a reason`
            : `delivery ${r.key} is stored but nobody is processing it`,
        key: r.key,
        state: r.state,
        attempts: Number(r.attempts),
      }),
    );

    await check<{ key: string; command: string }>(
      'COMMAND',
      'commands without an outcome',
      `SELECT key, command, count(*) OVER () AS total FROM command_log
        WHERE outcome IS NULL AND created_at < now() - $1::bigint * interval '1 millisecond'
        ORDER BY created_at LIMIT ${LISTED}`,
      [grace],
      (r) => ({ message: `command ${r.key} (${r.command}) has no recorded outcome`, key: r.key, command: r.command }),
    );

    await check<{ id: string; ref: string }>(
      'OUTCOME',
      'transfers without an outcome',
      `SELECT t.id, t.ref, count(*) OVER () AS total FROM transfers t
        WHERE t.ref ~ ${DELIVERY_REF} AND t.created_at > now() - ${OUTCOME_WINDOW}
          AND NOT EXISTS (SELECT 1 FROM command_log c
                           WHERE c.key = split_part(t.ref, '#', 1) AND c.outcome IS NOT NULL)
        ORDER BY t.id LIMIT ${LISTED}`,
      [],
      (r) => ({
        message: `transfer ${String(r.id)} moved money for ${r.ref} without a recorded outcome`,
        transfer: String(r.id),
        ref: r.ref,
      }),
    );

    await check<{ key: string; state: string; kind: string }>(
      'OUTBOX',
      'outbox rows overdue',
      `SELECT key, state, kind, count(*) OVER () AS total FROM outbox
        WHERE (state = 'pending' AND due_at < now() - $1::bigint * interval '1 millisecond')
           OR (state = 'dead' AND last_error IS NULL)
        ORDER BY due_at LIMIT ${LISTED}`,
      [grace],
      (r) => ({
        message:
          r.state === 'dead'
            ? `outbox ${r.key} (${r.kind}) was dead-lettered without a reason`
            : `outbox ${r.key} (${r.kind}) is overdue`,
        key: r.key,
        state: r.state,
        kind: r.kind,
      }),
    );

    await check<{ key: string; state: string | null }>(
      'SENT',
      'sent messages without a done row',
      `SELECT s.outbox_key AS key, o.state, count(*) OVER () AS total
         FROM sent_messages s LEFT JOIN outbox o ON o.key = s.outbox_key
        WHERE o.state IS DISTINCT FROM 'done' AND s.sent_at < now() - $1::bigint * interval '1 millisecond'
        ORDER BY s.sent_at LIMIT ${LISTED}`,
      [grace],
      (r) => ({
        message: `a message was sent for outbox ${r.key}, which is ${r.state ?? 'missing'}: it could go again`,
        key: r.key,
        state: r.state,
      }),
    );

    return { violations };
  };
}
