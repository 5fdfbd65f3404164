import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadTestEnv, type Env } from './env.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TELEGRAM_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

function configErrorOf(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('loads every default from an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      publicUrl: undefined,
      dataDir: path.resolve('./data'),
      databaseUrl: undefined,
      databasePoolSize: 10,
      redisUrl: undefined,
      logLevel: 'info',
      defaultCurrency: 'USD',
      defaultLocale: 'en',
      defaultTimezone: 'UTC',
      confirmThreshold: { minor: 2000n, currency: 'USD' },
      telegramBotToken: undefined,
      telegramApiRoot: 'https://api.telegram.org',
      telegramWebhookSecret: undefined,
      discordApiBase: 'https://discord.com/api',
      discordRestTimeoutMs: 15_000,
      stripeApiBase: 'https://api.stripe.com',
      adminToken: undefined,
      demoMoney: false,
      holdTtlMs: 24 * 3_600_000,
      requestTtlMs: 24 * 3_600_000,
      redpacketTtlMs: 24 * 3_600_000,
      voteTtlMs: 48 * 3_600_000,
      iouConfirmTtlMs: 48 * 3_600_000,
      borrowTtlMs: 24 * 3_600_000,
      linkCodeTtlMs: 10 * 60_000,
      undoWindowMs: 10_000,
    });
    expect(config.maxAmount.perCurrency.get('USD')).toBe(1_000_000n);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('treats empty and blank values as unset', () => {
    const config = loadConfig({ PORT: '', LOG_LEVEL: '  ', DATABASE_URL: '', TELEGRAM_BOT_TOKEN: '' });
    expect(config.port).toBe(3000);
    expect(config.logLevel).toBe('info');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.telegramBotToken).toBeUndefined();
  });

  it('parses and normalises valid values', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '0',
      PUBLIC_URL: 'https://pay.example.com/',
      DATABASE_URL: 'postgresql://chipin:pw@db:5432/chipin',
      REDIS_URL: '/var/run/redis.sock',
      DEFAULT_CURRENCY: 'cny',
      DEFAULT_LOCALE: 'zh-CN',
      DEFAULT_TIMEZONE: 'Asia/Shanghai',
      MAX_AMOUNT: 'CNY:50000,JPY:1500000',
      CONFIRM_THRESHOLD: '100',
      TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: 'abc_DEF-123',
      DISCORD_APPLICATION_ID: '1234567890123456789',
      DISCORD_PUBLIC_KEY: 'AB'.repeat(32),
      DEMO_MONEY: '0',
      HOLD_TTL: '90s',
      UNDO_WINDOW: '500ms',
      VOTE_TTL: '2d',
      LINK_CODE_TTL: '15m',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 0,
      publicUrl: 'https://pay.example.com',
      redisUrl: '/var/run/redis.sock',
      defaultCurrency: 'CNY',
      defaultLocale: 'zh-CN',
      defaultTimezone: 'Asia/Shanghai',
      confirmThreshold: { minor: 10_000n, currency: 'CNY' },
      telegramBotToken: TELEGRAM_TOKEN,
      discordPublicKey: 'ab'.repeat(32),
      demoMoney: false,
      holdTtlMs: 90_000,
      undoWindowMs: 500,
      voteTtlMs: 2 * 86_400_000,
      linkCodeTtlMs: 15 * 60_000,
    });
    expect(config.maxAmount.perCurrency.get('JPY')).toBe(1_500_000n);
  });

  it('accepts CONFIRM_THRESHOLD=0 as "confirm every payment"', () => {
    expect(loadConfig({ CONFIRM_THRESHOLD: '0' }).confirmThreshold).toEqual({ minor: 0n, currency: 'USD' });
  });

  it('enables demo money outside production', () => {
    expect(loadConfig({ DEMO_MONEY: '1' }).demoMoney).toBe(true);
  });

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '0' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '101' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['DEFAULT_CURRENCY', { DEFAULT_CURRENCY: 'XYZ' }],
    ['DEFAULT_LOCALE', { DEFAULT_LOCALE: 'fr' }],
    ['DEFAULT_TIMEZONE', { DEFAULT_TIMEZONE: 'Mars/Base' }],
    ['MAX_AMOUNT', { MAX_AMOUNT: 'lots' }],
    ['MAX_AMOUNT', { MAX_AMOUNT: 'USD:abc' }],
    ['CONFIRM_THRESHOLD', { CONFIRM_THRESHOLD: '-1' }],
    ['CONFIRM_THRESHOLD', { CONFIRM_THRESHOLD: 'twenty' }],
    ['CONFIRM_THRESHOLD', { CONFIRM_THRESHOLD: '20 EUR' }],
    ['CONFIRM_THRESHOLD', { CONFIRM_THRESHOLD: '10001' }],
    ['TELEGRAM_WEBHOOK_SECRET', { TELEGRAM_WEBHOOK_SECRET: 'has space' }],
    ['DISCORD_PUBLIC_KEY', { DISCORD_PUBLIC_KEY: 'nothex' }],
    ['DISCORD_APPLICATION_ID', { DISCORD_APPLICATION_ID: 'app' }],
    ['HOLD_TTL', { HOLD_TTL: 'forever' }],
    ['UNDO_WINDOW', { UNDO_WINDOW: '0s' }],
    ['DEMO_MONEY', { DEMO_MONEY: 'yes' }],
    ['DEMO_MONEY', { DEMO_MONEY: '1', NODE_ENV: 'production' }],
    ['DEBUG', { DEBUG: 'telegraf:*', NODE_ENV: 'production' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'not a url' }],
    ['TELEGRAM_API_ROOT', { TELEGRAM_API_ROOT: 'ftp://api.telegram.org' }],
  ])('rejects a bad %s: %j', (variable, env) => {
    const error = configErrorOf(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it('shows what it got and what it expects', () => {
    expect(configErrorOf({ PORT: 'abc' }).message).toBe('PORT: must be an integer from 0 to 65535 (got "abc")');
  });

  it.each([
    ['TELEGRAM_BOT_TOKEN', 'bad value'],
    ['TELEGRAM_WEBHOOK_SECRET', 'super secret!'],
    ['STRIPE_SECRET_KEY', 'sk_test_abc def'],
    ['DISCORD_BOT_TOKEN', 'Bot abc.def.ghi'],
    ['ADMIN_TOKEN', 'hunter 2'],
    ['DATABASE_URL', 'mysql://root:hunter2@db/chipin'],
  ])('never echoes the value of the secret %s', (variable, value) => {
    const error = configErrorOf({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).not.toContain(value);
    expect(error.message).not.toContain('hunter2');
  });

  it('reads the Postgres timeouts (statement 10 s, idle in a transaction 2 min, connection wait 10 s)', () => {
    expect(loadConfig({})).toMatchObject({
      databaseStatementTimeoutMs: 10_000,
      databaseIdleInTransactionTimeoutMs: 120_000,
      databaseConnectTimeoutMs: 10_000,
    });
    expect(
      loadConfig({
        DATABASE_STATEMENT_TIMEOUT: '30s',
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT: '5m',
        DATABASE_CONNECT_TIMEOUT: '2500ms',
      }),
    ).toMatchObject({
      databaseStatementTimeoutMs: 30_000,
      databaseIdleInTransactionTimeoutMs: 300_000,
      databaseConnectTimeoutMs: 2_500,
    });
    expect(configErrorOf({ DATABASE_STATEMENT_TIMEOUT: '0s' }).variable).toBe('DATABASE_STATEMENT_TIMEOUT');
    expect(configErrorOf({ DATABASE_CONNECT_TIMEOUT: '10' }).variable).toBe('DATABASE_CONNECT_TIMEOUT');
  });

  it('reads the withdrawal fee and retry delay (default 25 minor units + 25 bps, 1 h)', () => {
    expect(loadConfig({})).toMatchObject({
      withdrawFee: { fixedMinor: 25n, basisPoints: 25 },
      withdrawRetryMs: 3_600_000,
    });
    expect(loadConfig({ WITHDRAW_FEE_FIXED: '0', WITHDRAW_FEE_BPS: '100', WITHDRAW_RETRY: '15m' })).toMatchObject({
      withdrawFee: { fixedMinor: 0n, basisPoints: 100 },
      withdrawRetryMs: 900_000,
    });
    expect(configErrorOf({ WITHDRAW_FEE_BPS: '10001' }).variable).toBe('WITHDRAW_FEE_BPS');
    expect(configErrorOf({ WITHDRAW_FEE_FIXED: '0.25' }).variable).toBe('WITHDRAW_FEE_FIXED');
  });

  it('reads the abuse throttles (20 money commands and 60 presses a minute, 10 reminders a day, 5000 in 10 min)', () => {
    expect(loadConfig({}).throttles).toEqual({
      moneyPerMinute: 20,
      pressesPerMinute: 60,
      remindersPerDay: 10,
      discordInvalidThreshold: 5_000,
      discordInvalidWindowMs: 600_000,
      discordForbiddenTtlMs: 86_400_000,
    });
    expect(
      loadConfig({ RATE_MONEY_PER_MINUTE: '0', REMINDERS_PER_DAY: '3', DISCORD_INVALID_WINDOW: '2s' }).throttles,
    ).toMatchObject({ moneyPerMinute: 0, remindersPerDay: 3, discordInvalidWindowMs: 2_000 });
    expect(configErrorOf({ RATE_PRESSES_PER_MINUTE: '-1' }).variable).toBe('RATE_PRESSES_PER_MINUTE');
    expect(configErrorOf({ DISCORD_INVALID_THRESHOLD: '10001' }).message).toContain('0 turns the limit off');
  });

  it('allows telegraf debug output outside production only', () => {
    expect(() => loadConfig({ DEBUG: 'telegraf:*' })).not.toThrow();
    expect(() => loadConfig({ NODE_ENV: 'production', DEBUG: 'express:*' })).not.toThrow();
    expect(configErrorOf({ NODE_ENV: 'production', DEBUG: '*' }).variable).toBe('DEBUG');
  });

  it('takes REDIS_LOCAL_URL (the probed address in place of 127.0.0.1:6379) only with NODE_ENV=test', () => {
    expect(loadConfig({ NODE_ENV: 'test', REDIS_LOCAL_URL: 'redis://127.0.0.1:6399' }).redisLocalUrl).toBe(
      'redis://127.0.0.1:6399',
    );
    expect(loadConfig({}).redisLocalUrl).toBeUndefined();
    const refused = configErrorOf({ REDIS_LOCAL_URL: 'redis://127.0.0.1:6399' });
    expect(refused.variable).toBe('REDIS_LOCAL_URL');
    expect(refused.message).toContain('tests only');
  });
});

describe('loadTestEnv', () => {
  it('defaults to the local Postgres and Redis', () => {
    expect(loadTestEnv({})).toEqual({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      redisUrl: 'redis://127.0.0.1:6379',
    });
  });

  it('rejects a bad TEST_DATABASE_URL', () => {
    expect(() => loadTestEnv({ TEST_DATABASE_URL: 'mysql://x' })).toThrow(/^TEST_DATABASE_URL: /);
  });
});

describe('readConfigOrExit', () => {
  it('prints one line naming the variable and exits 1', () => {
    // An empty working directory, so no .env file can interfere.
    const cwd = mkdtempSync(path.join(tmpdir(), 'chipin-env-'));
    try {
      const envModule = JSON.stringify(new URL('./env.ts', import.meta.url).href);
      const script = `process.chdir(${JSON.stringify(cwd)}); import(${envModule}).then((m) => m.readConfigOrExit());`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: ROOT,
        env: { PORT: 'abc' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(child.status).toBe(1);
      expect(child.stdout).toBe('');
      expect(child.stderr).toBe(
        'chipin: invalid configuration: PORT: must be an integer from 0 to 65535 (got "abc")\n',
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
