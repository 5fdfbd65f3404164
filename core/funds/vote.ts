/**
 * When a fund's spending vote passes, as a pure function of who may vote and how they voted. A spend passes when a
 * majority of the fund's members vote yes and at least the quorum of them voted at all; the requester's own yes is
 * never enough on its own (a fund of one cannot pay itself out by vote). Votes change until the vote closes, so
 * until the deadline an open vote only ever becomes 'passed'; at the deadline whatever has not passed has failed.
 */

export const YES = 0;
export const NO = 1;

export interface VoteRule {
  /** Percent of the members who must have voted (1–100; default 50). */
  quorumPct: number;
}

export interface Ballots {
  /** The people who may vote: the fund's members when the vote is counted. */
  members: readonly bigint[];
  /** Each voter's standing choice (YES or NO); a vote taken back is simply absent. */
  votes: ReadonlyMap<bigint, number>;
  requester: bigint;
}

export interface Count {
  members: number;
  yes: number;
  no: number;
  /** Yes votes needed: more than half of the members, and never only the requester's. */
  needed: number;
  quorum: number;
}

/** Counts only members' votes (anyone else's answer does not count, whatever it was). */
export function count(ballots: Ballots, rule: VoteRule): Count {
  const members = new Set(ballots.members);
  let yes = 0;
  let no = 0;
  for (const [person, choice] of ballots.votes) {
    if (!members.has(person)) continue;
    if (choice === YES) yes++;
    else if (choice === NO) no++;
  }
  const size = members.size;
  const majority = Math.floor(size / 2) + 1;
  // The requester's yes alone is not a decision: with a requester who is a member, at least one other yes.
  const needed = members.has(ballots.requester) ? Math.max(majority, 2) : majority;
  const quorum = Math.max(1, Math.ceil((size * rule.quorumPct) / 100));
  return { members: size, yes, no, needed, quorum };
}

export type Decision = 'passed' | 'open' | 'failed';

/** 'passed' as soon as it has; before the deadline otherwise 'open'; at or after it 'failed'. */
export function decide(ballots: Ballots, rule: VoteRule, deadlinePassed: boolean): Decision {
  const c = count(ballots, rule);
  if (c.yes >= c.needed && c.yes + c.no >= c.quorum) return 'passed';
  return deadlinePassed ? 'failed' : 'open';
}
