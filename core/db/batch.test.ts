import { describe, expect, it } from 'vitest';
import { createBatcher } from './batch.js';

describe('group commit (createBatcher)', () => {
  it('serves callers arriving together with one call, each getting its own result in order', async () => {
    const calls: number[][] = [];
    const batcher = createBatcher((inputs: number[]) => {
      calls.push(inputs);
      return Promise.resolve(inputs.map((n) => n * 10));
    });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.push(n)));
    expect(results).toEqual([10, 20, 30]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('gathers callers arriving while a call runs into the next call, never more than maxBatch at once', async () => {
    const calls: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = createBatcher(
      async (inputs: number[]) => {
        calls.push(inputs);
        if (calls.length === 1) await gate;
        return inputs;
      },
      { maxBatch: 2 },
    );
    const first = batcher.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((n) => batcher.push(n));
    release();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4]);
    expect(calls).toEqual([[1], [2, 3], [4]]);
    await batcher.drain();
  });

  it('fails every caller of a failed call, and the next call runs normally', async () => {
    let fail = true;
    const batcher = createBatcher((inputs: string[]) =>
      fail ? Promise.reject(new Error('database down')) : Promise.resolve(inputs.map((s) => s.toUpperCase())),
    );
    const failed = await Promise.allSettled([batcher.push('a'), batcher.push('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batcher.push('c')).toBe('C');
  });

  it('refuses a call that returns the wrong number of results', async () => {
    const batcher = createBatcher((inputs: number[]) => Promise.resolve(inputs.slice(1)));
    await expect(batcher.push(1)).rejects.toThrow('batch of 1 got 0 results');
  });
});
