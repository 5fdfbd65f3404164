import { describe, expect, it } from 'vitest';
import { actor, person, touch, auditedCore } from '../../test/support/core.js';
import { TELEGRAM_SERVICE_IDS } from './index.js';

const f = auditedCore();

const tx = <T>(fn: Parameters<typeof f.db.transaction<T>>[0]) => f.db.transaction(fn);

describe('touch', () => {
  it('creates a person on first sight and refreshes name and username afterwards', async () => {
    const a = actor('Carol_P', { displayName: 'Carol', languageCode: 'zh-hans' });
    const first = await tx((t) => f.core.people.touch(t, a));
    expect(first).toMatchObject({
      ok: true,
      isNew: true,
      person: { displayName: 'Carol', locale: null },
      identity: { username: 'carol_p', languageCode: 'zh-hans' },
    });
    const second = await tx((t) => f.core.people.touch(t, { ...a, username: 'carol_new', displayName: 'Carol W.' }));
    expect(second.ok && second.isNew).toBe(false);
    expect(second.ok && first.ok && second.person.id === first.person.id).toBe(true);
    expect(second).toMatchObject({
      person: { displayName: 'Carol W.' },
      identity: { username: 'carol_new', languageCode: 'zh-hans' },
    });
    expect(await f.core.people.findByUsername(f.db, 'telegram', 'carol_p')).toBeUndefined();
    expect((await f.core.people.findByUsername(f.db, 'telegram', '@Carol_New'))?.person.displayName).toBe('Carol W.');
  });

  it('concurrent first touches of one user make one person', async () => {
    const a = actor('dave_p');
    const results = await Promise.all(Array.from({ length: 5 }, () => tx((t) => f.core.people.touch(t, a))));
    const ids = new Set(results.map((r) => (r.ok ? r.person.id : -1n)));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.ok && r.isNew)).toHaveLength(1);
    const n = await f.db.query(`SELECT count(*) AS n FROM people WHERE display_name = 'Dave_p'`);
    expect(Number(n.rows[0]?.n)).toBe(1);
  });

  it('bots and Telegram service accounts never become people', async () => {
    expect(await tx((t) => f.core.people.touch(t, actor('helper_bot', { isBot: true })))).toEqual({
      ok: false,
      error: 'IsBot',
    });
    for (const userId of TELEGRAM_SERVICE_IDS) {
      expect(await tx((t) => f.core.people.touch(t, actor('GroupAnonymousBot', { userId })))).toEqual({
        ok: false,
        error: 'ServiceAccount',
      });
    }
    expect(await tx((t) => f.core.people.touch(t, actor('x', { userId: 'abc' })))).toEqual({
      ok: false,
      error: 'InvalidUserId',
    });
  });

  it('a username taken by another user moves to them and is cleared from the old holder', async () => {
    const alice = actor('alice_p');
    const alicePerson = await touch(f.core, alice);
    await touch(f.core, { ...alice, username: 'alice_p2' });
    const mallory = actor('alice_p', { displayName: 'Mallory' });
    const malloryPerson = await touch(f.core, mallory);
    expect((await f.core.people.findByUsername(f.db, 'telegram', 'alice_p'))?.person.id).toBe(malloryPerson.id);
    expect((await f.core.people.findByUsername(f.db, 'telegram', 'alice_p2'))?.person.id).toBe(alicePerson.id);
    // Even when the old holder never renamed in front of us, the newest sighting wins and the old row is cleared.
    const zed = actor('zed_p');
    const zedPerson = await touch(f.core, zed);
    const zed2 = await touch(f.core, actor('zed_p', { displayName: 'Other Zed' }));
    expect((await f.core.people.findByUsername(f.db, 'telegram', 'zed_p'))?.person.id).toBe(zed2.id);
    expect((await f.core.people.identityOf(f.db, zedPerson.id))?.username).toBeNull();
  });

  it('usernames are per platform', async () => {
    const tg = await touch(f.core, actor('same_name'));
    const dc = await touch(f.core, actor('same_name', { platform: 'discord' }));
    expect((await f.core.people.findByUsername(f.db, 'telegram', 'same_name'))?.person.id).toBe(tg.id);
    expect((await f.core.people.findByUsername(f.db, 'discord', 'same_name'))?.person.id).toBe(dc.id);
  });

  it('names with control characters and bidi overrides are cleaned', async () => {
    const p = await touch(f.core, actor('evil_p', { displayName: '\u202eEvil\u0000 \n Name' + 'x'.repeat(100) }));
    expect(p.displayName.startsWith('Evil Name')).toBe(true);
    expect([...p.displayName].length).toBeLessThanOrEqual(64);
    const blank = await touch(f.core, actor('blank_p', { displayName: '\u200f ' }));
    expect(blank.displayName).toBe('@blank_p');
  });
});

describe('resolve: the person a command names', () => {
  it('by a mention’s user, an @username’s current holder, or a bare user id of someone the bot has seen', async () => {
    const a = actor('dora_p', { displayName: 'Dora' });
    const dora = await touch(f.core, a);
    const by = (who: Parameters<typeof f.core.people.resolve>[1]) =>
      tx(async (t) => {
        const found = await f.core.people.resolve(t, who);
        return typeof found === 'string' ? found : found.person.id;
      });
    expect(await by({ actor: a })).toBe(dora.id);
    expect(await by({ username: '@Dora_P', platform: 'telegram' })).toBe(dora.id);
    expect(await by({ userId: a.userId, platform: 'telegram' })).toBe(dora.id);
    // Ids are per platform; an id nobody has been seen with, or that is no id, names nobody.
    expect(await by({ userId: a.userId, platform: 'discord' })).toBe('UnknownRecipient');
    expect(await by({ userId: '999999999999', platform: 'telegram' })).toBe('UnknownRecipient');
    expect(await by({ userId: '<@1>', platform: 'telegram' })).toBe('UnknownRecipient');
  });
});

describe('settings', () => {
  it('changes language, time zone, quiet hours and the confirm threshold', async () => {
    const p = await person(f.core, 'set_p');
    const r = await tx((t) =>
      f.core.people.updateSettings(t, p.id, {
        locale: 'zh-cn',
        timezone: 'asia/shanghai',
        quietHours: '22:00-07:00',
        confirmThreshold: { minor: 0n, currency: 'USD' },
      }),
    );
    expect(r).toEqual({
      ok: true,
      person: {
        ...p,
        locale: 'zh-CN',
        timezone: 'Asia/Shanghai',
        quietHours: { start: 22 * 60, end: 7 * 60 },
        confirmThresholdMinor: 0n,
      },
    });
    const reset = await tx((t) =>
      f.core.people.updateSettings(t, p.id, { locale: null, quietHours: 'off', confirmThreshold: null }),
    );
    expect(reset).toMatchObject({
      ok: true,
      person: { locale: null, timezone: 'Asia/Shanghai', quietHours: null, confirmThresholdMinor: null },
    });
  });

  it('refuses values it cannot use', async () => {
    const p = await person(f.core, 'set_p2');
    const change = (patch: Parameters<typeof f.core.people.updateSettings>[2]) =>
      tx((t) => f.core.people.updateSettings(t, p.id, patch));
    expect(await change({ locale: 'fr' })).toEqual({ ok: false, error: 'UnknownLocale' });
    expect(await change({ timezone: 'Mars/Olympus' })).toEqual({ ok: false, error: 'UnknownTimezone' });
    expect(await change({ quietHours: '25:00-07:00' })).toEqual({ ok: false, error: 'BadQuietHours' });
    expect(await change({ quietHours: '07:00-07:00' })).toEqual({ ok: false, error: 'BadQuietHours' });
    expect(await change({ confirmThreshold: { minor: 5n, currency: 'EUR' } })).toEqual({
      ok: false,
      error: 'ThresholdCurrency',
    });
    expect(await change({ confirmThreshold: { minor: -1n, currency: 'USD' } })).toEqual({
      ok: false,
      error: 'NegativeThreshold',
    });
    expect(await change({ confirmThreshold: { minor: 10_000_01n, currency: 'USD' } })).toEqual({
      ok: false,
      error: 'ThresholdTooLarge',
    });
    expect(await tx((t) => f.core.people.updateSettings(t, 999_999_999n, { locale: 'en' }))).toEqual({
      ok: false,
      error: 'UnknownPerson',
    });
  });
});

describe('link codes', () => {
  it('are 8 unambiguous characters, and at most 5 live per person', async () => {
    const p = await person(f.core, 'link_p');
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await tx((t) => f.core.people.createLinkCode(t, p.id, 600_000));
      if (!r.ok) throw new Error(r.error);
      codes.push(r.code);
    }
    for (const code of codes) expect(code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(new Set(codes).size).toBe(5);
    expect(await tx((t) => f.core.people.createLinkCode(t, p.id, 600_000))).toEqual({
      ok: false,
      error: 'RateLimited',
    });
    // Expired codes stop counting.
    await f.db.query(`UPDATE link_codes SET expires_at = now() - interval '1 second' WHERE person_id = $1`, [p.id]);
    expect((await tx((t) => f.core.people.createLinkCode(t, p.id, 600_000))).ok).toBe(true);
  });
});

describe('identityOf', () => {
  it('is the identity the person used last', async () => {
    const p = await touch(f.core, actor('ident_p'));
    const identity = await f.core.people.identityOf(f.db, p.id);
    expect(identity).toMatchObject({ platform: 'telegram', username: 'ident_p', personId: p.id });
  });
});
