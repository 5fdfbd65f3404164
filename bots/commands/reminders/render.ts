import type { MuteOutcome } from '../../../core/index.js';
import { message, type Reader } from '../render.js';
import type { OutMessage } from '../types.js';

export function renderMuteOutcome(reader: Reader, outcome: MuteOutcome): OutMessage {
  return outcome.type === 'muted' ? message(reader, 'reminder.muted') : message(reader, 'error.UnknownThread');
}

/** /schedules: one line each, newest first. */
