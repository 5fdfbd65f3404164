import { defineDomain } from '../domain.js';
import { IOU_JOBS } from './jobs.js';
import { IOU_ACTIONS } from './model.js';
import { IOU_TEMPLATES } from './templates.js';

/** IOUs: the borrower's Confirm, Repay from a reminder, the lender's answer to a new date; the void and reminders. */
export const IOUS = defineDomain({ actions: IOU_ACTIONS, templates: IOU_TEMPLATES, jobs: IOU_JOBS });
