import { describe, expect, it } from 'vitest';
import { createTimedHandlers, InvalidJobPayload, TIMED_KINDS } from './jobs.js';
import type { Json } from './db/wire.js';
import type { Db } from './db/executor.js';
import type { Payments } from './payments/service.js';
import type { People } from './people/service.js';
import type { Requests } from './requests/service.js';
import type { Schedules } from './schedules/service.js';
import type { Funds } from './funds/service.js';
import type { Collections } from './collections/service.js';
import type { Borrow } from './ious/borrow.js';
import type { Ious } from './ious/service.js';
import type { RedPackets } from './redpackets/service.js';

describe('timed handlers', () => {
  const handlers = createTimedHandlers({
    people: {} as People,
    payments: {} as Payments,
    requests: {} as Requests,
    schedules: {} as Schedules,
    funds: {} as Funds,
    collections: {} as Collections,
    ious: {} as Ious,
    borrow: {} as Borrow,
    redpackets: {} as RedPackets,
  });
  it('cover every timed kind', () => {
    expect(Object.keys(handlers).sort()).toEqual([...TIMED_KINDS].sort());
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
