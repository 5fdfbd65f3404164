import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from './logger.js';

// Fake secrets in the real shapes.
const TELEGRAM_TOKEN = ['123456789', 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq'].join(':');
const STRIPE_KEY = ['sk', 'live', '51HxYzAbCdEfGhIjKlMnOpQr'].join('_');
const RESTRICTED_KEY = 'rk_test_51HxYzAbCdEfGhIjKlMnOpQr';
const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const DISCORD_TOKEN = 'MTA4NjExMjM0NTY3ODkwMTIzNA.GhIjKl.abcdefghijklmnopqrstuvwxyz0123';
const DB_PASSWORD = 'correct-horse-battery';

/** SEC-8's log scan. */
const LEAKS = [
  /bot\d+:[\w-]{30,}/,
  /\d{8,10}:[\w-]{35}/,
  /sk_(live|test)_/,
  /rk_(live|test)_/,
  /whsec_/,
  /[\w-]{24,}\.[\w-]{6}\.[\w-]{27,}/,
];

function memoryLogger() {
  const lines: string[] = [];
  const logger = createLogger({ logLevel: 'info', nodeEnv: 'production' }, { write: (line) => void lines.push(line) });
  return { logger, output: () => lines.join('') };
}

function expectNoLeaks(output: string) {
  for (const leak of LEAKS) expect(output).not.toMatch(leak);
  for (const secret of [TELEGRAM_TOKEN, STRIPE_KEY, RESTRICTED_KEY, WEBHOOK_SECRET, DISCORD_TOKEN, DB_PASSWORD]) {
    expect(output).not.toContain(secret);
  }
}

describe('createLogger', () => {
  it('scrubs secrets from an error message and stack but keeps the rest', () => {
    const { logger, output } = memoryLogger();
    const err = new Error(`request to https://api.telegram.org/bot${TELEGRAM_TOKEN}/getMe failed, reason: 401`);
    logger.error({ err, transferId: 'tr_42' }, 'telegram call failed');
    const line = JSON.parse(output()) as { err: { message: string; stack: string }; transferId: string; msg: string };
    expectNoLeaks(output());
    expect(line.msg).toBe('telegram call failed');
    expect(line.transferId).toBe('tr_42');
    expect(line.err.message).toBe('request to https://api.telegram.org/bot[Redacted]/getMe failed, reason: 401');
    expect(line.err.stack).toContain('at ');
  });

  it('scrubs Stripe keys, Discord tokens and URL passwords wherever they appear', () => {
    const { logger, output } = memoryLogger();
    logger.warn(
      {
        detail: `invalid key ${STRIPE_KEY}`,
        nested: { note: `signed with ${WEBHOOK_SECRET}`, keys: [RESTRICTED_KEY] },
      },
      `discord login with ${DISCORD_TOKEN} via postgres://chipin:${DB_PASSWORD}@db:5432/chipin`,
    );
    expectNoLeaks(output());
    const line = JSON.parse(output()) as { msg: string; detail: string };
    expect(line.msg).toBe('discord login with [Redacted] via postgres://chipin:[Redacted]@db:5432/chipin');
    expect(line.detail).toBe('invalid key [Redacted]');
  });

  it('redacts credential headers and secret fields by key', () => {
    const { logger, output } = memoryLogger();
    logger.info(
      {
        req: {
          method: 'POST',
          url: '/telegram/webhook',
          headers: {
            authorization: 'Basic YWRtaW46aHVudGVyMg==',
            'x-telegram-bot-api-secret-token': 'our-webhook-secret',
            'stripe-signature': 't=1,v1=abc123',
            'content-type': 'application/json',
          },
        },
        stripe: { secret: 'plain-secret-value', apiKey: 'plain-api-key' },
        user: { password: 'pw-value', name: 'alice' },
      },
      'webhook received',
    );
    const text = output();
    for (const secret of [
      'YWRtaW46aHVudGVyMg',
      'our-webhook-secret',
      'abc123',
      'plain-secret-value',
      'plain-api-key',
      'pw-value',
    ]) {
      expect(text).not.toContain(secret);
    }
    const line = JSON.parse(text) as {
      req: { url: string; headers: Record<string, string> };
      user: { name: string };
      msg: string;
    };
    expect(line.msg).toBe('webhook received');
    expect(line.req.url).toBe('/telegram/webhook');
    expect(line.req.headers['content-type']).toBe('application/json');
    expect(line.user.name).toBe('alice');
  });

  it('keeps secrets out at any depth, and message text, call parameters and update bodies out entirely', () => {
    const { logger, output } = memoryLogger();
    // What telegraf throws: the Bot API call's parameters ride along (chat id and the whole message).
    const telegram = Object.assign(new Error('400: Bad Request: chat not found'), {
      response: { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
      on: { method: 'sendMessage', payload: { chat_id: 5550001, text: 'Alice sent you 12.50 USD: rent for March' } },
    });
    // What discord.js throws: the request body with the message content.
    const discord = Object.assign(new Error('Missing Access'), {
      code: 50001,
      requestBody: { json: { content: 'Bob owes you 30.00 USD: concert tickets' } },
    });
    logger.error(
      {
        err: telegram,
        cause: discord,
        job: { data: { config: { deep: { telegramBotToken: 'tg-token-value', nested: { password: 'pw-deep' } } } } },
        update: { update_id: 7, message: { text: '/pay @bob 12.50 secret gift' } },
      },
      'delivery failed',
    );
    const text = output();
    for (const leak of ['rent for March', 'concert tickets', 'tg-token-value', 'pw-deep', 'secret gift', '5550001'])
      expect(text).not.toContain(leak);
    const line = JSON.parse(text) as {
      err: { message: string; response: { description: string }; on: { method: string } };
      msg: string;
    };
    expect(line.err.message).toBe('400: Bad Request: chat not found');
    expect(line.err.response.description).toBe('Bad Request: chat not found');
    expect(line.err.on.method).toBe('sendMessage');
  });

  it('respects the log level', () => {
    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'warn', nodeEnv: 'test' }, { write: (line) => void lines.push(line) });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
  });
});

describe('scrubSecrets', () => {
  it.each([
    [`token ${TELEGRAM_TOKEN} rejected`, 'token [Redacted] rejected'],
    [`GET /bot${TELEGRAM_TOKEN}/getUpdates`, 'GET /bot[Redacted]/getUpdates'],
    [`key=${STRIPE_KEY}`, 'key=[Redacted]'],
    [`Authorization: Bot ${'x'.repeat(10)}`, 'Authorization: [Redacted]'],
    ['redis://:s3cret@cache:6379/0', 'redis://:[Redacted]@cache:6379/0'],
  ])('scrubs %j', (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });

  it('leaves ordinary text alone', () => {
    const text = 'paid 12.50 USD to @alice at 12:30:05, transfer tr_42, https://example.com/a/b?c=d';
    expect(scrubSecrets(text)).toBe(text);
  });
});
