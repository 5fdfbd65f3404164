import { defineDomain } from '../domain.js';
import { PEOPLE_JOBS } from './jobs.js';

/** People and /link: the sweep after a join. */
export const PEOPLE = defineDomain({ actions: [], templates: {}, jobs: PEOPLE_JOBS });
