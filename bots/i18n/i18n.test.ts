import { describe, expect, it } from 'vitest';
import { CATALOGS, LOCALES, formatDate, t, translate } from './index.js';

/** key → message, for every string leaf of a nested catalog. */
function flatten(node: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (typeof value === 'string') out.set(`${prefix}${key}`, value);
    else for (const [k, v] of flatten(value, `${prefix}${key}.`)) out.set(k, v);
  }
  return out;
}

const params = (message: string): string[] =>
  [...message.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)].map((m) => m[1] ?? '').sort();

describe('the catalogs', () => {
  const en = flatten(CATALOGS.en);
  const zh = flatten(CATALOGS['zh-CN']);

  it('have exactly the same keys in English and Chinese', () => {
    expect([...zh.keys()].sort()).toEqual([...en.keys()].sort());
  });

  it('use the same {{params}} for each key in both languages', () => {
    for (const [key, message] of en)
      expect({ key, params: params(zh.get(key) ?? '') }).toEqual({ key, params: params(message) });
  });

  it('have no empty message and no Markdown or HTML markup', () => {
    for (const locale of LOCALES) {
      for (const [key, message] of flatten(CATALOGS[locale])) {
        expect(message.trim(), `${locale} ${key}`).not.toBe('');
        expect(message, `${locale} ${key}`).not.toMatch(/<\/?[a-z][^>]*>|\*\*|__|`/i);
      }
    }
  });

  it('keep answerCallbackQuery texts within 200 characters', () => {
    for (const locale of LOCALES) {
      for (const [key, message] of flatten(CATALOGS[locale])) {
        if (key.startsWith('action.')) expect([...message].length, key).toBeLessThanOrEqual(200);
      }
    }
  });
});

describe('t', () => {
  it('fills params in both languages and leaves amounts as formatted', () => {
    expect(t('en', 'pay.paid', { amount: '1,250.75 USD', name: 'Bob' })).toBe('✅ Sent 1,250.75 USD to Bob.');
    expect(t('zh-CN', 'pay.paid', { amount: '1,250.75 USD', name: 'Bob' })).toBe('✅ 已向 Bob 转账 1,250.75 USD。');
  });

  it('does not escape or interpret user text', () => {
    const name = '<b>Bob</b> & {{amount}} $t(pay.paid)';
    expect(t('en', 'pay.paid', { amount: '5.00 USD', name })).toBe(`✅ Sent 5.00 USD to ${name}.`);
  });

  it('translates run-time keys and says when there is no such message', () => {
    expect(translate('zh-CN', 'button.pay')).toBe('付款');
    expect(translate('en', 'no.such.key')).toBeUndefined();
    expect(translate('en', 'pay')).toBeUndefined();
  });
});

describe('formatDate', () => {
  const at = new Date('2025-11-25T12:00:00Z');

  it('shows the moment in the reader’s time zone and language', () => {
    expect(formatDate(at, 'en', 'Asia/Shanghai')).toBe('Nov 25, 2025, 20:00');
    expect(formatDate(at, 'zh-CN', 'Asia/Shanghai')).toBe('2025年11月25日 20:00');
    expect(formatDate(at, 'en', 'America/New_York', 'short')).toBe('Nov 25, 07:00');
  });
});
