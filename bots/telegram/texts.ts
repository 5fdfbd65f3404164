/**
 * The few sentences the transport writes itself (everything else arrives rendered from the command layer): the
 * pointer left in a group when the real answer went to a private chat.
 */
import type { Locale } from '../../config/env.js';

export interface TransportTexts {
  /** Posted in the group after a private answer was delivered. */
  dmSent(name: string): string;
  /** Posted in the group when the private chat cannot be opened (the user never started the bot, or blocked it). */
  dmBlocked(name: string, link: string): string;
}

export const TEXTS: Record<Locale, TransportTexts> = {
  en: {
    dmSent: (name) => `${name}, I sent you a private message.`,
    dmBlocked: (name, link) =>
      `${name}, I can't send you a private message yet. Open ${link} and press Start, then try again.`,
  },
  'zh-CN': {
    dmSent: (name) => `${name}，我已私信你。`,
    dmBlocked: (name, link) => `${name}，我还无法私信你。请打开 ${link} 并点击“开始”，然后再试一次。`,
  },
};

/** Telegram `language_code` (an IETF tag such as "zh-hans", "zh", "en-US") → one of our locales. */
export function localeOf(languageCode: string | undefined, fallback: Locale): Locale {
  if (languageCode === undefined || languageCode === '') return fallback;
  return languageCode.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}
