/**
 * `/every @name 50 monthly on 1 rent` (shared: `… from parents shares @ann:1 @ben:2`), `/schedules`, `/cancel 12`:
 * recurring transfers.
 */
import { SCHEDULE_ACCEPT, SCHEDULE_ACTIVATE } from '../../../core/index.js';
import { fail } from '../grammar/index.js';
import { bare, AMOUNT, NOTE, USER, asked, onPress, type DirectSpec, type Feature, type OnceSpec } from '../spec.js';
import { recipientOf } from '../grammar/index.js';
import { parseEvery, type EveryCommand } from './grammar.js';
import {
  renderAcceptOutcome,
  renderActivateOutcome,
  renderCancelOutcome,
  renderEveryOutcome,
  renderSchedules,
} from './render.js';

const every: OnceSpec<EveryCommand> = {
  name: 'every',
  example: '/every @bob 5 every friday',
  once: true,
  discord: {
    options: [
      USER,
      AMOUNT,
      { name: 'schedule', kind: 'string', descriptionKey: 'discord.options.schedule', required: true },
      NOTE,
      // A shared /every: the chat's fund, and who pays what part.
      { name: 'fund', kind: 'string', descriptionKey: 'discord.options.fund' },
      { name: 'shares', kind: 'string', descriptionKey: 'discord.options.shares' },
    ],
  },
  parse: parseEvery,
  async run(tx, ctx, command) {
    const ask = { ...asked(ctx, command), payer: ctx.person, payee: recipientOf(command.recipient, ctx.event) };
    const shares = command.shares && {
      fund: command.shares.fund,
      payers: command.shares.payers.map(({ recipient, weight }) => ({
        payer:
          recipient.kind === 'id'
            ? { userId: recipient.userId, platform: ctx.event.chat.platform }
            : recipientOf(recipient, ctx.event),
        weight,
      })),
    };
    const outcome = await ctx.core.schedules.create(tx, { ...ask, spec: command.spec, ...(shares ? { shares } : {}) });
    return { outcome, message: renderEveryOutcome(ctx.reader, outcome, ctx.event.chat.kind === 'group') };
  },
};

const schedules: DirectSpec<{ name: 'schedules' }> = {
  ...bare('schedules'),
  private: true,
  run: async ({ core, person, reader }) => renderSchedules(reader, await core.schedules.list(core.db, person.id)),
};

const cancel: OnceSpec<{ name: 'cancel'; id: bigint }> = {
  name: 'cancel',
  once: true,
  discord: {
    options: [{ name: 'id', kind: 'string', descriptionKey: 'discord.options.schedule_id', required: true }],
  },
  parse(input) {
    const id = (input.option('id') ?? input.text).normalize('NFKC').trim().replace(/^#/, '');
    return /^[1-9][0-9]{0,17}$/.test(id) ? { name: 'cancel', id: BigInt(id) } : fail('BadScheduleId');
  },
  async run(tx, { core, person, reader }, command) {
    const outcome = await core.schedules.cancel(tx, { personId: person.id, scheduleId: command.id });
    return { outcome, message: renderCancelOutcome(reader, outcome) };
  },
};

export const recurring = {
  commands: [every, schedules, cancel],
  presses: [onPress(SCHEDULE_ACTIVATE, renderActivateOutcome), onPress(SCHEDULE_ACCEPT, renderAcceptOutcome)],
} satisfies Feature;
