import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { netPositions, planSettlement, type Debt, type SettleLeg } from './settle.js';

const debt = (debtor: number, creditor: number, amount: number, currency = 'USD'): Debt => ({
  debtor: BigInt(debtor),
  creditor: BigInt(creditor),
  amount: BigInt(amount),
  currency,
});

/** Positions after the debts and then the plan's transfers (a transfer from a debtor reduces what they owe). */
function afterPlan(debts: readonly Debt[], legs: readonly SettleLeg[]): Map<string, Map<bigint, bigint>> {
  const net = netPositions(debts);
  for (const leg of legs) {
    const positions = net.get(leg.currency);
    if (!positions) throw new Error(`a leg in ${leg.currency}, which nobody owes`);
    positions.set(leg.from, (positions.get(leg.from) ?? 0n) + leg.amount);
    positions.set(leg.to, (positions.get(leg.to) ?? 0n) - leg.amount);
  }
  return net;
}

const debts = fc.array(
  fc.record({
    debtor: fc.integer({ min: 1, max: 8 }),
    creditor: fc.integer({ min: 1, max: 8 }),
    amount: fc.integer({ min: 1, max: 100_000 }),
    currency: fc.constantFrom('USD', 'CNY'),
  }),
  { maxLength: 40 },
);

describe('settling up a group', () => {
  it('Ann owes Ben 12, Ben owes Chen 12: one transfer, Ann pays Chen', () => {
    expect(planSettlement([debt(1, 2, 12_00), debt(2, 3, 12_00)])).toEqual([
      { from: 1n, to: 3n, amount: 12_00n, currency: 'USD' },
    ]);
  });

  it('debts that cancel out need no transfer at all', () => {
    expect(planSettlement([debt(1, 2, 5_00), debt(2, 1, 5_00), debt(3, 3, 9_00)])).toEqual([]);
  });

  it('keeps currencies apart: a USD debt is never paid in CNY', () => {
    const legs = planSettlement([debt(1, 2, 10_00, 'USD'), debt(2, 1, 10_00, 'CNY')]);
    expect(legs).toEqual([
      { from: 2n, to: 1n, amount: 10_00n, currency: 'CNY' },
      { from: 1n, to: 2n, amount: 10_00n, currency: 'USD' },
    ]);
  });

  it('pairs who owe exactly what another is owed settle in one transfer each', () => {
    // Ann −30, Ben −20, Chen +20, Dan +30: two transfers, not three.
    const legs = planSettlement([debt(1, 4, 30_00), debt(2, 3, 20_00)]);
    expect(legs).toHaveLength(2);
  });

  it('for any debts: every position ends at zero, in at most n − 1 transfers per currency, debtors only paying', () => {
    fc.assert(
      fc.property(debts, (raw) => {
        const given = raw.map((d) => debt(d.debtor, d.creditor, d.amount, d.currency));
        const legs = planSettlement(given);
        const before = netPositions(given);
        for (const positions of afterPlan(given, legs).values())
          for (const position of positions.values()) expect(position).toBe(0n);
        for (const [currency, positions] of before) {
          const nonZero = [...positions.values()].filter((p) => p !== 0n).length;
          const count = legs.filter((l) => l.currency === currency).length;
          expect(count).toBeLessThanOrEqual(Math.max(0, nonZero - 1));
          for (const leg of legs.filter((l) => l.currency === currency)) {
            expect(leg.amount).toBeGreaterThan(0n);
            expect(leg.from).not.toBe(leg.to);
            expect(positions.get(leg.from) ?? 0n).toBeLessThan(0n);
            expect(positions.get(leg.to) ?? 0n).toBeGreaterThan(0n);
          }
        }
        // The same debts in another order give the same plan.
        expect(planSettlement([...given].reverse())).toEqual(legs);
      }),
      { numRuns: 500 },
    );
  });
});
