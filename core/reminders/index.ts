export * from './policy.js';
export {
  MUTE_BUTTON_TTL_MS,
  REMINDER_MUTE,
  isMuted,
  muteActions,
  muteButton,
  muteThread,
  pressMute,
  type MuteOutcome,
} from './mute.js';
