/** `/link` gives a one-time code; `/link CODE` on the other platform joins both accounts into one wallet. */
import { fail, type Failure } from '../grammar/index.js';
import { message, renderError } from '../render.js';
import type { Feature, OnceSpec } from '../spec.js';
import { LINK_CODE_ERROR_KEYS, renderLinkOutcome } from './render.js';

const link: OnceSpec<{ name: 'link'; code?: string }> = {
  name: 'link',
  private: true,
  once: true,
  discord: { options: [{ name: 'code', kind: 'string', descriptionKey: 'discord.options.code' }] },
  parse(input): { name: 'link'; code?: string } | Failure {
    const code = (input.option('code') ?? input.text).normalize('NFKC').trim().toUpperCase();
    if (code === '') return { name: 'link' };
    return /^[A-Z0-9]{8}$/.test(code) ? { name: 'link', code } : fail('BadLinkCode');
  },
  async run(tx, { core, config, person, reader }, command) {
    if (command.code !== undefined) {
      const linked = await core.people.redeemLinkCode(tx, person.id, command.code);
      const outcome = linked.ok ? { type: 'joined' } : { type: 'rejected', error: linked.error };
      return { outcome, message: renderLinkOutcome(reader, linked) };
    }
    const created = await core.people.createLinkCode(tx, person.id, config.linkCodeTtlMs);
    if (!created.ok)
      return {
        outcome: { type: 'rejected', error: created.error },
        message: renderError(reader, LINK_CODE_ERROR_KEYS, created.error),
      };
    const minutes = Math.max(1, Math.round(config.linkCodeTtlMs / 60_000));
    return { outcome: { type: 'code' }, message: message(reader, 'link.code', { code: created.code, minutes }) };
  },
};

export const linking = { commands: [link] } satisfies Feature;
