import { describe, expect, it } from 'vitest';
import { mergeRun } from './merge.js';

const part = (text: string, key = 'thread:') => ({ text, key });

describe('merging waiting texts', () => {
  it('joins the run of texts at the head of the queue with a blank line', () => {
    expect(mergeRun([part('a'), part('b'), part('c')])).toEqual({ count: 3, text: 'a\n\nb\n\nc' });
  });

  it('stops at a message that is not mergeable, so nothing behind it jumps ahead', () => {
    expect(mergeRun([part('a'), part('b'), undefined, part('c')])).toEqual({ count: 2, text: 'a\n\nb' });
    expect(mergeRun([undefined, part('a')])).toBeUndefined();
  });

  it('stops at a text for another forum topic', () => {
    expect(mergeRun([part('a'), part('b', 'thread:7'), part('c')])).toEqual({ count: 1, text: 'a' });
  });

  it('never makes a text longer than one message', () => {
    const long = 'x'.repeat(2_047); // two of them and the blank line: exactly 4096
    expect(mergeRun([part(long), part(long), part('y')])).toEqual({ count: 2, text: `${long}\n\n${long}` });
    expect(mergeRun([part(long), part(long)], 4_095)).toEqual({ count: 1, text: long });
    expect(mergeRun([part('x'.repeat(5_000)), part('y')])).toEqual({ count: 1, text: 'x'.repeat(5_000) });
  });
});
