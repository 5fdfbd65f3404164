import type { Executor } from '../db/executor.js';
import type { JsonValue } from '../db/wire.js';

/** A message to a person, rendered in their language when it is delivered. */
export interface NotificationTemplate {
  /** i18n message key, e.g. "request.nudge". */
  key: string;
  params?: Record<string, string>;
  /** Buttons: i18n label key + the opaque pending-action id they carry. */
  buttons?: Array<Array<{ labelKey: string; actionId: string }>>;
  /**
   * May wait for the end of the person's quiet hours (reminders, non-urgent notices). Absent means
   * true; `false` goes out at once ("you received money").
   */
  deferrable?: boolean;
  /** The reminder thread it belongs to (`schedule:<id>`): muting the thread cancels it. */
  thread?: string;
}

export interface ScheduleInput {
  /** Business key, unique: `<kind>:<object id>:<occurrence>`. Scheduling the same key twice is a no-op. */
  key: string;
  kind: string;
  /** Absent: now, by the database clock (the transaction's start: due by the time anyone can see the row). */
  dueAt?: Date;
  payload: { [key: string]: JsonValue };
}

/** Records work due later, in the caller's transaction. Returns false when the key already existed. */
export async function schedule(exec: Executor, input: ScheduleInput): Promise<boolean> {
  const r = await exec.query(
    `INSERT INTO outbox (key, kind, payload, due_at) VALUES ($1, $2, $3::jsonb, coalesce($4::timestamptz, now()))
     ON CONFLICT (key) DO NOTHING`,
    [input.key, input.kind, JSON.stringify(input.payload), input.dueAt?.toISOString() ?? null],
  );
  return r.rowCount === 1;
}

/** Cancels pending work (a paid request needs no expiry). Returns false when it was not pending. */
export async function cancel(exec: Executor, key: string): Promise<boolean> {
  const r = await exec.query(
    `UPDATE outbox SET state = 'cancelled', done_at = now() WHERE key = $1 AND state = 'pending'`,
    [key],
  );
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
    ...(input.dueAt ? { dueAt: input.dueAt } : {}),
    payload: { personId: input.personId.toString(), template: input.template as unknown as JsonValue },
  });
}

/** What a `notify` row carries, as `notify` wrote it. */
export interface NotifyPayload {
  personId: bigint;
  template: NotificationTemplate;
}

const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

const isButtons = (v: unknown): v is NotificationTemplate['buttons'] =>
  Array.isArray(v) &&
  v.every(
    (row) =>
      Array.isArray(row) &&
      row.every(
        (b: unknown) =>
          typeof b === 'object' &&
          b !== null &&
          typeof (b as { labelKey?: unknown }).labelKey === 'string' &&
          typeof (b as { actionId?: unknown }).actionId === 'string',
      ),
  );

/** Reads a `notify` row's payload; undefined when it is malformed (a dead letter: retrying cannot fix it). */
export function readNotifyPayload(payload: { [key: string]: JsonValue }): NotifyPayload | undefined {
  const { personId, template } = payload;
  if (typeof personId !== 'string' || !/^\d{1,19}$/.test(personId)) return undefined;
  if (typeof template !== 'object' || template === null || Array.isArray(template)) return undefined;
  const { key, params, buttons, deferrable, thread } = template;
  if (typeof key !== 'string' || key === '') return undefined;
  if (params !== undefined && !isStringRecord(params)) return undefined;
  if (buttons !== undefined && !isButtons(buttons)) return undefined;
  if (deferrable !== undefined && typeof deferrable !== 'boolean') return undefined;
  if (thread !== undefined && typeof thread !== 'string') return undefined;
  return {
    personId: BigInt(personId),
    template: {
      key,
      ...(params ? { params } : {}),
      ...(buttons ? { buttons } : {}),
      ...(deferrable !== undefined ? { deferrable } : {}),
      ...(thread !== undefined ? { thread } : {}),
    },
  };
}

export { JobRejected } from './errors.js';
export * from './queries.js';
