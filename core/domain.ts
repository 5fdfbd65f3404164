/**
 * What a domain folder declares for the rest of the system to merge: its button kinds (with the outcome of a
 * press), its notification templates (with whether each may wait out quiet hours) and its timed jobs (with their
 * queues). core/domains.ts lists the domains; the unions and maps everyone else uses are derived from that list.
 */
import type { ActionKind } from './actions/model.js';
import type { QueueName } from './outbox/jobs.js';
import type { Template } from './outbox/notify.js';

export interface Domain {
  readonly actions: readonly ActionKind[];
  readonly templates: Readonly<Record<string, Template>>;
  readonly jobs: Readonly<Record<string, QueueName>>;
}

/** A domain's declarations (each of the three given, empty where it has none), with their literal types kept. */
export const defineDomain = <const D extends Domain>(domain: D): D => domain;
