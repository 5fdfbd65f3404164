/** The notifications Directory over real core/people rows. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchClaims } from '../../core/payments/index.js';
import { createPeople, type People } from '../../core/people/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { createDirectory } from './directory.js';

describe('the notifications directory', () => {
  let database: TestDatabase;
  let people: People;

  beforeAll(async () => {
    database = await createTestDatabase(3);
    people = createPeople({
      matchHeld: matchClaims,
      db: database.db,
      defaults: { locale: 'en', timezone: 'UTC', confirmThreshold: { minor: 2_000n, currency: 'USD' } },
    });
  });
  afterAll(() => database.drop());

  const touch = async (userId: string, languageCode?: string) => {
    const r = await database.db.transaction((tx) =>
      people.touch(tx, {
        platform: 'telegram',
        userId,
        displayName: `user ${userId}`,
        isBot: false,
        ...(languageCode ? { languageCode } : {}),
      }),
    );
    if (!r.ok) throw new Error(r.error);
    return r.person.id;
  };

  it('sends to the private chat of the identity last used, in the person’s language, time zone and quiet hours', async () => {
    const id = await touch('4242', 'zh-hans');
    const directory = createDirectory({ people });
    expect(await directory.resolve(database.db, id)).toEqual({
      platform: 'telegram',
      chatId: '4242',
      locale: 'zh-CN', // from Telegram's language_code until they choose
      timezone: 'UTC',
      quietHours: null,
    });
    const r = await database.db.transaction((tx) =>
      people.updateSettings(tx, id, { locale: 'en', timezone: 'Asia/Shanghai', quietHours: '22:00-07:30' }),
    );
    expect(r.ok).toBe(true);
    expect(await directory.resolve(database.db, id)).toEqual({
      platform: 'telegram',
      chatId: '4242',
      locale: 'en',
      timezone: 'Asia/Shanghai',
      quietHours: { start: 22 * 60, end: 7 * 60 + 30 },
    });
  });

  it('an unknown person cannot be reached', async () => {
    expect(await createDirectory({ people }).resolve(database.db, 987_654_321n)).toBeNull();
  });
});
