import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import {
  audit,
  createLedger,
  getAccount,
  openAccount,
  openSystemAccount,
  type Ledger,
  type Leg,
  type LedgerError,
  type Transfer,
} from './index.js';

/**
 * Model test: random operations (transfers, holds, posts, voids, reversals, replays, conflicts) run
 * against the real ledger and against a deliberately naive in-memory model; every outcome and every
 * final balance must agree, and the audit must find nothing. 10 runs × 1,000 operations.
 */
let t: TestDatabase;
let ledger: Ledger;
beforeAll(async () => {
  t = await createTestDatabase(4);
  ledger = createLedger({ db: t.db });
});
afterAll(async () => {
  await ledger.drain();
  await t.drop();
});

type Op =
  | { type: 'pay'; from: number; to: number; amount: bigint; hold: boolean }
  | { type: 'fund'; to: number; amount: bigint }
  | { type: 'post'; hold: number; amount: bigint | null }
  | { type: 'void'; hold: number }
  | { type: 'reverse'; transfer: number; amount: bigint | null }
  | { type: 'replay'; previous: number; tweak: boolean }
  | { type: 'cross'; from: number };

const WALLETS = 5;
const amount = fc.bigInt({ min: 1n, max: 60n });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('pay' as const),
      from: fc.nat(WALLETS - 1),
      to: fc.nat(WALLETS - 1),
      amount,
      hold: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('fund' as const), to: fc.nat(WALLETS - 1), amount }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('post' as const),
      hold: fc.nat(),
      amount: fc.option(amount, { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('void' as const), hold: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('reverse' as const),
      transfer: fc.nat(),
      amount: fc.option(amount, { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('replay' as const), previous: fc.nat(), tweak: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('cross' as const), from: fc.nat(WALLETS - 1) }) },
);

interface ModelAccount {
  guarded: boolean;
  dp: bigint;
  dpo: bigint;
  cp: bigint;
  cpo: bigint;
}

/** The naive model: one operation at a time, the rules written out plainly. */
class Model {
  accounts = new Map<bigint, ModelAccount>();
  holds: Transfer[] = [];
  posted: Transfer[] = [];
  resolved = new Set<bigint>();
  reversed = new Map<bigint, bigint>();

  add(id: bigint, guarded: boolean): void {
    this.accounts.set(id, { guarded, dp: 0n, dpo: 0n, cp: 0n, cpo: 0n });
  }
  private acc(id: bigint): ModelAccount {
    const a = this.accounts.get(id);
    if (!a) throw new Error('unknown model account');
    return a;
  }
  private fits(id: bigint, extra: bigint): boolean {
    const a = this.acc(id);
    return !a.guarded || a.dp + a.dpo + extra <= a.cpo;
  }
  expect(leg: Leg): LedgerError | null {
    switch (leg.op) {
      case 'transfer':
        if (leg.debit === leg.credit) return 'SameAccount';
        if (!this.accounts.has(leg.credit)) return 'CurrencyMismatch';
        return this.fits(leg.debit, leg.amount) ? null : 'InsufficientFunds';
      case 'post':
      case 'void': {
        const h = this.holds.find((x) => x.id === leg.pendingId);
        if (!h) return 'PendingNotFound';
        const amt = leg.op === 'post' ? (leg.amount ?? h.amount) : h.amount;
        if (amt > h.amount) return 'AmountExceedsPending';
        return this.resolved.has(h.id) ? 'PendingAlreadyResolved' : null;
      }
      case 'reverse': {
        const o = this.posted.find((x) => x.id === leg.transferId);
        if (!o) return 'TransferNotFound';
        const sofar = this.reversed.get(o.id) ?? 0n;
        const amt = leg.amount ?? o.amount - sofar;
        if (amt <= 0n || sofar + amt > o.amount) return 'ReversalExceedsTransfer';
        return this.fits(o.creditAccount, amt) ? null : 'InsufficientFunds';
      }
    }
  }
  record(t: Transfer): void {
    const d = this.acc(t.debitAccount);
    const c = this.acc(t.creditAccount);
    if (t.pendingId !== null) {
      const h = this.holds.find((x) => x.id === t.pendingId);
      if (!h) throw new Error('model: unknown hold');
      d.dp -= h.amount;
      c.cp -= h.amount;
      this.resolved.add(h.id);
    }
    if (t.reversesId !== null) this.reversed.set(t.reversesId, (this.reversed.get(t.reversesId) ?? 0n) + t.amount);
    if (t.state === 'pending') {
      d.dp += t.amount;
      c.cp += t.amount;
      this.holds.push(t);
    } else if (t.state === 'posted') {
      d.dpo += t.amount;
      c.cpo += t.amount;
      if (t.reversesId === null) this.posted.push(t);
    }
  }
}

const sameLeg = (a: Leg, b: Leg): boolean =>
  JSON.stringify(a, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ===
  JSON.stringify(b, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

let run = 0;
describe('the ledger agrees with a naive model', () => {
  it('over 10,000 random operations, outcomes and balances match and every invariant holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1000, maxLength: 1000 }), async (ops) => {
        run++;
        const model = new Model();
        const faucet = await openSystemAccount(t.db, 'faucet', 'USD');
        model.add(faucet.id, false);
        const wallets: bigint[] = [];
        for (let i = 0; i < WALLETS; i++) {
          const w = await openAccount(t.db, { kind: 'wallet', owner: `user:model-${run}-${i}`, currency: 'USD' });
          model.add(w.id, true);
          wallets.push(w.id);
        }
        const yen = await openAccount(t.db, { kind: 'wallet', owner: `user:model-${run}-yen`, currency: 'JPY' });
        const submitted: Leg[] = [];
        const accepted = new Map<string, Leg>();

        // Chunks of 50 go through group commit together (applied in submission order); a chunk only
        // references holds and transfers that committed in earlier chunks, so the model can predict.
        for (let start = 0; start < ops.length; start += 50) {
          const legs = ops.slice(start, start + 50).map((op, i): Leg | null => {
            const key = `model:${run}:${start + i}`;
            const w = (n: number): bigint => wallets[n % WALLETS] as bigint;
            switch (op.type) {
              case 'pay':
                return {
                  op: 'transfer',
                  ref: key,
                  debit: w(op.from),
                  credit: w(op.to),
                  amount: op.amount,
                  kind: 'pay',
                  ...(op.hold ? { pending: {} } : {}),
                };
              case 'fund':
                return {
                  op: 'transfer',
                  ref: key,
                  debit: faucet.id,
                  credit: w(op.to),
                  amount: op.amount * 3n,
                  kind: 'faucet',
                };
              case 'post': {
                const h = model.holds[op.hold % Math.max(1, model.holds.length)];
                return h
                  ? { op: 'post', ref: key, pendingId: h.id, ...(op.amount === null ? {} : { amount: op.amount }) }
                  : null;
              }
              case 'void': {
                const h = model.holds[op.hold % Math.max(1, model.holds.length)];
                return h ? { op: 'void', ref: key, pendingId: h.id } : null;
              }
              case 'reverse': {
                const o = model.posted[op.transfer % Math.max(1, model.posted.length)];
                return o
                  ? { op: 'reverse', ref: key, transferId: o.id, ...(op.amount === null ? {} : { amount: op.amount }) }
                  : null;
              }
              case 'replay': {
                const prev = submitted[op.previous % Math.max(1, submitted.length)];
                if (!prev || prev.op !== 'transfer') return null;
                return op.tweak ? { ...prev, amount: prev.amount + 1n } : prev;
              }
              case 'cross':
                return { op: 'transfer', ref: key, debit: w(op.from), credit: yen.id, amount: 1n, kind: 'pay' };
            }
          });
          const chunk = legs.filter((l): l is Leg => l !== null);
          const results = await Promise.all(chunk.map((leg) => ledger.submit({ legs: [leg] })));
          chunk.forEach((leg, i) => {
            const r = results[i];
            if (!r) throw new Error('missing result');
            const outcome = r.ok ? (r.replayed ? 'replayed' : 'ok') : r.error;
            const before = accepted.get(leg.ref);
            if (before) {
              // An accepted reference replays to the same transfer; with other parameters it is a conflict.
              expect(outcome).toBe(sameLeg(before, leg) ? 'replayed' : 'IdempotencyConflict');
              return;
            }
            // A reference never accepted (new, or refused before) is simply tried: the model predicts it.
            expect(outcome).toBe(model.expect(leg) ?? 'ok');
            if (r.ok) {
              accepted.set(leg.ref, leg);
              r.transfers.forEach((x) => model.record(x));
            }
          });
          submitted.push(...chunk);
        }

        for (const [id, m] of model.accounts) {
          if (id === faucet.id) continue;
          const a = await getAccount(t.db, id);
          expect(a && [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted]).toEqual([
            m.dp,
            m.dpo,
            m.cp,
            m.cpo,
          ]);
        }
        expect((await audit(t.db)).violations).toEqual([]);
      }),
      { numRuns: 10, endOnFailure: true },
    );
  });
});
