/**
 * Webhook events (RELIABILITY S3): stored in the inbox under `stripe:<event id>` (unique, so a redelivery stores
 * nothing) together with a `stripe.event` job in the outbox, in one transaction; the settlement worker then runs
 * the handler of the event's type, which re-reads the object from Stripe when order matters and moves only
 * forward, and marks the inbox row done in the same transaction.
 */
import type { Executor, Tx } from '../db/executor.js';
import type { JsonValue } from '../db/wire.js';
import { inTx } from '../db/retry.js';
import { receive, markDone } from '../inbox/store.js';
import { JobRejected } from '../outbox/errors.js';
import { schedule } from '../outbox/service.js';
import type { StripeEvent } from './gateway.js';
import type { EventOutcome } from './model.js';

export const eventKey = (eventId: string): string => `stripe:${eventId}`;

/** Handlers by event type (`checkout.session.completed` …); each feature of money in and out brings its own. */
export type EventHandlers = Readonly<Record<string, (tx: Tx, event: StripeEvent) => Promise<EventOutcome>>>;

/** Stores a verified event and its job. `stored: false`: seen before (acknowledge again, do nothing). */
export async function receiveEvent(exec: Executor, event: StripeEvent): Promise<{ stored: boolean }> {
  return inTx(exec, async (tx) => {
    const payload: JsonValue = { ...event };
    const r = await receive(tx, { key: eventKey(event.id), platform: 'stripe', payload });
    if (r.stored)
      await schedule(tx, {
        key: `stripe.event:${event.id}`,
        kind: 'stripe.event',
        payload: { eventId: event.id },
        dueAt: new Date(),
      });
    return r;
  });
}

function storedEvent(payload: JsonValue): StripeEvent | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const { id, type, created, object, account } = payload;
  if (typeof id !== 'string' || typeof type !== 'string' || typeof created !== 'number' || object === undefined)
    return undefined;
  return { id, type, created, object, account: typeof account === 'string' ? account : null };
}

/** Runs the stored event's handler once and marks its inbox row done, in the caller's transaction. */
export async function processEvent(exec: Executor, handlers: EventHandlers, eventId: string): Promise<EventOutcome> {
  return inTx(exec, async (tx) => {
    const key = eventKey(eventId);
    const r = await tx.query<{ payload: JsonValue; state: string }>(
      `SELECT payload, state FROM inbox WHERE key = $1 FOR UPDATE`,
      [key],
    );
    const row = r.rows[0];
    if (!row) throw new JobRejected(`stripe event ${eventId} is not in the inbox`);
    if (row.state !== 'received') return { type: 'noop', reason: 'AlreadyProcessed' };
    const event = storedEvent(row.payload);
    if (!event) throw new JobRejected(`stripe event ${eventId} is stored malformed`);
    const handler = handlers[event.type];
    const outcome: EventOutcome = handler ? await handler(tx, event) : { type: 'noop', reason: 'Ignored' };
    await markDone(tx, key, outcome.type === 'noop' ? outcome.reason : outcome.type);
    return outcome;
  });
}

/** A string field of an event's object; a missing one rejects the event (never retried: a dead letter). */
export function objectField(event: StripeEvent, name: string): string {
  const { object } = event;
  const value = object !== null && typeof object === 'object' && !Array.isArray(object) ? object[name] : undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 255)
    throw new JobRejected(`stripe event ${event.id} (${event.type}): data.object.${name} is not a string`);
  return value;
}
