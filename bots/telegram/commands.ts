/** The command menu Telegram shows next to the text box (setMyCommands), in English and Chinese. */
import type { Telegram } from 'telegraf';
import type { Locale } from '../../config/env.js';
import type { Log } from '../../core/log.js';
import { logFields } from './errors.js';

/** What the command layer exports for menus: the name without a slash and a one-line description per locale. */
export interface BotCommandSpec {
  name: string;
  description: Record<Locale, string>;
}

/** Telegram's rules for a menu entry; anything else makes the whole setMyCommands call fail. */
const isValid = (c: BotCommandSpec): boolean =>
  /^[a-z0-9_]{1,32}$/.test(c.name) &&
  Object.values(c.description).every((text) => text.length >= 1 && text.length <= 256);

/** Sets the menu for every language (`language_code` omitted, i.e. '') in English and for `zh` in Chinese. */
export async function publishCommands(
  telegram: Telegram,
  commands: readonly BotCommandSpec[],
  log: Log,
): Promise<void> {
  const valid = commands.filter((c) => {
    if (!isValid(c))
      log.warn({ command: c.name }, 'telegram: command left out of the menu (invalid name or description)');
    return isValid(c);
  });
  if (valid.length === 0) return;
  const menu = (locale: Locale) => valid.map((c) => ({ command: c.name, description: c.description[locale] }));
  try {
    await telegram.setMyCommands(menu('en'));
    await telegram.setMyCommands(menu('zh-CN'), { language_code: 'zh' });
  } catch (err) {
    // A menu is a convenience: the commands work without it.
    log.warn({ ...logFields(err) }, 'telegram: setMyCommands failed');
  }
}
