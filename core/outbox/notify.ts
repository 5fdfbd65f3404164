/**
 * Private messages the core sends, as typed templates each domain declares for itself (its `templates.ts`). The
 * notifications worker renders `key` in the recipient's language with `params`; params are plain strings: amounts
 * already formatted (`12.50 USD`, the same in every language), timestamps as ISO 8601 (`…At`: rendered in the
 * recipient's time zone), `note` only present when there is one.
 */
import type { Executor } from '../db/executor.js';
import { notify } from './service.js';

/** A template: its key, the params it takes (type only), the button labels it may carry (type only). */
export interface Template<K extends string = string, P extends object = object, B extends string = string> {
  readonly key: K;
  /**
   * May wait for the end of the recipient's quiet hours (reminders, non-urgent notices); `false` goes out at once
   * (money received or sent, something to answer now).
   */
  readonly deferrable: boolean;
  readonly params?: P;
  readonly labels?: B;
}

interface Choice {
  deferrable: boolean;
  /** The i18n keys of the buttons it may carry. */
  buttons?: readonly string[];
}

type LabelsOf<C> = C extends { buttons: readonly (infer B extends string)[] } ? B : never;

/**
 * A domain's templates: their params as a type, and for each whether it may wait out quiet hours (exhaustive: a
 * new template must choose) and which buttons it carries. `defineTemplates<{ 'pay.received': {…} }>()({
 * 'pay.received': { deferrable: false } })`.
 */
export const defineTemplates =
  <T extends Record<string, object>>() =>
  <const C extends { [K in keyof T & string]: Choice }>(
    choices: C,
  ): { [K in keyof T & string]: Template<K, T[K], LabelsOf<C[K]>> } =>
    Object.fromEntries(
      Object.entries(choices).map(([key, choice]) => [key, { key, deferrable: choice.deferrable }]),
    ) as { [K in keyof T & string]: Template<K, T[K], LabelsOf<C[K]>> };

export type ParamsOf<T> = T extends Template<string, infer P> ? P : never;
export type LabelOf<T> = T extends Template<string, object, infer B> ? B : never;

/** Schedules a typed notification to a person, in the caller's transaction (idempotent on `key`). */
export function notifyPerson<K extends string, P extends object, B extends string>(
  exec: Executor,
  input: {
    key: string;
    personId: bigint;
    template: Template<K, P, B>;
    params: P;
    buttons?: Array<Array<{ labelKey: B; actionId: string }>>;
    dueAt?: Date;
    /** The reminder thread (`schedule:<id>`): muting it cancels this notification while it waits. */
    thread?: string;
  },
): Promise<boolean> {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.params)) if (typeof v === 'string') params[k] = v;
  return notify(exec, {
    key: input.key,
    personId: input.personId,
    template: {
      key: input.template.key,
      params,
      ...(input.buttons ? { buttons: input.buttons } : {}),
      // Only the exception is written: rows without the flag are deferrable.
      ...(input.template.deferrable ? {} : { deferrable: false }),
      ...(input.thread ? { thread: input.thread } : {}),
    },
    ...(input.dueAt ? { dueAt: input.dueAt } : {}),
  });
}

/** `note` as an optional param. */
export const withNote = (note: string | null): { note?: string } => (note ? { note } : {});
