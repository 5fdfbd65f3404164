import type { Log } from '../log.js';
import { defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { Funds } from './service.js';

/** Deciding a spending vote: when it passed (at once) or at its deadline; whichever comes first decides. */
export const FUND_JOBS = defineJobs({
  'fund.vote.close': 'expiry',
  /** Deciding a close vote, the same way. */
  'fund.close.decide': 'expiry',
  /** A locked pot's date: its balance goes to the beneficiary. */
  'fund.mature': 'expiry',
});

export const fundJobs = (funds: Funds, log: Log): HandlersOf<typeof FUND_JOBS> => ({
  'fund.vote.close': async (db, payload, job) =>
    settle(log, job, await funds.decideSpend(db, idFrom(payload, 'spendId', job.key))),
  'fund.close.decide': async (db, payload, job) =>
    settle(log, job, await funds.decideClose(db, idFrom(payload, 'closeId', job.key))),
  'fund.mature': async (db, payload, job) =>
    settle(log, job, await funds.mature(db, idFrom(payload, 'fundId', job.key))),
});
