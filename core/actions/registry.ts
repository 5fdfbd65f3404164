/**
 * Button kinds belong to their domain: each declares its kinds with the outcome a press produces
 * (`actionKind<PayOutcome>('pay.confirm')`) and hands `createCore` a handler per kind; the core finds the handler
 * by the pressed action's kind. Nothing central lists the kinds.
 */
import type { Tx } from '../db/executor.js';
import type { Action, ActionKind, Outcome } from './model.js';

/** Runs a consumed action of one kind. */
export interface ActionHandler {
  readonly kind: string;
  run(tx: Tx, action: Action): Promise<Outcome>;
}

export const handles = <O extends Outcome>(
  kind: ActionKind<string, O>,
  run: (tx: Tx, action: Action) => Promise<O>,
): ActionHandler => ({ kind: kind.kind, run });

/** The handlers of every domain by kind; two domains claiming one kind is a programming error. */
export function actionRegistry(handlers: readonly ActionHandler[]): ReadonlyMap<string, ActionHandler> {
  const byKind = new Map<string, ActionHandler>();
  for (const handler of handlers) {
    if (byKind.has(handler.kind)) throw new Error(`two handlers for action kind ${handler.kind}`);
    byKind.set(handler.kind, handler);
  }
  return byKind;
}
