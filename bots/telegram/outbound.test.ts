import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLog } from '../../core/log.js';
import { createOutbound, OutboundClosedError, type OutboundOptions } from './outbound.js';
import { TELEGRAM_LIMITS } from './limits.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const tooMany = (retryAfter: number) =>
  Object.assign(new Error(`429: Too Many Requests: retry after ${retryAfter}`), {
    response: { error_code: 429, description: 'Too Many Requests', parameters: { retry_after: retryAfter } },
  });

/** A sender whose calls record (chat, time) and resolve at once. */
function recorder(options: Partial<OutboundOptions> = {}) {
  const sent: Array<{ chat: string; at: number; label: string }> = [];
  const outbound = createOutbound({ log: silentLog, safetyMs: 0, ...options });
  const send = (chat: string, label = '') =>
    outbound.send(chat, (target) => {
      sent.push({ chat: target, at: Date.now(), label });
      return Promise.resolve(label);
    });
  return { outbound, sent, send };
}

const maxInWindow = (times: number[], windowMs: number) =>
  Math.max(0, ...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length));

describe('the outbound sender', () => {
  it('a message whose sender gives up while it waits for its turn is never sent; the chat goes on', async () => {
    const { outbound, sent, send } = recorder();
    const first = send('42', 'a');
    const controller = new AbortController();
    const withdrawn = outbound.send(
      '42',
      (target) => {
        sent.push({ chat: target, at: Date.now(), label: 'b' });
        return Promise.resolve('b');
      },
      controller.signal,
    );
    const third = send('42', 'c');
    await vi.advanceTimersByTimeAsync(500);
    controller.abort(new Error('gave up'));
    await expect(withdrawn).rejects.toThrow('gave up');
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(Promise.all([first, third])).resolves.toEqual(['a', 'c']);
    expect(sent.map((s) => [s.label, s.at])).toEqual([
      ['a', 0],
      ['c', 1_000],
    ]);
  });

  it('a message already on its way when its sender gives up is sent, and its result comes back', async () => {
    const { outbound, sent } = recorder();
    const controller = new AbortController();
    let answer: (id: string) => void = () => undefined;
    const onItsWay = outbound.send(
      '42',
      (target) => {
        sent.push({ chat: target, at: Date.now(), label: 'a' });
        return new Promise<string>((resolve) => {
          answer = resolve;
        });
      },
      controller.signal,
    );
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error('gave up'));
    answer('message 7');
    await expect(onItsWay).resolves.toBe('message 7');
    expect(sent).toHaveLength(1);
  });

  it('sends one message a second to a chat, in order', async () => {
    const { sent, send } = recorder();
    const done = Promise.all(['a', 'b', 'c'].map((label) => send('42', label)));
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(done).resolves.toEqual(['a', 'b', 'c']);
    expect(sent.map((s) => [s.label, s.at])).toEqual([
      ['a', 0],
      ['b', 1_000],
      ['c', 2_000],
    ]);
  });

  it('adds the safety margin to every window', async () => {
    const { sent, send } = recorder({ safetyMs: 50 });
    void send('42');
    void send('42');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sent.map((s) => s.at)).toEqual([0, 1_050]);
  });

  it('keeps a group within 20 messages a minute', async () => {
    const { sent, send } = recorder();
    const all = Promise.all(Array.from({ length: 45 }, () => send('-100')));
    await vi.advanceTimersByTimeAsync(200_000);
    await all;
    const times = sent.map((s) => s.at);
    expect(maxInWindow(times, 60_000)).toBe(20);
    expect(maxInWindow(times, 1_000)).toBe(1);
    expect(times[20]).toBeGreaterThanOrEqual(60_000);
  });

  it('keeps everything within 30 messages a second, and serves chats round-robin', async () => {
    const { sent, send } = recorder();
    // One busy chat first, then 40 chats with one message each: the busy chat must not starve them.
    const busy = Array.from({ length: 5 }, (_, i) => send('1', `busy${i}`));
    const others = Array.from({ length: 40 }, (_, i) => send(String(100 + i)));
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all([...busy, ...others]);
    expect(
      maxInWindow(
        sent.map((s) => s.at),
        1_000,
      ),
    ).toBe(30);
    expect(sent.filter((s) => s.at === 0).length).toBe(30);
    expect(sent.filter((s) => s.chat !== '1').every((s) => s.at <= 1_000)).toBe(true);
  });

  it('spaces sends by a full window after each response, so slow responses cannot bunch arrivals', async () => {
    const outbound = createOutbound({ log: silentLog, safetyMs: 0 });
    const started: number[] = [];
    const slow = () => {
      started.push(Date.now());
      return new Promise<string>((resolve) => setTimeout(() => resolve('ok'), 400));
    };
    const both = Promise.all([outbound.send('42', slow), outbound.send('42', slow)]);
    await vi.advanceTimersByTimeAsync(5_000);
    await both;
    expect(started).toEqual([0, 1_400]);
  });

  it('waits retry_after on a 429 and repeats the same call', async () => {
    const outbound = createOutbound({ log: silentLog, safetyMs: 0 });
    const calls: number[] = [];
    const result = outbound.send('42', () => {
      calls.push(Date.now());
      return calls.length === 1 ? Promise.reject(tooMany(3)) : Promise.resolve('ok');
    });
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(result).resolves.toBe('ok');
    expect(calls).toEqual([0, 3_000]);
    expect(outbound.stats()).toMatchObject({ sent: 1, rateLimited: 1, failed: 0 });
  });

  it('gives up after a bounded number of 429s, and at once on a flood wait longer than allowed', async () => {
    const outbound = createOutbound({ log: silentLog, safetyMs: 0, maxAttempts: 3, maxRetryAfterMs: 60_000 });
    let calls = 0;
    const always = outbound.send('42', () => {
      calls++;
      return Promise.reject(tooMany(1));
    });
    const expectation = expect(always).rejects.toMatchObject({ response: { error_code: 429 } });
    await vi.advanceTimersByTimeAsync(10_000);
    await expectation;
    expect(calls).toBe(3);

    const flood = outbound.send('43', () => Promise.reject(tooMany(74_447)));
    const floodExpectation = expect(flood).rejects.toMatchObject({ response: { error_code: 429 } });
    await vi.advanceTimersByTimeAsync(10);
    await floodExpectation;
  });

  it('does not retry other failures', async () => {
    const outbound = createOutbound({ log: silentLog });
    let calls = 0;
    const forbidden = Object.assign(new Error('403'), { response: { error_code: 403, description: 'Forbidden' } });
    const r = outbound.send('42', () => {
      calls++;
      return Promise.reject(forbidden);
    });
    await expect(r).rejects.toBe(forbidden);
    expect(calls).toBe(1);
  });

  it('resends once to the new id when a group became a supergroup (C8)', async () => {
    const outbound = createOutbound({ log: silentLog, safetyMs: 0 });
    const targets: string[] = [];
    const migrated = Object.assign(new Error('400'), {
      response: { error_code: 400, description: 'group upgraded', parameters: { migrate_to_chat_id: -1009876 } },
    });
    const r = outbound.send('-55', (chat) => {
      targets.push(chat);
      return chat === '-55' ? Promise.reject(migrated) : Promise.resolve('sent');
    });
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(r).resolves.toBe('sent');
    expect(targets).toEqual(['-55', '-1009876']);
  });

  it('rejects what is still queued when closed', async () => {
    const { outbound, send } = recorder();
    const first = send('42', 'first');
    const second = send('42', 'second');
    outbound.close();
    await expect(first).resolves.toBe('first');
    await expect(second).rejects.toBeInstanceOf(OutboundClosedError);
    await expect(send('42')).rejects.toBeInstanceOf(OutboundClosedError);
  });

  describe('texts waiting for a group', () => {
    /** Texts through `sendText` (mergeable), buttons through `send`; each call records its chat, text and time. */
    function texts(options: Partial<OutboundOptions> = {}) {
      const sent: Array<{ chat: string; at: number; text: string }> = [];
      const outbound = createOutbound({ log: silentLog, safetyMs: 0, ...options });
      const post = (chat: string, text: string) => {
        sent.push({ chat, at: Date.now(), text });
        return Promise.resolve(`message ${sent.length}`);
      };
      const text = (chat: string, t: string) =>
        outbound.sendText(chat, { text: t, key: 'thread:' }, (target, merged) => post(target, merged));
      const withButtons = (chat: string, t: string) => outbound.send(chat, (target) => post(target, t));
      return { outbound, sent, text, withButtons };
    }

    it('go out as one message, in order, and every caller gets that message', async () => {
      const { outbound, sent, text } = texts();
      const results = Promise.all(['a', 'b', 'c', 'd', 'e'].map((t) => text('-100', t)));
      await vi.advanceTimersByTimeAsync(5_000);
      // The first goes at once; the rest waited for the chat and went out together.
      expect(sent.map((s) => [s.text, s.at])).toEqual([
        ['a', 0],
        ['b\n\nc\n\nd\n\ne', 1_000],
      ]);
      await expect(results).resolves.toEqual(['message 1', 'message 2', 'message 2', 'message 2', 'message 2']);
      expect(outbound.stats()).toMatchObject({ sent: 2, merged: 3, failed: 0, queued: 0 });
    });

    it('40 replies waiting for a group budget cost a few messages instead of two minutes', async () => {
      const { sent, text } = texts();
      const all = Promise.all(Array.from({ length: 40 }, (_, i) => text('-100', `paid ${i + 1}`)));
      await vi.advanceTimersByTimeAsync(3_000);
      await all;
      expect(sent.length).toBe(2);
      expect(sent.flatMap((s) => s.text.split('\n\n'))).toEqual(Array.from({ length: 40 }, (_, i) => `paid ${i + 1}`));
    });

    it('never merge a message with buttons, which keeps its place in the queue', async () => {
      const { sent, text, withButtons } = texts();
      const all = Promise.all([
        text('-100', 'a'),
        text('-100', 'b'),
        withButtons('-100', 'X'),
        text('-100', 'c'),
        text('-100', 'd'),
      ]);
      await vi.advanceTimersByTimeAsync(5_000);
      await expect(all).resolves.toEqual(['message 1', 'message 2', 'message 3', 'message 4', 'message 4']);
      expect(sent.map((s) => s.text)).toEqual(['a', 'b', 'X', 'c\n\nd']);
    });

    it('stay within one message of 4096 characters', async () => {
      const { sent, text } = texts();
      const long = (c: string) => c.repeat(2_047);
      const all = Promise.all([text('-100', 'a'), text('-100', long('b')), text('-100', long('c')), text('-100', 'd')]);
      await vi.advanceTimersByTimeAsync(5_000);
      await all;
      expect(sent.map((s) => s.text)).toEqual(['a', `${long('b')}\n\n${long('c')}`, 'd']);
      expect(Math.max(...sent.map((s) => s.text.length))).toBeLessThanOrEqual(4_096);
    });

    it('are not merged in a private chat, nor when merging is off', async () => {
      const { sent, text } = texts();
      const mine = Promise.all(['a', 'b', 'c'].map((t) => text('42', t)));
      await vi.advanceTimersByTimeAsync(5_000);
      await mine;
      expect(sent.map((s) => s.text)).toEqual(['a', 'b', 'c']);

      const off = texts({ mergeGroupTexts: false });
      const group = Promise.all(['a', 'b', 'c'].map((t) => off.text('-100', t)));
      await vi.advanceTimersByTimeAsync(5_000);
      await group;
      expect(off.sent.map((s) => s.text)).toEqual(['a', 'b', 'c']);
    });

    it('a merged message refused with 429 is sent again, with what joined the queue meanwhile, and resolves everyone', async () => {
      const outbound = createOutbound({ log: silentLog, safetyMs: 0 });
      const calls: string[] = [];
      const compose = (_target: string, merged: string) => {
        calls.push(merged);
        return calls.length === 2 ? Promise.reject(tooMany(2)) : Promise.resolve(`sent ${calls.length}`);
      };
      const first = ['a', 'b', 'c'].map((t) => outbound.sendText('-100', { text: t, key: 'thread:' }, compose));
      await vi.advanceTimersByTimeAsync(1_500); // 'a' sent; 'b' and 'c' merged and refused
      const late = outbound.sendText('-100', { text: 'd', key: 'thread:' }, compose);
      await vi.advanceTimersByTimeAsync(5_000);
      await expect(Promise.all([...first, late])).resolves.toEqual(['sent 1', 'sent 3', 'sent 3', 'sent 3']);
      expect(calls).toEqual(['a', 'b\n\nc', 'b\n\nc\n\nd']);
    });

    it('rejects every merged caller when the message cannot be sent', async () => {
      const outbound = createOutbound({ log: silentLog, safetyMs: 0 });
      const forbidden = Object.assign(new Error('403'), { response: { error_code: 403, description: 'Forbidden' } });
      let calls = 0;
      const compose = () => (++calls === 1 ? Promise.resolve('ok') : Promise.reject(forbidden));
      const all = ['a', 'b', 'c'].map((t) => outbound.sendText('-100', { text: t, key: 'thread:' }, compose));
      const settled = Promise.allSettled(all);
      await vi.advanceTimersByTimeAsync(5_000);
      expect((await settled).map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
      expect(calls).toBe(2);
    });
  });

  it('uses the Bots FAQ limits by default', () => {
    expect(TELEGRAM_LIMITS).toEqual({
      perChat: { limit: 1, windowMs: 1_000 },
      perGroup: { limit: 20, windowMs: 60_000 },
      global: { limit: 30, windowMs: 1_000 },
    });
  });
});
