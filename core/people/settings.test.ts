import { describe, expect, it } from 'vitest';
import { parseLocale, parseQuietHours, parseTimezone, pickLocale } from './settings.js';

describe('settings parsing', () => {
  it('reads quiet hours in the usual spellings', () => {
    expect(parseQuietHours('22:00-07:00')).toEqual({ start: 1320, end: 420 });
    expect(parseQuietHours('22-7')).toEqual({ start: 1320, end: 420 });
    expect(parseQuietHours('23:30 – 06:15')).toEqual({ start: 1410, end: 375 });
    expect(parseQuietHours('off')).toBeNull();
    for (const bad of ['24:00-07:00', '22:60-07:00', '22', '7-7', 'later', '22:00-07:00-08:00'])
      expect(parseQuietHours(bad)).toBeUndefined();
  });

  it('knows time zones by their IANA names, in any case', () => {
    expect(parseTimezone('utc')).toBe('UTC');
    expect(parseTimezone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(parseTimezone('Nowhere/Land')).toBeUndefined();
    expect(parseTimezone('')).toBeUndefined();
  });

  it('maps language hints to the locales we ship', () => {
    expect(parseLocale('zh-hans')).toBe('zh-CN');
    expect(parseLocale('EN')).toBe('en');
    expect(parseLocale('fr')).toBeUndefined();
    expect(pickLocale(null, 'zh-TW', 'en')).toBe('zh-CN');
    expect(pickLocale('en', 'zh', 'zh-CN')).toBe('en');
    expect(pickLocale(null, 'de', 'en')).toBe('en');
  });
});
