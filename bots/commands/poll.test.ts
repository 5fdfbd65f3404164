import { describe, expect, it } from 'vitest';
import { pollAsButtons } from './poll.js';

const REF = 'AAAAAAAAAAAAAAAAAAAAAA';
const poll = (n: number) => ({
  type: 'poll' as const,
  question: 'Where?',
  options: Array.from({ length: n }, (_, i) => `Option ${i + 1}`),
  pollRef: REF,
});

describe('a poll shown as buttons', () => {
  it('has a button per option, carrying the vote and the option, one per row for a few options', () => {
    expect(pollAsButtons(poll(2))).toEqual({
      text: 'Where?',
      buttons: [[{ label: 'Option 1', actionId: `${REF}.0` }], [{ label: 'Option 2', actionId: `${REF}.1` }]],
    });
  });

  it('keeps to at most 5 rows of at most 5 buttons (Discord’s limits), options in order', () => {
    for (const n of [5, 6, 7, 11, 12]) {
      const rows = pollAsButtons(poll(n)).buttons ?? [];
      expect(rows.length).toBeLessThanOrEqual(5);
      expect(rows.every((row) => row.length >= 1 && row.length <= 5)).toBe(true);
      expect(rows.flat().map((b) => b.actionId)).toEqual(Array.from({ length: n }, (_, i) => `${REF}.${i}`));
    }
  });
});
