/**
 * THE list of domains. Button kinds, notification templates and timed jobs are each declared by their own domain
 * (its `domain.ts`); everything that needs all of them (the press outcome type, the renderers' completeness
 * check, the queue of a job kind) is derived here. Adding a domain is its folder and one line in this list (and its
 * service in `createCore`).
 */
import type { PressedOf } from './actions/model.js';
import type { QueueName } from './outbox/jobs.js';
import type { LabelOf, ParamsOf } from './outbox/notify.js';
import { COLLECTIONS } from './collections/domain.js';
import { FUNDS } from './funds/domain.js';
import { IOUS } from './ious/domain.js';
import { PAYMENTS } from './payments/domain.js';
import { PEOPLE } from './people/domain.js';
import { REDPACKETS } from './redpackets/domain.js';
import { REMINDERS } from './reminders/domain.js';
import { REQUESTS } from './requests/domain.js';
import { SCHEDULES } from './schedules/domain.js';
import { CASHIER } from './cashier/domain.js';

export const DOMAINS = [
  PAYMENTS,
  REQUESTS,
  SCHEDULES,
  FUNDS,
  PEOPLE,
  REMINDERS,
  COLLECTIONS,
  IOUS,
  REDPACKETS,
  CASHIER,
] as const;
type AnyDomain = (typeof DOMAINS)[number];

/** What pressing any button of any domain reports when it ran. */
export type Pressed = PressedOf<AnyDomain['actions'][number]>;

type ValueOf<T> = T[keyof T];
type AnyTemplate = AnyDomain extends infer D ? (D extends { templates: infer T } ? ValueOf<T> : never) : never;
export type TemplateKey = AnyTemplate['key'];
export type TemplateParams = { [T in AnyTemplate as T['key']]: ParamsOf<T> };
/** i18n keys of the buttons notifications carry. */
export type ButtonLabel = LabelOf<AnyTemplate>;

type JobsOf<D> = D extends { jobs: infer J } ? J : never;
/** Every timed kind (of every domain). */
export type TimedKind = AnyDomain extends infer D ? (D extends unknown ? keyof JobsOf<D> & string : never) : never;

/** Every timed kind and the queue that runs it. */
export const TIMED_JOBS = Object.assign({}, ...DOMAINS.map((domain) => domain.jobs)) as Readonly<
  Record<TimedKind, QueueName>
>;
