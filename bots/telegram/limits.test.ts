import { describe, expect, it } from 'vitest';
import { RollingWindow } from './limits.js';

describe('a rolling window', () => {
  it('lets a burst up to the limit through, then waits until the oldest send leaves the window', () => {
    const w = new RollingWindow(3, 1_000);
    for (const t of [0, 10, 20]) {
      expect(w.nextFree(t)).toBe(t);
      w.record(t);
    }
    expect(w.nextFree(30)).toBe(1_000);
    expect(w.nextFree(1_000)).toBe(1_000);
    w.record(1_000);
    expect(w.nextFree(1_001)).toBe(1_010);
  });

  it('never allows more than the limit in any window, whatever the request times', () => {
    const w = new RollingWindow(20, 60_000, 0);
    const sent: number[] = [];
    let t = 0;
    for (let i = 0; i < 200; i++) {
      t = w.nextFree(t + Math.floor(Math.random() * 2_000));
      w.record(t);
      sent.push(t);
    }
    for (const start of sent)
      expect(sent.filter((s) => s >= start && s < start + 60_000).length).toBeLessThanOrEqual(20);
  });

  it('keeps a send in flight counted until its response, then a full window after it', () => {
    const w = new RollingWindow(1, 1_000);
    const hit = w.record(0, true);
    expect(w.nextFree(5_000)).toBe(Infinity); // no response yet: Telegram may count it any moment
    w.settle(hit, 300); // the response came at 300: it arrived at Telegram no later than that
    expect(w.nextFree(500)).toBe(1_300);
    expect(w.nextFree(1_300)).toBe(1_300);
  });

  it('widens the window by the safety margin', () => {
    const w = new RollingWindow(1, 1_000, 50);
    w.record(0);
    expect(w.nextFree(500)).toBe(1_050);
  });

  it('forgets sends older than the window', () => {
    const w = new RollingWindow(1, 100);
    w.record(0);
    expect(w.isEmpty(50)).toBe(false);
    expect(w.isEmpty(100)).toBe(true);
  });
});
