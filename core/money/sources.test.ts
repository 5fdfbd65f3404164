import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('./', import.meta.url);
const sources = readdirSync(dir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));

describe('money sources', () => {
  it('exist', () => {
    expect(sources).toContain('parse.ts');
  });

  it.each(sources)('%s uses no floating-point or locale number handling', (name) => {
    const text = readFileSync(new URL(name, dir), 'utf8');
    for (const banned of ['parseFloat', 'parseInt', 'Number(', 'toFixed', 'Math.', 'Intl.', 'toLocaleString']) {
      expect(text.includes(banned), `${name} contains ${banned}`).toBe(false);
    }
  });
});
