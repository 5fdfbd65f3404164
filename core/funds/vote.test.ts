import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO, YES, count, decide, type Ballots } from './vote.js';

const rule = { quorumPct: 50 };
const ids = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i + 1));

function ballots(members: number, votes: Array<[number, number]>, requester = 1): Ballots {
  return {
    members: ids(members),
    votes: new Map(votes.map(([person, choice]) => [BigInt(person), choice])),
    requester: BigInt(requester),
  };
}

describe('a fund spending vote', () => {
  it('passes with a majority of members voting yes', () => {
    expect(
      decide(
        ballots(5, [
          [1, YES],
          [2, YES],
          [3, YES],
        ]),
        rule,
        false,
      ),
    ).toBe('passed');
    expect(
      decide(
        ballots(5, [
          [1, YES],
          [2, YES],
        ]),
        rule,
        false,
      ),
    ).toBe('open');
    expect(
      decide(
        ballots(4, [
          [1, YES],
          [2, YES],
        ]),
        rule,
        false,
      ),
    ).toBe('open');
    expect(
      decide(
        ballots(4, [
          [1, YES],
          [2, YES],
          [3, YES],
        ]),
        rule,
        false,
      ),
    ).toBe('passed');
  });

  it("never passes on the requester's yes alone, even in a fund of one or two", () => {
    expect(decide(ballots(1, [[1, YES]]), rule, false)).toBe('open');
    expect(decide(ballots(2, [[1, YES]]), rule, false)).toBe('open');
    expect(
      decide(
        ballots(2, [
          [1, YES],
          [2, YES],
        ]),
        rule,
        false,
      ),
    ).toBe('passed');
    // A requester who is not a member (a payee asking) needs only the majority.
    expect(decide(ballots(1, [[1, YES]], 9), rule, false)).toBe('passed');
  });

  it('ignores the answers of people who are not members', () => {
    expect(
      decide(
        ballots(3, [
          [1, YES],
          [7, YES],
          [8, YES],
        ]),
        rule,
        false,
      ),
    ).toBe('open');
    expect(count(ballots(3, [[7, NO]]), rule)).toMatchObject({ yes: 0, no: 0 });
  });

  it('needs the quorum of members to have voted', () => {
    // 10 members, 100 % quorum: six yes are a majority but only six of ten voted.
    const all = { quorumPct: 100 };
    const six = Array.from({ length: 6 }, (_, i): [number, number] => [i + 1, YES]);
    expect(decide(ballots(10, six), all, false)).toBe('open');
    const allVoted = [...six, ...[7, 8, 9, 10].map((p): [number, number] => [p, NO])];
    expect(decide(ballots(10, allVoted), all, false)).toBe('passed');
  });

  it('fails at the deadline when it has not passed', () => {
    expect(decide(ballots(3, [[1, YES]]), rule, true)).toBe('failed');
    expect(
      decide(
        ballots(3, [
          [1, YES],
          [2, YES],
        ]),
        rule,
        true,
      ),
    ).toBe('passed');
  });

  it('counts only the standing vote: one vote per member, whatever they changed or took back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom<number | null>(YES, NO, null)), {
          maxLength: 200,
        }),
        (size, history) => {
          // Replay the history: the last answer of each person stands; null takes it back.
          const votes = new Map<bigint, number>();
          for (const [person, choice] of history)
            if (choice === null) votes.delete(BigInt(person));
            else votes.set(BigInt(person), choice);
          const b: Ballots = { members: ids(size), votes, requester: 1n };
          const c = count(b, rule);
          const memberVotes = [...votes].filter(([p]) => p <= BigInt(size));
          expect(c.yes).toBe(memberVotes.filter(([, v]) => v === YES).length);
          expect(c.no).toBe(memberVotes.filter(([, v]) => v === NO).length);
          expect(c.yes + c.no).toBeLessThanOrEqual(size);
          const decision = decide(b, rule, false);
          // Passed exactly when a strict majority said yes, with another yes than the requester's.
          const others = memberVotes.filter(([p, v]) => v === YES && p !== 1n).length;
          expect(decision === 'passed').toBe(c.yes * 2 > size && others >= 1);
          expect(decide(b, rule, true)).toBe(decision === 'passed' ? 'passed' : 'failed');
        },
      ),
    );
  });
});
