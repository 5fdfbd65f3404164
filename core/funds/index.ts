export * from './model.js';
export {
  FUND_CLOSE_VOTE,
  FUND_SPEND_VOTE,
  createFunds,
  fundOwner,
  matureKey,
  type Funds,
  type FundsDeps,
} from './service.js';
export { NO, YES, count as countVotes, decide as decideVote, type Ballots, type VoteRule } from './vote.js';
