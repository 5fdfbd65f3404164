import type { Log } from '../log.js';
import { countFrom, defineJobs, idFrom, settle, type HandlersOf } from '../outbox/jobs.js';
import type { RedPackets } from './service.js';

/** A packet's deadline: the unclaimed rest goes back to its sender. */
export const REDPACKET_JOBS = defineJobs({
  'redpacket.expire': 'expiry',
  /** After the claims of a second commit: the card from the committed claims (and done when no share is left). */
  'redpacket.card': 'expiry',
});

export const redPacketJobs = (redpackets: RedPackets, log: Log): HandlersOf<typeof REDPACKET_JOBS> => ({
  'redpacket.expire': async (db, payload, job) =>
    settle(log, job, await redpackets.expire(db, idFrom(payload, 'packetId', job.key))),
  'redpacket.card': async (db, payload, job) =>
    settle(
      log,
      job,
      await redpackets.refresh(db, idFrom(payload, 'packetId', job.key), {
        bucket: idFrom(payload, 'bucket', job.key),
        round: countFrom(payload, 'round', job.key),
      }),
    ),
});
