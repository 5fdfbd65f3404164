import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SHARES, planRedPacket } from './plan.js';

const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** A seeded uniform source, so a failing case replays. */
const seeded = (seed: number) => {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
};

const packet = fc.integer({ min: 1, max: MAX_SHARES }).chain((count) =>
  fc.record({
    count: fc.constant(count),
    total: fc.bigInt({ min: BigInt(count), max: 10n ** 13n }),
    seed: fc.integer(),
  }),
);

describe('planning a red packet', () => {
  it('random shares: as many as asked, each at least one minor unit, summing exactly to the total', () => {
    fc.assert(
      fc.property(packet, ({ count, total, seed }) => {
        const shares = planRedPacket(total, count, 'random', seeded(seed));
        expect(shares).toHaveLength(count);
        expect(shares.every((s) => s >= 1n)).toBe(true);
        expect(sum(shares)).toBe(total);
      }),
    );
  });

  it('random shares survive a source at its extremes (always 0, always just below 1)', () => {
    fc.assert(
      fc.property(packet, fc.constantFrom(0, 1 - 2 ** -53), ({ count, total }, x) => {
        const shares = planRedPacket(total, count, 'random', () => x);
        expect(shares.every((s) => s >= 1n)).toBe(true);
        expect(sum(shares)).toBe(total);
      }),
    );
  });

  it('equal shares differ by at most one minor unit, the remainder one unit at a time', () => {
    fc.assert(
      fc.property(packet, ({ count, total }) => {
        const shares = planRedPacket(total, count, 'equal');
        expect(shares).toHaveLength(count);
        expect(sum(shares)).toBe(total);
        const base = total / BigInt(count);
        expect(shares.filter((s) => s === base + 1n)).toHaveLength(Number(total % BigInt(count)));
        expect(shares.every((s) => s === base || s === base + 1n)).toBe(true);
      }),
    );
    expect(planRedPacket(100n, 3, 'equal')).toEqual([34n, 33n, 33n]);
  });

  it('a packet of exactly one unit per share gives one unit to everyone', () => {
    expect(planRedPacket(5n, 5, 'random')).toEqual([1n, 1n, 1n, 1n, 1n]);
  });

  it('is fair: every position gets the mean on average (double mean, shuffled)', () => {
    const rng = seeded(42);
    const count = 5;
    const runs = 20_000;
    const totals = Array.from({ length: count }, () => 0n);
    for (let r = 0; r < runs; r++)
      planRedPacket(10_000n, count, 'random', rng).forEach((s, i) => (totals[i] = (totals[i] ?? 0n) + s));
    for (const t of totals) expect(Math.abs(Number(t) / runs - 2_000)).toBeLessThan(40);
  });

  it('refuses what cannot be planned', () => {
    expect(() => planRedPacket(9n, 10, 'random')).toThrow(RangeError);
    expect(() => planRedPacket(10_000n, MAX_SHARES + 1, 'random')).toThrow(RangeError);
    expect(() => planRedPacket(10n, 0, 'equal')).toThrow(RangeError);
  });
});
