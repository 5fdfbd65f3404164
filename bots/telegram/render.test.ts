import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { answerText, inlineKeyboard, MAX_MESSAGE_LENGTH, splitText } from './render.js';

describe('splitting long texts (T10, C4)', () => {
  it('leaves a text within the limit alone', () => {
    expect(splitText('hello')).toEqual(['hello']);
    expect(splitText('x'.repeat(MAX_MESSAGE_LENGTH))).toEqual(['x'.repeat(MAX_MESSAGE_LENGTH)]);
  });

  it('cuts at line breaks when it can', () => {
    const line = `${'a'.repeat(99)}\n`;
    const pieces = splitText(line.repeat(100)); // 10,000 characters
    expect(pieces.length).toBe(3);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
      expect(piece.endsWith('\n')).toBe(true);
    }
  });

  it('never loses or reorders a character, never exceeds the limit, never cuts a surrogate pair', () => {
    const text = fc
      .array(fc.constantFrom('a', ' ', '\n', '😀', '中', 'é'), { maxLength: 12_000 })
      .map((a) => a.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 4, max: 300 }), (t, max) => {
        const pieces = splitText(t, max);
        for (const p of pieces) {
          expect(p.length).toBeLessThanOrEqual(max);
          expect(p.trim()).not.toBe('');
          expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(p)).toBe(false);
        }
        expect(pieces.join('').replace(/\s/g, '')).toBe(t.replace(/\s/g, ''));
      }),
      { numRuns: 300 },
    );
  });
});

describe('buttons', () => {
  it('become an inline keyboard whose callback_data is the action id', () => {
    expect(
      inlineKeyboard([
        [
          { label: 'Pay', actionId: 'act:abc' },
          { label: 'Decline', actionId: 'act:def' },
        ],
      ]),
    ).toEqual({
      inline_keyboard: [
        [
          { text: 'Pay', callback_data: 'act:abc' },
          { text: 'Decline', callback_data: 'act:def' },
        ],
      ],
    });
  });

  it('refuse an action id over 64 bytes, counted in UTF-8 (C5)', () => {
    expect(() => inlineKeyboard([[{ label: 'ok', actionId: 'x'.repeat(64) }]])).not.toThrow();
    expect(() => inlineKeyboard([[{ label: 'ok', actionId: 'x'.repeat(65) }]])).toThrow(RangeError);
    expect(() => inlineKeyboard([[{ label: 'ok', actionId: '中'.repeat(22) }]])).toThrow(RangeError); // 66 bytes
    expect(() => inlineKeyboard([[{ label: 'ok', actionId: '' }]])).toThrow(RangeError);
  });
});

describe('link buttons', () => {
  it('open their page (a url, no callback data) beside action buttons', () => {
    expect(
      inlineKeyboard([
        [{ label: 'Pay 20.00 USD by card', url: 'https://checkout.stripe.com/c/pay/cs_1' }],
        [{ label: 'Undo', actionId: 'a1' }],
      ]),
    ).toEqual({
      inline_keyboard: [
        [{ text: 'Pay 20.00 USD by card', url: 'https://checkout.stripe.com/c/pay/cs_1' }],
        [{ text: 'Undo', callback_data: 'a1' }],
      ],
    });
  });
});

describe('callback answers', () => {
  it('are cut to 200 characters', () => {
    expect(answerText(undefined)).toBeUndefined();
    expect(answerText('')).toBeUndefined();
    expect(answerText('done')).toBe('done');
    const long = answerText('x'.repeat(300));
    expect(long?.length).toBe(200);
    expect(long?.endsWith('…')).toBe(true);
  });
});
