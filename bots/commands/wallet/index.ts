/** `/balance`, `/history 20`, `/export`: what is in your wallet and where it went (answered privately). */
import { t } from '../../i18n/index.js';
import { fail, failed, type Failure } from '../grammar/index.js';
import { bare, type DirectSpec, type Feature } from '../spec.js';
import { renderBalances, renderHistory } from './render.js';

export const HISTORY_DEFAULT = 10;
export const HISTORY_MAX = 50;

function historyCount(text: string): number | Failure {
  const value = text.normalize('NFKC').trim();
  if (value === '') return HISTORY_DEFAULT;
  if (!/^[0-9]{1,3}$/.test(value)) return fail('BadCount');
  const count = Number(value);
  return count >= 1 && count <= HISTORY_MAX ? count : fail('BadCount');
}

const balance: DirectSpec<{ name: 'balance' }> = {
  ...bare('balance'),
  private: true,
  run: async ({ core, person, reader }) => renderBalances(reader, await core.payments.balances(core.db, person.id)),
};

const history: DirectSpec<{ name: 'history'; count: number }> = {
  name: 'history',
  private: true,
  discord: {
    options: [{ name: 'count', kind: 'integer', descriptionKey: 'discord.options.count', min: 1, max: HISTORY_MAX }],
  },
  parse(input) {
    const count = historyCount(input.option('count') ?? input.text);
    return failed(count) ? count : { name: 'history', count };
  },
  async run({ core, person, reader }, command) {
    const page = await core.payments.history(core.db, person.id, { limit: command.count });
    return renderHistory(reader, page.entries);
  },
};

const exportCsv: DirectSpec<{ name: 'export' }> = {
  ...bare('export'),
  private: true,
  async run({ core, person, reader }) {
    const csv = await core.payments.exportCsv(core.db, person.id);
    return {
      text: t(reader.locale, 'export.caption'),
      document: { filename: t(reader.locale, 'export.filename'), mime: 'text/csv', content: csv },
    };
  },
};

export const wallet = { commands: [balance, history, exportCsv] } satisfies Feature;
