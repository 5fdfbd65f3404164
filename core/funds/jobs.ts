import type { Json } from '../db/wire.js';
import type { Log } from '../log.js';
import { defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { Funds } from './service.js';

/** Deciding a spending vote: a check after each vote (decides at once when passed) and the deadline. */
export const FUND_JOBS = defineJobs({
  'fund.vote.close': 'expiry',
  /** Deciding a close vote, the same way. */
  'fund.close.decide': 'expiry',
  /** A locked pot's date: its balance goes to the beneficiary. */
  'fund.mature': 'expiry',
});

/** A check after a vote (`check: true`): a vote still open is no reason to retry. */
const isCheck = (payload: Json): boolean =>
  payload !== null && typeof payload === 'object' && !Array.isArray(payload) && payload.check === true;

export const fundJobs = (funds: Funds, log: Log): HandlersOf<typeof FUND_JOBS> => ({
  'fund.vote.close': async (db, payload, job) =>
    settle(log, job, await funds.decideSpend(db, idFrom(payload, 'spendId', job.key), { check: isCheck(payload) })),
  'fund.close.decide': async (db, payload, job) =>
    settle(log, job, await funds.decideClose(db, idFrom(payload, 'closeId', job.key), { check: isCheck(payload) })),
  'fund.mature': async (db, payload, job) =>
    settle(log, job, await funds.mature(db, idFrom(payload, 'fundId', job.key))),
});
