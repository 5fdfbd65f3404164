/**
 * The sandbox web chat in a real browser against the real app: `chipin start` as a child process on a fresh
 * Postgres database (DEMO_MONEY=1, NODE_ENV=test), driven by Debian's chromium through playwright-core. Two
 * users pay, request and check their balances by typing commands and pressing buttons in the page; the
 * request's Pay button arrives as a notification through the outbox, the workers and the sandbox sender.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { t } from '../../bots/i18n/index.js';
import { cleanUp, spawnChipin, tempDir, type Chipin } from '../support/chipin.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startOwnRedis, type OwnRedis } from '../support/workers.js';

const CHROMIUM = '/usr/bin/chromium';
type Box = { x: number; y: number; width: number; height: number };
const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.warn(`test/e2e/sandbox.test.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

describe.skipIf(!hasChromium)('the sandbox web chat in chromium', () => {
  let database: TestDatabase;
  let redis: OwnRedis;
  let app: Chipin;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    database = await createTestDatabase(4);
    // Redis of the test's own: BullMQ's queue prefix is fixed, and another test's app must not take our jobs.
    redis = await startOwnRedis();
    const cwd = tempDir('sandbox-e2e');
    app = spawnChipin(
      ['start'],
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        PORT: '0',
        DATA_DIR: path.join(cwd, 'data'),
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        DEMO_MONEY: '1',
      },
      cwd,
    );
    const started = await app.logLine('chipin started');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(20_000);
    await page.goto(`http://127.0.0.1:${String(started.port)}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await cleanUp();
    await redis?.stop();
    await database?.drop();
  });

  const messages = (): Locator => page.getByTestId('messages').getByTestId('message');
  /** The bot's last message in the open chat containing `text`, once it is there. */
  const botMessage = async (text: string | RegExp): Promise<Locator> => {
    const found = page
      .locator('[data-testid="messages"] [data-testid="message"][data-from="bot"]')
      .filter({ hasText: text })
      .last();
    await found.waitFor();
    return found;
  };
  const pointer = (username: string): string => t('en', 'private.dm_sent', { name: `@${username}` });

  async function createUser(username: string, displayName: string): Promise<void> {
    await page.getByTestId('new-username').fill(username);
    await page.getByTestId('new-display-name').fill(displayName);
    await page.getByTestId('create-user').click();
    await page.locator(`[data-testid="user-${username}"][aria-current="true"]`).waitFor();
  }

  async function actAs(username: string, chat: 'group' | 'dm'): Promise<void> {
    await page.getByTestId(`user-${username}`).click();
    await page.locator(`[data-testid="user-${username}"][aria-current="true"]`).waitFor();
    await page.getByTestId(`chat-${chat}`).click();
    await page.locator(`[data-testid="chat-${chat}"][aria-current="true"]`).waitFor();
  }

  async function type(text: string): Promise<void> {
    const before = await messages().count();
    await page.getByTestId('composer-input').fill(text);
    await page.getByTestId('composer-send').click();
    // The typed message shows up, and the send button comes back once the command layer has answered.
    await messages().nth(before).waitFor();
    await page.locator('[data-testid="composer-send"]:not([disabled])').waitFor();
  }

  /** Presses the button `label` of `message`; resolves with the toast that answers it. */
  async function press(message: Locator, label: string): Promise<string> {
    const toast = page.getByTestId('toast');
    const seq = Number((await toast.getAttribute('data-seq')) ?? '0');
    await message.getByTestId('message-button').filter({ hasText: label }).click();
    const answer = page.locator(`[data-testid="toast"][data-seq="${seq + 1}"]`);
    await answer.waitFor();
    return (await answer.textContent()) ?? '';
  }

  /** Where `locator` is on screen; it must be shown. */
  async function boxOf(locator: Locator): Promise<Box> {
    const box = await locator.boundingBox();
    if (!box) throw new Error(`${locator.toString()} is not on screen`);
    return box;
  }

  const apart = (a: Box, b: Box): boolean =>
    a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;

  /**
   * What the toast on screen covers: the last message's time or Reply link, the message list, the composer (its
   * command hints, the input, Send). A toast has a place of its own: it covers none of them.
   */
  async function coveredByToast(): Promise<string[]> {
    const toast = await boxOf(page.getByTestId('toast'));
    const last = messages().last();
    const around = {
      'last message time': last.locator('.meta > span').last(),
      'last message Reply link': last.getByRole('button', { name: /^Reply to / }),
      'message list': page.getByTestId('messages'),
      composer: page.getByRole('form', { name: 'Send a message' }),
    };
    const covered: string[] = [];
    for (const [name, locator] of Object.entries(around)) if (!apart(toast, await boxOf(locator))) covered.push(name);
    return covered;
  }

  it('plays pay, request and balance between alice and bob by typing and pressing, and saves a screenshot', async () => {
    await expect(page.title()).resolves.toBe('chipin sandbox');
    await createUser('alice', 'Alice');
    await createUser('bob', 'Bob');

    await actAs('alice', 'group');
    await type('/faucet 100');
    await botMessage(pointer('alice'));

    // A display name typed instead of a mention: the bot suggests the person it knows here, and pays no one.
    await type('/pay Bob 12.50');
    await botMessage(t('en', 'parse.MissingRecipientMeant', { username: 'bob', command: 'pay', args: '@bob 12.50' }));

    // Above the threshold, a card says who holds @bob and where the bot has seen them: alice checks it and confirms.
    await type('/pay @bob 25 lunch');
    const card = await botMessage('Send 25.00 USD to Bob (@bob, in this chat since ');
    expect(await press(card, 'Confirm')).toBe(t('en', 'action.done'));
    // The toast leaves the last message's time and Reply link in sight, and goes when bob takes over.
    expect(await coveredByToast()).toEqual([]);
    const list = await boxOf(page.getByTestId('messages'));
    const replyLink = await boxOf(
      messages()
        .last()
        .getByRole('button', { name: /^Reply to / }),
    );
    expect(replyLink.y + replyLink.height).toBeLessThanOrEqual(list.y + list.height);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'sandbox-toast.png') });
    await actAs('bob', 'group');
    expect(await page.getByTestId('toast').isVisible()).toBe(false);
    const receipt = await botMessage('Sent 25.00 USD to Bob');
    expect(await receipt.getByTestId('message-text').textContent()).toContain('25.00 USD');
    expect(await receipt.getByTestId('message-button').allTextContents()).not.toContain('Confirm');

    await type('/request @alice 5 coffee');
    await botMessage('Asked Alice for 5.00 USD');

    // The request reaches alice privately, with Pay and Decline, through the notifications worker.
    await actAs('alice', 'dm');
    const ask = await botMessage(/5\.00 USD/);
    expect(await ask.getByTestId('message-button').allTextContents()).toEqual(['Pay', 'Decline']);
    expect(await press(ask, 'Pay')).toBe(t('en', 'action.done'));
    await botMessage('You paid 5.00 USD to Bob');

    await actAs('alice', 'group');
    await type('/balance');
    await actAs('bob', 'group');
    await type('/balance');
    await botMessage(pointer('bob'));

    await actAs('bob', 'dm');
    expect(await (await botMessage('Your balance')).textContent()).toContain('30.00 USD available');
    await actAs('alice', 'dm');
    const balance = await botMessage('Your balance');
    expect(await balance.textContent()).toContain('70.00 USD available');

    await page.screenshot({ path: path.join(OUTPUT, 'sandbox.png'), fullPage: true });
    await actAs('alice', 'group');
    await page.screenshot({ path: path.join(OUTPUT, 'sandbox-group.png'), fullPage: true });
  });

  it('says beside each field of the new-user form what is wrong with it, before and after asking the server', async () => {
    const usernameError = page.getByTestId('new-username-error');
    const displayNameError = page.getByTestId('new-display-name-error');
    await page.getByTestId('new-username').fill('Bad Name!');
    await page.getByTestId('new-display-name').fill('  ');
    await page.getByTestId('create-user').click();
    expect(await usernameError.textContent()).toBe('Username: 1–32 of a–z, 0–9 and _');
    expect(await displayNameError.textContent()).toBe('Display name is required');
    expect(await page.getByTestId('new-username').getAttribute('aria-invalid')).toBe('true');

    // The server's refusal lands beside the field it names: alice is taken.
    await page.getByTestId('new-username').fill('alice');
    await page.getByTestId('new-display-name').fill('Another Alice');
    await page.getByTestId('create-user').click();
    await page.locator('[data-testid="new-username-error"]', { hasText: 'already has this username' }).waitFor();
    expect(await displayNameError.isVisible()).toBe(false);
    expect(await page.getByTestId('create-user-error').textContent()).toBe('');
  });
});
