import { describe, expect, it } from 'vitest';
import { DEFAULT_WITHDRAW_FEE, withdrawFee } from './payouts.js';

describe('withdrawFee', () => {
  const usd = (minor: bigint) => ({ minor, currency: 'USD' });

  it('is 25 minor units plus 0.25 % rounded up by default', () => {
    expect(DEFAULT_WITHDRAW_FEE).toEqual({ fixedMinor: 25n, basisPoints: 25 });
    expect(withdrawFee(usd(100_00n))).toEqual(usd(50n));
    expect(withdrawFee(usd(50_00n))).toEqual(usd(38n));
    expect(withdrawFee(usd(1n))).toEqual(usd(26n));
  });

  it('follows the configured policy, with integer arithmetic only', () => {
    expect(withdrawFee(usd(99_99n), { fixedMinor: 0n, basisPoints: 0 })).toEqual(usd(0n));
    expect(withdrawFee(usd(10n ** 15n), { fixedMinor: 0n, basisPoints: 1 })).toEqual(usd(10n ** 11n));
    expect(withdrawFee({ minor: 1000n, currency: 'JPY' }, { fixedMinor: 30n, basisPoints: 100 })).toEqual({
      minor: 40n,
      currency: 'JPY',
    });
  });
});
