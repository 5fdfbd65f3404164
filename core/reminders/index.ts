export * from './policy.js';
export { MUTE_BUTTON_TTL_MS, isMuted, muteButton, muteThread, pressMute, type MuteOutcome } from './mute.js';
