/**
 * The notifications Directory over core/people: a person's messages go to the private chat of the
 * identity they used last, in their language (their setting, else their platform's hint, else the
 * default), time zone and quiet hours.
 */
import { pickLocale, type People } from '../../core/people/index.js';
import type { Directory } from './ports.js';

export function createDirectory(deps: { people: Pick<People, 'reach' | 'defaults'> }): Directory {
  const { people } = deps;
  return {
    async resolve(db, personId) {
      // identityOf follows a /link join: the person's messages go to the platform they used last.
      const found = await people.reach(db, personId);
      if (!found) return null;
      const { person, identity } = found;
      return {
        platform: identity.platform,
        // A private chat's id is the user's id on Telegram; the Discord Sender opens the DM channel from it.
        chatId: identity.userId,
        locale: pickLocale(person.locale, identity.languageCode, people.defaults.locale),
        timezone: person.timezone ?? people.defaults.timezone,
        quietHours: person.quietHours,
      };
    },
  };
}
