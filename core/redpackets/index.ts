export * from './model.js';
export { planRedPacket, cryptoRng, type Rng } from './plan.js';
export { ESCROW_SHARDS, createRedPackets, redPacketEscrow, type RedPackets, type RedPacketsDeps } from './service.js';
