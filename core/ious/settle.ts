/**
 * Settling up (`/settle`): the transfers that clear every open debt among a group, as a pure function. Each person's
 * net position (what they are owed minus what they owe) is computed per currency; then debtors are matched to
 * creditors. Every transfer zeroes at least one person's position, so n people with a non-zero position need at
 * most n − 1 transfers; debtor–creditor pairs owing exactly the same go first, which saves a transfer each time it
 * applies. (The true minimum is a subset-sum problem; this is the bound Splitwise-style apps give.)
 */

/** One person owing another: `amount` minor units of `currency`, from `debtor` to `creditor`. */
export interface Debt {
  debtor: bigint;
  creditor: bigint;
  amount: bigint;
  currency: string;
}

/** One transfer of the plan: `from` pays `to`. */
export interface SettleLeg {
  from: bigint;
  to: bigint;
  amount: bigint;
  currency: string;
}

/** Each person's net position per currency: positive when they are owed, negative when they owe. */
export function netPositions(debts: readonly Debt[]): Map<string, Map<bigint, bigint>> {
  const byCurrency = new Map<string, Map<bigint, bigint>>();
  for (const debt of debts) {
    if (debt.amount <= 0n || debt.debtor === debt.creditor) continue;
    const net = byCurrency.get(debt.currency) ?? new Map<bigint, bigint>();
    byCurrency.set(debt.currency, net);
    net.set(debt.debtor, (net.get(debt.debtor) ?? 0n) - debt.amount);
    net.set(debt.creditor, (net.get(debt.creditor) ?? 0n) + debt.amount);
  }
  return byCurrency;
}

interface Position {
  person: bigint;
  /** What is left to pay (debtors) or to receive (creditors), positive. */
  left: bigint;
}

/** Largest first; ties by person id, so the same debts always give the same plan. */
const byLargest = (a: Position, b: Position): number =>
  a.left === b.left ? (a.person < b.person ? -1 : a.person > b.person ? 1 : 0) : a.left > b.left ? -1 : 1;

/** The transfers that bring every position to zero: currencies in name order, within each at most n − 1. */
export function planSettlement(debts: readonly Debt[]): SettleLeg[] {
  const legs: SettleLeg[] = [];
  const currencies = [...netPositions(debts).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [currency, net] of currencies) {
    const debtors: Position[] = [];
    const creditors: Position[] = [];
    for (const [person, position] of net) {
      if (position < 0n) debtors.push({ person, left: -position });
      else if (position > 0n) creditors.push({ person, left: position });
    }
    debtors.sort(byLargest);
    creditors.sort(byLargest);

    // Exact pairs first: one transfer clears two people.
    for (const debtor of debtors) {
      const match = creditors.find((c) => c.left > 0n && c.left === debtor.left);
      if (!match) continue;
      legs.push({ from: debtor.person, to: match.person, amount: debtor.left, currency });
      match.left = 0n;
      debtor.left = 0n;
    }

    // Then the largest debtor pays the largest creditor as much as both allow, until nobody is left.
    const open = (list: Position[]) => list.filter((p) => p.left > 0n).sort(byLargest);
    for (let d = open(debtors), c = open(creditors); d[0] && c[0]; d = open(debtors), c = open(creditors)) {
      const [debtor, creditor] = [d[0], c[0]];
      const amount = debtor.left < creditor.left ? debtor.left : creditor.left;
      legs.push({ from: debtor.person, to: creditor.person, amount, currency });
      debtor.left -= amount;
      creditor.left -= amount;
    }
  }
  return legs;
}
