/** `/settings` shows them; `/settings language|timezone|quiet|confirm <value>` changes one. */
import { formatQuietHours, type SettingsPatch } from '../../../core/index.js';
import { t } from '../../i18n/index.js';
import { renderError } from '../render.js';
import type { DirectSpec, Feature } from '../spec.js';
import { parseSettings, type SettingsChange } from './grammar.js';
import { SETTINGS_ERROR_KEYS, renderSettings } from './render.js';

const value = { name: 'value', kind: 'string', descriptionKey: 'discord.options.value', required: true } as const;

const settings: DirectSpec<{ name: 'settings'; change?: SettingsChange }> = {
  name: 'settings',
  private: true,
  discord: {
    subcommands: [
      { name: 'show', descriptionKey: 'discord.settings.show' },
      { name: 'language', descriptionKey: 'discord.settings.language', options: [value] },
      { name: 'timezone', descriptionKey: 'discord.settings.timezone', options: [value] },
      { name: 'quiet', descriptionKey: 'discord.settings.quiet', options: [value] },
      { name: 'confirm', descriptionKey: 'discord.settings.confirm', options: [value] },
    ],
  },
  parse(input, context) {
    const change = parseSettings(input, context);
    if (change !== undefined && 'fail' in change) return change;
    return change === undefined ? { name: 'settings' } : { name: 'settings', change };
  },
  async run({ core, config, person, reader, readerOf, event }, { change }) {
    const defaults = { timezone: config.defaultTimezone, confirmThreshold: config.confirmThreshold };
    if (change === undefined) return renderSettings(reader, person, defaults);
    const result = await core.db.transaction((tx) => core.people.updateSettings(tx, person.id, patchOf(change)));
    if (!result.ok) return renderError(reader, SETTINGS_ERROR_KEYS, result.error);
    // Shown in the new language when that is what changed.
    const after = readerOf(result.person, event.actor);
    return {
      text: `${t(after.locale, 'settings.saved')}\n\n${renderSettings(after, result.person, defaults).text}`,
    };
  },
};

function patchOf(change: SettingsChange): SettingsPatch {
  switch (change.setting) {
    case 'language':
      return { locale: change.locale };
    case 'timezone':
      return { timezone: change.timezone };
    case 'quiet':
      return { quietHours: change.quietHours ? formatQuietHours(change.quietHours) : null };
    case 'confirm':
      return { confirmThreshold: change.threshold };
  }
}

export const preferences = { commands: [settings] } satisfies Feature;
