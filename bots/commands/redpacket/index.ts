/** `/redpacket total count [note] [equal]` (红包): the first `count` people to tap Claim share the total. */
import { REDPACKET_CLAIM } from '../../../core/index.js';
import { AMOUNT, NOTE, onPress, type Feature, type OnceSpec } from '../spec.js';
import { parseRedPacket, type RedPacketCommand } from './grammar.js';
import { renderClaim, renderSent } from './render.js';

const redpacket: OnceSpec<RedPacketCommand> = {
  name: 'redpacket',
  example: '/redpacket 10 5 happy new year',
  once: true,
  discord: {
    options: [
      AMOUNT,
      {
        name: 'count',
        kind: 'integer',
        descriptionKey: 'discord.options.packet_count',
        required: true,
        min: 1,
        max: 1000,
      },
      NOTE,
      { name: 'equal', kind: 'boolean', descriptionKey: 'discord.options.equal' },
    ],
  },
  parse: parseRedPacket,
  async run(tx, ctx, command) {
    const outcome = await ctx.core.redpackets.send(tx, {
      key: ctx.event.key,
      sender: ctx.person,
      chat: ctx.event.chat,
      amount: command.amount,
      count: command.count,
      mode: command.mode,
      note: command.note ?? null,
      reader: ctx.reader,
    });
    const message = renderSent(ctx.reader, outcome);
    if (outcome.type === 'rejected') return { outcome, message };
    return { outcome, message, live: { ref: outcome.card.ref, version: outcome.card.version.toString() } };
  },
};

export const redpackets = {
  commands: [redpacket],
  presses: [onPress(REDPACKET_CLAIM, renderClaim)],
} satisfies Feature;
