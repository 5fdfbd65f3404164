import { defineDomain } from '../domain.js';
import { REDPACKET_JOBS } from './jobs.js';
import { REDPACKET_TEMPLATES } from './templates.js';

/** Red packets: the Claim button is a group action (core/actions/group.ts), not a single-person kind. */
export const REDPACKETS = defineDomain({ actions: [], templates: REDPACKET_TEMPLATES, jobs: REDPACKET_JOBS });
