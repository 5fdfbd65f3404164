/**
 * `/iou @name 50 friday` (lend; the borrower confirms with one tap), `/iou show|extend|forgive|nudge <id>`,
 * `/repay @name 20`, `/ious`. Private answers: an IOU is between two people.
 */
import {
  BORROW_FUND,
  BORROW_LEND,
  BORROW_REASK,
  IOU_CONFIRM,
  IOU_EXTEND_ACCEPT,
  IOU_EXTEND_REFUSE,
  IOU_REPAY,
  SETTLE_APPROVE,
} from '../../../core/index.js';
import { recipientOf } from '../grammar/index.js';
import {
  AMOUNT,
  NOTE,
  USER,
  bare,
  onPress,
  type DirectSpec,
  type Feature,
  type OnceSpec,
  type OptionSpec,
} from '../spec.js';
import { renderBorrow, renderFunded, renderReasked } from './borrow.js';
import {
  BORROW_FRIEND_OPTIONS,
  parseBorrow,
  parseIou,
  parseLendToAsk,
  parseRepay,
  type BorrowCommand,
  type IouCommand,
  type LendToAskCommand,
  type RepayCommand,
} from './grammar.js';
import { renderApproved, renderSettle } from './settle.js';
import {
  renderConfirmed,
  renderExtendAnswer,
  renderExtendAsked,
  renderForgiven,
  renderIous,
  renderNudged,
  renderOffered,
  renderRepaid,
  renderShown,
} from './render.js';

const ID: OptionSpec = { name: 'id', kind: 'integer', descriptionKey: 'discord.options.id', required: true, min: 1 };
const DUE: OptionSpec = { name: 'due', kind: 'string', descriptionKey: 'discord.options.due', required: true };

const iou: OnceSpec<IouCommand> = {
  name: 'iou',
  example: '/iou @alice 20 friday dinner',
  private: true,
  once: true,
  discord: {
    subcommands: [
      {
        name: 'lend',
        descriptionKey: 'discord.iou.lend',
        options: [
          USER,
          AMOUNT,
          DUE,
          NOTE,
          { name: 'record', kind: 'boolean', descriptionKey: 'discord.options.record' },
        ],
      },
      { name: 'show', descriptionKey: 'discord.iou.show', options: [ID] },
      {
        name: 'extend',
        descriptionKey: 'discord.iou.extend',
        options: [ID, { name: 'date', kind: 'string', descriptionKey: 'discord.options.date', required: true }],
      },
      { name: 'forgive', descriptionKey: 'discord.iou.forgive', options: [ID, { ...AMOUNT, required: false }] },
      { name: 'nudge', descriptionKey: 'discord.iou.nudge', options: [ID] },
    ],
  },
  parse: parseIou,
  async run(tx, ctx, command) {
    const { core, person, reader } = ctx;
    switch (command.action) {
      case 'lend': {
        const outcome = await core.ious.offer(tx, {
          key: ctx.event.key,
          lender: person,
          borrower: recipientOf(command.borrower, ctx.event),
          amount: command.amount,
          note: command.note ?? null,
          due: command.due,
          timeZone: reader.timeZone,
          record: command.record,
          chat: ctx.chat,
        });
        return { outcome, message: renderOffered(reader, outcome, person.displayName) };
      }
      case 'show': {
        const view = await core.ious.show(tx, person.id, command.id);
        const outcome = view === 'IouNotFound' ? { type: 'rejected', error: view } : { type: 'shown' };
        return { outcome, message: renderShown(reader, view) };
      }
      case 'extend': {
        const outcome = await core.ious.extend(tx, { person, iouId: command.id, due: command.due });
        return { outcome, message: renderExtendAsked(reader, outcome) };
      }
      case 'forgive': {
        const input = { person, iouId: command.id };
        const outcome = await core.ious.forgive(tx, command.amount ? { ...input, amount: command.amount } : input);
        return { outcome, message: renderForgiven(reader, outcome) };
      }
      case 'nudge': {
        const outcome = await core.ious.nudge(tx, { person, iouId: command.id });
        return { outcome, message: renderNudged(reader, outcome) };
      }
    }
  },
};

const repay: OnceSpec<RepayCommand> = {
  name: 'repay',
  example: '/repay @alice 10',
  private: true,
  once: true,
  discord: { options: [USER, AMOUNT] },
  parse: parseRepay,
  async run(tx, ctx, command) {
    const outcome = await ctx.core.ious.repay(tx, {
      key: ctx.event.key,
      borrower: ctx.person,
      lender: recipientOf(command.lender, ctx.event),
      amount: command.amount,
      chat: ctx.chat,
    });
    return { outcome, message: renderRepaid(ctx.reader, outcome) };
  },
};

const ious: DirectSpec<{ name: 'ious' }> = {
  ...bare('ious'),
  private: true,
  async run(ctx) {
    return renderIous(ctx.reader, await ctx.core.ious.list(ctx.core.db, ctx.person.id));
  },
};

/** `/settle` in a group: the plan and its Approve buttons, in the chat for everyone to see. */
const settle: OnceSpec<{ name: 'settle' }> = {
  ...bare('settle'),
  once: true,
  async run(tx, ctx) {
    const outcome = await ctx.core.settleUp.create(tx, {
      key: ctx.event.key,
      requester: ctx.person,
      chat: { ...ctx.chat, kind: ctx.event.chat.kind },
    });
    return { outcome, message: renderSettle(ctx.reader, outcome) };
  },
};

/**
 * `/borrow 50 friday rent` in a group: the card with the borrower's record, kept up to date as friends lend all or
 * half with a tap. `/borrow 50 friday rent @ann @ben` (anywhere, a DM too): each named friend is asked in a DM with
 * buttons only they can press, and only they may lend; the chat sees no buttons, the reply names who was asked.
 */
const borrow: OnceSpec<BorrowCommand> = {
  name: 'borrow',
  example: '/borrow 50 friday rent',
  once: true,
  discord: {
    options: [
      AMOUNT,
      DUE,
      NOTE,
      ...BORROW_FRIEND_OPTIONS.map((name): OptionSpec => ({
        name,
        kind: 'user',
        descriptionKey: 'discord.options.friend',
      })),
    ],
  },
  parse: parseBorrow,
  async run(tx, ctx, command) {
    const outcome = await ctx.core.borrow.ask(tx, {
      key: ctx.event.key,
      borrower: ctx.person,
      amount: command.amount,
      due: command.due,
      timeZone: ctx.reader.timeZone,
      note: command.note ?? null,
      chat: { ...ctx.chat, kind: ctx.event.chat.kind },
      locale: ctx.reader.locale,
      friends: command.friends.map((who) => recipientOf(who, ctx.event)),
    });
    const message = renderBorrow(ctx.reader, outcome);
    if (outcome.type !== 'asked' || !outcome.card) return { outcome, message };
    return { outcome, message, live: { ref: outcome.card.ref, version: outcome.card.version.toString() } };
  },
};

/** `/lend 12 20`: a custom part of borrow ask #12, an IOU at once (the buttons lend all or half). */
const lend: OnceSpec<LendToAskCommand> = {
  name: 'lend',
  example: '/lend 12 20',
  once: true,
  discord: { options: [ID, AMOUNT] },
  parse: parseLendToAsk,
  async run(tx, ctx, command) {
    const outcome = await ctx.core.borrow.fund(tx, {
      askId: command.askId,
      lender: ctx.person.id,
      amount: command.amount,
    });
    return { outcome, message: renderFunded(ctx.reader, outcome) };
  },
};

export const lending = {
  commands: [iou, repay, ious, settle, borrow, lend],
  presses: [
    onPress(IOU_CONFIRM, renderConfirmed),
    onPress(IOU_REPAY, renderRepaid),
    onPress(IOU_EXTEND_ACCEPT, renderExtendAnswer),
    onPress(IOU_EXTEND_REFUSE, renderExtendAnswer),
    onPress(SETTLE_APPROVE, renderApproved),
    onPress(BORROW_FUND, renderFunded),
    onPress(BORROW_LEND, renderFunded),
    onPress(BORROW_REASK, renderReasked),
  ],
} satisfies Feature;
