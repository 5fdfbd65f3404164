export * from './model.js';
export { FUND_SPEND_VOTE, createFunds, fundOwner, type Funds, type FundsDeps } from './service.js';
export { NO, YES, count as countVotes, decide as decideVote, type Ballots, type VoteRule } from './vote.js';
