export * from './model.js';
export { planShares, cryptoRng, type Rng } from './plan.js';
export { createRedPackets, redPacketOwner, type RedPackets, type RedPacketsDeps } from './service.js';
