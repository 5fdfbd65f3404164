/** `/start` (welcome, deep-link payload) and `/help`, whose lines come from the command list itself. */
import { ttlHours } from '../../../core/index.js';
import { t } from '../../i18n/index.js';
import { bare, helpKey, type DirectSpec, type Feature } from '../spec.js';

const start: DirectSpec<{ name: 'start'; payload?: string }> = {
  name: 'start',
  discord: false,
  parse(input) {
    const payload = input.text.trim();
    // Telegram deep-link payloads: up to 64 of A-Z a-z 0-9 _ -. Anything else is not ours.
    return { name: 'start', payload: /^[A-Za-z0-9_-]{1,64}$/.test(payload) ? payload : undefined };
  },
  run({ config, person, reader }) {
    const welcome = t(reader.locale, 'start.welcome', { name: person.displayName });
    return { text: config.demoMoney ? `${welcome}\n${t(reader.locale, 'start.demo')}` : welcome };
  },
};

const help: DirectSpec<{ name: 'help' }> = {
  ...bare('help'),
  run({ config, reader, commands }) {
    const { locale } = reader;
    // `hours`: the deadline of a /request that names none.
    const params = { hours: ttlHours(config.requestTtlMs) };
    const lines = commands.flatMap((command) => {
      const key = helpKey(command.name);
      return key !== undefined && (!command.when || command.when(config)) ? [t(locale, key, params)] : [];
    });
    return { text: [t(locale, 'help.title'), lines.join('\n'), t(locale, 'help.footer')].join('\n\n') };
  },
};

export const welcome = { commands: [help, start] } satisfies Feature;
