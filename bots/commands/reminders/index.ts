/** "Stop reminding me": the button every reminder carries. */
import { onPress, type Feature } from '../spec.js';
import { renderMuteOutcome } from './render.js';

export const reminders = { commands: [], presses: [onPress('reminder.mute', renderMuteOutcome)] } satisfies Feature;
