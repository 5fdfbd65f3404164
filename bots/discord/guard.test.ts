import { describe, expect, it } from 'vitest';
import { isInvalidRequest } from './guard.js';

describe('what Discord counts toward its invalid-request limit', () => {
  const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers: new Headers(headers) });

  it('401, 403 and 429 count; a 429 of the shared scope and any other status do not', () => {
    expect(isInvalidRequest(answer(401))).toBe(true);
    expect(isInvalidRequest(answer(403))).toBe(true);
    expect(isInvalidRequest(answer(429, { 'x-ratelimit-scope': 'user' }))).toBe(true);
    expect(isInvalidRequest(answer(429, { 'x-ratelimit-scope': 'global' }))).toBe(true);
    expect(isInvalidRequest(answer(429, { 'x-ratelimit-scope': 'shared' }))).toBe(false);
    for (const status of [200, 204, 400, 404, 500]) expect(isInvalidRequest(answer(status))).toBe(false);
  });
});
