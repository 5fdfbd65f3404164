/** What IOUs tell the borrower and the lender on their own. */
import { defineTemplates } from '../outbox/notify.js';

export const IOU_TEMPLATES = defineTemplates<{
  /** To a borrower: a loan offered (or recorded) to them, due on `due` (a day). Button: Confirm. */
  'iou.offered': { amount: string; from: string; due: string; note?: string };
  /** To a borrower: money recorded as lent outside chipin. Button: Confirm. */
  'iou.offered_record': { amount: string; from: string; due: string; note?: string };
  /** To a lender: the borrower confirmed (the money moved, for a loan). */
  'iou.confirmed': { amount: string; borrower: string; due: string; note?: string };
  /** To a lender: the borrower tried to confirm while the lender was short: nothing opened. */
  'iou.lender_short': { amount: string; borrower: string };
  /** To a lender: an offer was not confirmed in time. */
  'iou.voided': { amount: string; borrower: string };
  /** To a borrower: a reminder of an open IOU. Buttons: Repay all, Repay half, Stop reminding me. */
  'iou.reminder': { amount: string; lender: string; due: string; id: string; half: string; note?: string };
  /** To a borrower: the lender's own reminder (a nudge). Buttons: Repay all, Repay half. */
  'iou.nudge': { amount: string; lender: string; due: string; id: string; half: string };
  /** To a lender: a repayment came in. */
  'iou.repaid': { amount: string; borrower: string; outstanding: string };
  /** To a borrower: the lender forgave (part of) an IOU. */
  'iou.forgiven': { amount: string; lender: string; id: string; outstanding: string };
  /** To a lender: the borrower asks for a later due date. Buttons: Accept, Refuse. */
  'iou.extend_asked': { amount: string; borrower: string; id: string; due: string; from: string };
  /** To a borrower: the lender accepted the new date. */
  'iou.extended': { amount: string; lender: string; id: string; due: string };
  /** To a borrower: the lender refused the new date. */
  'iou.extend_refused': { amount: string; lender: string; id: string; due: string };
  /** To a borrower: a friend funded part of their ask (an IOU is open for it). */
  'borrow.funded': { amount: string; lender: string; funded: string; total: string };
  /** To a borrower: half their ask's time has gone, with what came in so far. */
  'borrow.halfway': { funded: string; total: string };
  /** To a borrower: their ask closed (fully funded or at its TTL) with this much in. */
  'borrow.closed': { funded: string; total: string };
  /** To a borrower: their ask expired short of the amount. Button: Ask others (a new ask for `rest`, same chat). */
  'borrow.expired': { funded: string; total: string; rest: string };
  /**
   * The ask's card in the chat, kept up to date as friends lend (a live message): `funded` of `amount` in, `rest`
   * still needed, the borrower's record at the time of the ask. Closed: `reason`. Buttons: Lend all, Lend half.
   */
  'borrow.card': {
    borrower: string;
    amount: string;
    due: string;
    id: string;
    funded: string;
    rest: string;
    onTime: string;
    late: string;
    open: string;
    note?: string;
    reason?: 'funded' | 'expired';
  };
  /** To a named friend: the borrower asks them, with the record. Buttons: Lend all, Lend half (theirs only). */
  'borrow.asked': {
    borrower: string;
    amount: string;
    due: string;
    id: string;
    onTime: string;
    late: string;
    open: string;
    note?: string;
  };
  /** In the ask's chat at half-time (posted by a worker): what is still needed, pointing at the card. */
  'borrow.halfway_chat': { borrower: string; id: string; funded: string; total: string; rest: string };
}>()({
  'iou.offered': { deferrable: false, buttons: ['button.confirm'] },
  'iou.offered_record': { deferrable: false, buttons: ['button.confirm'] },
  'iou.confirmed': { deferrable: false },
  'iou.lender_short': { deferrable: false },
  'iou.voided': { deferrable: true },
  'iou.reminder': { deferrable: true, buttons: ['button.repayAll', 'button.repayHalf', 'button.stopReminding'] },
  'iou.nudge': { deferrable: true, buttons: ['button.repayAll', 'button.repayHalf'] },
  'iou.repaid': { deferrable: false },
  'iou.forgiven': { deferrable: false },
  'iou.extend_asked': { deferrable: false, buttons: ['button.accept', 'button.refuse'] },
  'iou.extended': { deferrable: false },
  'iou.extend_refused': { deferrable: false },
  'borrow.funded': { deferrable: false },
  'borrow.halfway': { deferrable: true },
  'borrow.closed': { deferrable: false },
  'borrow.expired': { deferrable: false, buttons: ['button.askOthers'] },
  'borrow.card': { deferrable: false, buttons: ['borrow.fund_all', 'borrow.fund_half'] },
  'borrow.asked': { deferrable: false, buttons: ['borrow.fund_all', 'borrow.fund_half'] },
  'borrow.halfway_chat': { deferrable: false },
});
