import type { Log } from '../log.js';
import { defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { Funds } from './service.js';

/** Deciding a spending vote: when it passed (at once) or at its deadline; whichever comes first decides. */
export const FUND_JOBS = defineJobs({ 'fund.vote.close': 'expiry' });

export const fundJobs = (funds: Funds, log: Log): HandlersOf<typeof FUND_JOBS> => ({
  'fund.vote.close': async (db, payload, job) =>
    settle(log, job, await funds.decideSpend(db, idFrom(payload, 'spendId', job.key))),
});
