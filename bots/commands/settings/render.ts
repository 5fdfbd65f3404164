import { formatAmount, formatQuietHours, type Person, type SettingsError } from '../../../core/index.js';
import { t, type MessageKey } from '../../i18n/index.js';
import type { Reader } from '../render.js';
import type { OutMessage } from '../types.js';

// ---------------------------------------------------------------------------------------------------------------
/** /settings: each setting, with "(default)" / "(from your app)" where the person has not chosen. */
export function renderSettings(
  reader: Reader,
  person: Pick<Person, 'locale' | 'timezone' | 'quietHours' | 'confirmThresholdMinor'>,
  defaults: { timezone: string; confirmThreshold: { minor: bigint; currency: string } },
): OutMessage {
  const { locale } = reader;
  const languageName = t(locale, `lang.${locale}`);
  const language = person.locale ? languageName : t(locale, 'settings.language_auto', { value: languageName });
  const timezone = person.timezone ?? t(locale, 'settings.default', { value: defaults.timezone });
  const quiet = person.quietHours ? formatQuietHours(person.quietHours) : t(locale, 'settings.quiet_off');
  const threshold =
    person.confirmThresholdMinor === null
      ? t(locale, 'settings.default', { value: formatAmount(defaults.confirmThreshold) })
      : person.confirmThresholdMinor === 0n
        ? t(locale, 'settings.confirm_always')
        : formatAmount({ minor: person.confirmThresholdMinor, currency: defaults.confirmThreshold.currency });
  const lines = [
    t(locale, 'settings.title'),
    t(locale, 'settings.language', { value: language }),
    t(locale, 'settings.timezone', { value: timezone }),
    t(locale, 'settings.quiet', { value: quiet }),
    t(locale, 'settings.confirm', { value: threshold }),
    '',
    t(locale, 'settings.how'),
  ];
  return { text: lines.join('\n') };
}

export const SETTINGS_ERROR_KEYS: Record<SettingsError, MessageKey> = {
  UnknownPerson: 'common.error',
  UnknownLocale: 'parse.BadLanguage',
  UnknownTimezone: 'parse.BadTimezone',
  BadQuietHours: 'parse.BadQuietHours',
  ThresholdCurrency: 'parse.BadThreshold',
  NegativeThreshold: 'amount.Negative',
  ThresholdTooLarge: 'amount.TooLarge',
};
