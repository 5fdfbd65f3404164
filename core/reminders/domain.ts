import { defineDomain } from '../domain.js';
import { REMINDER_MUTE } from './mute.js';

/** Reminder policies: the "Stop reminding me" button. */
export const REMINDERS = defineDomain({ actions: [REMINDER_MUTE], templates: {}, jobs: {} });
