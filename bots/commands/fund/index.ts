/** `/fund …`: a group's shared money, spent only when its members vote for it. */
import { FUND_POT_BIND, type Person, type ResolveError, type Tx } from '../../../core/index.js';
import { recipientOf, type Recipient } from '../grammar/index.js';
import { renderCode } from '../render.js';
import {
  AMOUNT,
  NOTE,
  USER,
  onPress,
  type CommandContext,
  type Feature,
  type OnceSpec,
  type Outcome,
} from '../spec.js';
import { parseFund, type FundCommand } from './grammar.js';
import {
  renderAdded,
  renderClose,
  renderCreated,
  renderList,
  renderMembers,
  renderPotBound,
  renderShown,
  renderSpend,
} from './render.js';

const FUND_NAME = { name: 'fund', kind: 'string', descriptionKey: 'discord.options.fund', required: true } as const;
const UNTIL = { name: 'until', kind: 'string', descriptionKey: 'discord.options.until' } as const;
const QUORUM = { name: 'quorum', kind: 'string', descriptionKey: 'discord.options.quorum' } as const;
const BENEFICIARY = { ...USER, descriptionKey: 'discord.options.beneficiary', required: false } as const;

/** The person behind a mention or reply, or why there is none (a bot, an @username nobody here holds). */
async function personOf(tx: Tx, ctx: CommandContext, recipient: Recipient): Promise<Person | ResolveError> {
  const found = await ctx.core.people.resolve(tx, recipientOf(recipient, ctx.event));
  return typeof found === 'string' ? found : found.person;
}

const refused = (ctx: CommandContext, error: ResolveError): Outcome => ({
  outcome: { type: 'rejected', error },
  message: renderCode(ctx.reader, 'error', error),
});

const fund: OnceSpec<FundCommand> = {
  name: 'fund',
  example: '/fund new trip 500',
  once: true,
  discord: {
    subcommands: [
      {
        name: 'new',
        descriptionKey: 'discord.fund.new',
        options: [FUND_NAME, { ...AMOUNT, required: false }, BENEFICIARY, UNTIL, QUORUM],
      },
      { name: 'list', descriptionKey: 'discord.fund.list' },
      { name: 'show', descriptionKey: 'discord.fund.show', options: [FUND_NAME] },
      { name: 'add', descriptionKey: 'discord.fund.add', options: [FUND_NAME, AMOUNT, NOTE] },
      {
        name: 'members',
        descriptionKey: 'discord.fund.members',
        options: [
          FUND_NAME,
          { name: 'change', kind: 'string', descriptionKey: 'discord.options.change' },
          { ...USER, required: false },
        ],
      },
      { name: 'spend', descriptionKey: 'discord.fund.spend', options: [FUND_NAME, AMOUNT, USER, NOTE] },
      { name: 'close', descriptionKey: 'discord.fund.close', options: [FUND_NAME] },
    ],
  },
  parse: parseFund,
  async run(tx, ctx, command) {
    const { core, event, person, reader } = ctx;
    const chat = event.chat;
    switch (command.action) {
      case 'new': {
        const currency = command.target?.currency ?? ctx.config.defaultCurrency;
        const named = command.pot?.beneficiary;
        const found = named ? await personOf(tx, ctx, named) : undefined;
        // A pot for an @username nobody here holds yet waits for them (the creator confirms who it is when they
        // show up): as money sent to someone who has not started the bot.
        const beneficiary =
          found === 'UnknownRecipient' && named?.kind === 'username' ? { username: named.username } : found;
        if (typeof beneficiary === 'string') return refused(ctx, beneficiary);
        const outcome = await core.funds.create(tx, {
          key: event.key,
          creator: person,
          chat,
          name: command.fund,
          currency,
          ...(command.target ? { target: command.target } : {}),
          ...(command.quorumPct !== undefined ? { quorumPct: command.quorumPct } : {}),
          ...(command.pot && beneficiary ? { pot: { beneficiary, lockedUntil: command.pot.until } } : {}),
        });
        return { outcome, message: renderCreated(reader, outcome) };
      }
      case 'list':
        return { outcome: { type: 'list' }, message: renderList(reader, await core.funds.list(tx, chat)) };
      case 'show':
        return {
          outcome: { type: 'show' },
          message: renderShown(reader, await core.funds.show(tx, chat, command.fund)),
        };
      case 'add': {
        const input = { key: event.key, person, chat, name: command.fund, amount: command.amount };
        const outcome = await core.funds.add(tx, command.note ? { ...input, note: command.note } : input);
        return { outcome, message: renderAdded(reader, outcome) };
      }
      case 'members': {
        const change = command.change;
        const member = change ? await personOf(tx, ctx, change.member) : undefined;
        if (typeof member === 'string') return refused(ctx, member);
        const input = { person, chat, name: command.fund };
        const outcome = await core.funds.members(
          tx,
          change && member ? { ...input, change: { op: change.op, member } } : input,
        );
        return { outcome, message: renderMembers(reader, outcome) };
      }
      case 'spend': {
        const payee = await personOf(tx, ctx, command.payee);
        if (typeof payee === 'string') return refused(ctx, payee);
        const input = { key: event.key, requester: person, chat, name: command.fund, amount: command.amount, payee };
        const outcome = await core.funds.spend(tx, command.reason ? { ...input, reason: command.reason } : input);
        const { message, poll } = renderSpend(reader, outcome);
        if (outcome.type === 'rejected' || !poll) return { outcome, message };
        const live = { ref: outcome.card.ref, version: outcome.card.version.toString() };
        return { outcome, message, live, effects: [poll] };
      }
      case 'close': {
        const outcome = await core.funds.close(tx, { key: event.key, requester: person, chat, name: command.fund });
        const { message, poll } = renderClose(reader, outcome);
        if (outcome.type === 'rejected' || !poll) return { outcome, message };
        const live = { ref: outcome.card.ref, version: outcome.card.version.toString() };
        return { outcome, message, live, effects: [poll] };
      }
    }
  },
};

export const funds = { commands: [fund], presses: [onPress(FUND_POT_BIND, renderPotBound)] } satisfies Feature;
