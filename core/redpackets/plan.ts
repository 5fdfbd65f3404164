/**
 * Planning a red packet's shares: pure, so it is tested without a database and the service writes its result once
 * (the slots, at creation). Every share is at least one minor unit and the shares sum exactly to the total.
 */
import { randomInt } from 'node:crypto';

export type ShareMode = 'random' | 'equal';

/** Most shares a packet may have. */
export const MAX_SHARES = 1000;

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** The production source: crypto-strong, 47 bits per draw. */
export const cryptoRng: Rng = () => randomInt(2 ** 47) / 2 ** 47;

/** A uniform integer in [0, max], for max below 2^53 (amounts are capped far below it). */
function upTo(max: bigint, rng: Rng): bigint {
  if (max <= 0n) return 0n;
  const x = BigInt(Math.floor(rng() * (Number(max) + 1)));
  return x > max ? max : x < 0n ? 0n : x;
}

/**
 * The shares of `total` minor units among `count` people, in the order they will be handed out.
 *
 * `random` ("double mean"): one unit is set aside for each share; of the rest, each share but the last draws
 * uniformly between nothing and twice the mean of what is left, and the last takes what remains. Every share has
 * the same expected value (total / count); the order is then shuffled, so the late presser is not the one with the
 * widest spread. `equal`: total / count each, the remainder spread one minor unit at a time over the first shares.
 */
export function planRedPacket(total: bigint, count: number, mode: ShareMode, rng: Rng = cryptoRng): bigint[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SHARES)
    throw new RangeError(`a red packet has 1 to ${MAX_SHARES} shares, not ${count}`);
  if (total < BigInt(count)) throw new RangeError(`${total} minor units cannot make ${count} shares of at least 1`);
  const n = BigInt(count);
  if (mode === 'equal') {
    const base = total / n;
    const extra = total % n;
    return Array.from({ length: count }, (_, i) => base + (BigInt(i) < extra ? 1n : 0n));
  }
  const shares: bigint[] = [];
  let spare = total - n;
  for (let left = count; left > 1; left--) {
    const x = upTo((2n * spare) / BigInt(left), rng);
    const take = x > spare ? spare : x;
    shares.push(1n + take);
    spare -= take;
  }
  shares.push(1n + spare);
  // Fisher–Yates: the draw order says nothing about who gets which share.
  for (let i = shares.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const k = j > i ? i : j;
    [shares[i], shares[k]] = [shares[k] as bigint, shares[i] as bigint];
  }
  return shares;
}
