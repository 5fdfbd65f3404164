/** `/collect` and `/split`: a group collection (群收款) with one live card, paid with one tap each. */
import {
  COLLECT_CLOSE,
  COLLECT_CONFIRM,
  COLLECT_PAY,
  COLLECT_REMIND,
  type CollectionSplit,
  type Tx,
} from '../../../core/index.js';
import { recipientOf, type Recipient } from '../grammar/index.js';
import {
  AMOUNT,
  NOTE,
  USER,
  onPress,
  type CommandContext,
  type Feature,
  type OnceSpec,
  type OptionSpec,
  type Outcome,
} from '../spec.js';
import { parseCollect, parseSplit, type CollectCommand, type SplitCommand } from './grammar.js';
import { renderCard, renderClose, renderExcused, renderPay, renderRemind } from './render.js';

const REASON: OptionSpec = { name: 'reason', kind: 'string', descriptionKey: 'discord.options.reason', required: true };
const SPLIT: OptionSpec = { name: 'split', kind: 'string', descriptionKey: 'discord.options.split' };
const INTO: OptionSpec = { name: 'into', kind: 'string', descriptionKey: 'discord.options.into' };
const named = (prefix: string, descriptionKey: OptionSpec['descriptionKey'], first: boolean): OptionSpec[] =>
  Array.from({ length: 8 }, (_, i) => ({
    name: `${prefix}${i + 1}`,
    kind: 'user' as const,
    descriptionKey,
    ...(first && i === 0 ? { required: true } : {}),
  }));

/** Opens the collection and posts its card as a live message. */
async function open(
  tx: Tx,
  ctx: CommandContext,
  ask: { reason: string; split: CollectionSplit; debtors: Recipient[]; fund?: string },
): Promise<Outcome> {
  const { core, event, person, reader } = ctx;
  const outcome = await core.collections.create(tx, {
    key: event.key,
    collector: person,
    chat: { ...ctx.chat, kind: event.chat.kind },
    reason: ask.reason,
    split: ask.split,
    reader,
    debtors: ask.debtors.map((who) => recipientOf(who, event)),
    ...(ask.fund !== undefined ? { fund: ask.fund } : {}),
  });
  const message = renderCard(reader, outcome);
  if (outcome.type === 'rejected') return { outcome, message };
  return { outcome, message, live: { ref: outcome.card.ref, version: outcome.card.version.toString() } };
}

const collect: OnceSpec<CollectCommand> = {
  name: 'collect',
  example: '/collect 20 class dues',
  once: true,
  discord: {
    subcommands: [
      {
        name: 'new',
        descriptionKey: 'discord.collect.new',
        options: [AMOUNT, REASON, SPLIT, INTO, ...named('user', 'discord.options.users', false)],
      },
      { name: 'excuse', descriptionKey: 'discord.collect.excuse', options: [USER] },
    ],
  },
  parse: parseCollect,
  async run(tx, ctx, command) {
    if (command.action === 'excuse') {
      const outcome = await ctx.core.collections.excuse(tx, {
        collector: ctx.person,
        chat: ctx.chat,
        who: recipientOf(command.who, ctx.event),
        ...(command.collectionId !== undefined ? { collectionId: BigInt(command.collectionId) } : {}),
      });
      return { outcome, message: renderExcused(ctx.reader, outcome) };
    }
    return open(tx, ctx, command);
  },
};

const split: OnceSpec<SplitCommand> = {
  name: 'split',
  example: '/split 60 dinner @ann @ben',
  once: true,
  discord: {
    options: [AMOUNT, { ...NOTE, required: true }, ...named('person', 'discord.options.people', true), INTO],
  },
  parse: parseSplit,
  run: (tx, ctx, command) =>
    open(tx, ctx, {
      reason: command.reason,
      split: { mode: 'bill', amount: command.amount },
      debtors: command.people,
      ...(command.fund !== undefined ? { fund: command.fund } : {}),
    }),
};

export const collections = {
  commands: [collect, split],
  presses: [
    onPress(COLLECT_PAY, renderPay),
    onPress(COLLECT_CONFIRM, renderPay),
    onPress(COLLECT_REMIND, renderRemind),
    onPress(COLLECT_CLOSE, renderClose),
  ],
} satisfies Feature;
