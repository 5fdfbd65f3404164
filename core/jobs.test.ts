import { describe, expect, it } from 'vitest';
import { TEST_CONFIG } from '../test/support/core.js';
import { createCore } from './index.js';
import { createTimedHandlers, InvalidJobPayload, TIMED_KINDS } from './jobs.js';
import type { Json } from './db/wire.js';
import type { Db } from './db/executor.js';

describe('timed handlers', () => {
  // Built as the app builds them; these tests never reach the database.
  const handlers = createCore({ db: {} as Db, config: TEST_CONFIG }).timed;
  it('cover every timed kind', () => {
    expect(Object.keys(handlers).sort()).toEqual([...TIMED_KINDS].sort());
  });

  it('a declared kind without a handler is refused when the core is built', () => {
    const { 'claim.expire': _dropped, ...rest } = handlers;
    expect(() => createTimedHandlers(rest)).toThrow('no handler for timed kinds claim.expire');
  });

  it('refuse a malformed payload without touching anything', async () => {
    const job = { key: 'claim.expire:x:1', dueAt: new Date() };
    const payloads: Json[] = [null, {}, { claimId: 5 }, { claimId: '1; DROP' }, ['1']];
    for (const payload of payloads) {
      await expect(handlers['claim.expire']({} as Db, payload, job)).rejects.toBeInstanceOf(InvalidJobPayload);
    }
    await expect(handlers['request.expire']({} as Db, { claimId: '1' }, job)).rejects.toBeInstanceOf(InvalidJobPayload);
    const run = { key: 'schedule.run:1:1', dueAt: new Date() };
    const bad: Json[] = [{ scheduleId: '1' }, { scheduleId: '1', n: '0' }, { scheduleId: '1', n: '1', try: 'x' }];
    for (const payload of bad)
      await expect(handlers['schedule.run']({} as Db, payload, run)).rejects.toBeInstanceOf(InvalidJobPayload);
    const sweep = { key: 'link.sweep:1', dueAt: new Date() };
    for (const payload of [{ from: '1' }, { from: '1', to: 'x' }] as Json[])
      await expect(handlers['link.sweep']({} as Db, payload, sweep)).rejects.toBeInstanceOf(InvalidJobPayload);
  });
});
