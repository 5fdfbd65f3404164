/** `/settings language zh`, `/settings timezone Asia/Shanghai`, `/settings quiet 22:00-07:00`, `/settings confirm 50`. */
import {
  parseAmount,
  parseLocale,
  parseQuietHours,
  parseTimezone,
  type Amount,
  type Locale,
  type QuietHours,
} from '../../../core/index.js';
import { fail, failed, words, type Failure, type Input, type ParseContext } from '../grammar/index.js';

export type SettingsChange =
  | { setting: 'language'; locale: Locale }
  | { setting: 'timezone'; timezone: string }
  | { setting: 'quiet'; quietHours: QuietHours | null }
  /** `minor: 0n` = confirm every payment. */
  | { setting: 'confirm'; threshold: Amount };

const SETTING_NAMES: Readonly<Record<string, SettingsChange['setting']>> = {
  language: 'language',
  lang: 'language',
  语言: 'language',
  timezone: 'timezone',
  tz: 'timezone',
  时区: 'timezone',
  quiet: 'quiet',
  免打扰: 'quiet',
  confirm: 'confirm',
  确认: 'confirm',
};

const SHOW: ReadonlySet<string> = new Set(['show', '显示', '查看']);

const LANGUAGE_NAMES: Readonly<Record<string, Locale>> = {
  en: 'en',
  english: 'en',
  英文: 'en',
  英语: 'en',
  zh: 'zh-CN',
  'zh-cn': 'zh-CN',
  'zh-hans': 'zh-CN',
  cn: 'zh-CN',
  chinese: 'zh-CN',
  中文: 'zh-CN',
  简体中文: 'zh-CN',
};

export function parseSettings(input: Input, context: ParseContext): SettingsChange | undefined | Failure {
  const fromOptions = (['language', 'timezone', 'quiet', 'confirm'] as const).find((name) => input.option(name));
  const [head = '', ...tail] = words(input.text).map((word) => word.text);
  const setting = fromOptions ?? SETTING_NAMES[head.normalize('NFKC').toLowerCase()];
  // `/settings` alone, or Discord's `/settings show`: show them.
  if (fromOptions === undefined && (head === '' || SHOW.has(head.normalize('NFKC').toLowerCase()))) return undefined;
  const value = (fromOptions ? (input.option(fromOptions) ?? '') : tail.join(' ')).normalize('NFKC').trim();
  switch (setting) {
    case 'language': {
      const locale = LANGUAGE_NAMES[value.toLowerCase()] ?? parseLocale(value);
      return locale ? { setting, locale } : fail('BadLanguage');
    }
    case 'timezone': {
      const timezone = parseTimezone(value);
      return timezone ? { setting, timezone } : fail('BadTimezone');
    }
    case 'quiet': {
      const quietHours = parseQuietHours(value);
      return quietHours === undefined ? fail('BadQuietHours') : { setting, quietHours };
    }
    case 'confirm': {
      const threshold = parseThreshold(value, context);
      return failed(threshold) ? threshold : { setting, threshold };
    }
    default:
      return fail('BadSetting');
  }
}

function parseThreshold(value: string, context: ParseContext): Amount | Failure {
  if (value === '') return fail('BadThreshold');
  // parseAmount refuses zero, but here 0 means "confirm every payment".
  if (/^0+(?:\.0+)?$/.test(value)) return { minor: 0n, currency: context.defaultCurrency };
  const parsed = parseAmount(value, { defaultCurrency: context.defaultCurrency, max: context.max });
  if (!parsed.ok) return fail(parsed.reason);
  return parsed.amount.currency === context.defaultCurrency ? parsed.amount : fail('BadThreshold');
}
