import type { Executor } from '../db/executor.js';
import type { JsonValue } from '../ledger/model.js';

/** A message to a person, rendered in their language when it is delivered. */
export interface NotificationTemplate {
  /** i18n message key, e.g. "request.nudge". */
  key: string;
  params?: Record<string, string>;
  /** Buttons: i18n label key + the opaque pending-action id they carry. */
  buttons?: Array<Array<{ labelKey: string; actionId: string }>>;
}

export interface ScheduleInput {
  /** Business key, unique: `<kind>:<object id>:<occurrence>`. Scheduling the same key twice is a no-op. */
  key: string;
  kind: string;
  dueAt: Date;
  payload: { [key: string]: JsonValue };
}

/** Records work due later, in the caller's transaction. Returns false when the key already existed. */
export async function schedule(exec: Executor, input: ScheduleInput): Promise<boolean> {
  const r = await exec.query(
    `INSERT INTO outbox (key, kind, payload, due_at) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (key) DO NOTHING`,
    [input.key, input.kind, JSON.stringify(input.payload), input.dueAt.toISOString()],
  );
  return r.rowCount === 1;
}

/** Cancels pending work (a paid request needs no expiry). Returns false when it was not pending. */
export async function cancel(exec: Executor, key: string): Promise<boolean> {
  const r = await exec.query(`UPDATE outbox SET state = 'cancelled', done_at = now() WHERE key = $1 AND state = 'pending'`, [key]);
  return r.rowCount === 1;
}

/** Schedules a message to a person (kind `notify`), delivered by the notifications worker. */
export function notify(
  exec: Executor,
  input: { key: string; personId: bigint; template: NotificationTemplate; dueAt?: Date },
): Promise<boolean> {
  return schedule(exec, {
    key: input.key,
    kind: 'notify',
    dueAt: input.dueAt ?? new Date(),
    payload: { personId: input.personId.toString(), template: input.template as unknown as JsonValue },
  });
}
