/** "Stop reminding me": the button every reminder carries. */
import { REMINDER_MUTE } from '../../../core/index.js';
import { onPress, type Feature } from '../spec.js';
import { renderMuteOutcome } from './render.js';

export const reminders = { commands: [], presses: [onPress(REMINDER_MUTE, renderMuteOutcome)] } satisfies Feature;
