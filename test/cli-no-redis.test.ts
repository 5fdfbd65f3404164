/**
 * `npm start` on a laptop with neither DATABASE_URL nor Redis: embedded PGlite, and the timed work in-process over
 * the Postgres outbox (one process, every role). The machine running the tests has Redis on 127.0.0.1:6379, so the
 * test points the probe elsewhere with REDIS_LOCAL_URL (accepted only with NODE_ENV=test: a port nothing listens on)
 * and gives chipin a PATH without redis-server: that is what chipin sees on such a laptop.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanUp,
  freePort,
  logLines,
  nonEmptyLines,
  runChipin,
  spawnChipin,
  tempDir,
  type Chipin,
} from './support/chipin.js';
import { waitFor } from './support/workers.js';

const IN_PROCESS =
  /^no Redis found \(REDIS_URL is unset, nothing answers on 127\.0\.0\.1:\d+, redis-server is not on PATH\): timed work runs in this process over the Postgres outbox; one process only/;

interface Message {
  text: string;
  from: { type: string };
  origin?: string;
  buttons?: Array<Array<{ label: string }>>;
}

describe('chipin start without DATABASE_URL and without Redis', () => {
  const cwd = tempDir('no-redis');
  const dataDir = path.join(cwd, 'data');
  let env: Record<string, string>;
  let app: Chipin;
  let base: string;

  beforeAll(async () => {
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: '0',
      DATA_DIR: dataDir,
      DEMO_MONEY: '1',
      ADMIN_TOKEN: 'admin-secret',
      REDIS_LOCAL_URL: `redis://127.0.0.1:${String(await freePort())}`,
      PATH: tempDir('path-without-redis'),
    };
  });
  afterAll(cleanUp);

  it('chipin start --workers alone exits 1 with one line: no other process could run the other roles', async () => {
    // PGlite opens first (a second process must fail on its lock before touching anything): this takes a while.
    const run = await runChipin(['start', '--workers'], env, cwd);
    expect(run.code).toBe(1);
    const lines = nonEmptyLines(run.stderr).filter((line) => !line.startsWith('{'));
    expect(lines).toEqual([
      expect.stringMatching(/^chipin: chipin start --workers needs Redis: .* one process runs every role/),
    ]);
    expect(lines[0]).toContain('install Redis or set REDIS_URL');
  }, 120_000);

  it('starts on PGlite, saying once that timed work runs in-process and why', async () => {
    app = spawnChipin(['start'], env, cwd);
    const started = await app.logLine('chipin started');
    expect(started.roles).toEqual(['http', 'bots', 'workers']);
    base = `http://127.0.0.1:${String(started.port)}`;
    expect((await app.logLine('workers started')).driver).toBe('in-process');
    const said = logLines(app.stderr).filter((entry) => IN_PROCESS.test(String(entry.msg)));
    expect(said).toHaveLength(1);
    expect(said[0]?.level).toBe(40); // warn: worth seeing, not an error
  });

  it('delivers timed work: a request reaches the payer privately through the in-process notifications', async () => {
    const post = async (route: string, body: unknown) => {
      const res = await fetch(`${base}/sandbox/api/${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBeLessThan(300);
      return (await res.json()) as Record<string, unknown>;
    };
    const user = async (username: string) =>
      ((await post('users', { username, displayName: username, language: 'en' })) as { user: { id: string } }).user.id;
    const alice = await user('alice');
    const bob = await user('bob');
    const chats = async (userId: string) =>
      (
        (await (await fetch(`${base}/sandbox/api/chats?userId=${userId}`)).json()) as {
          chats: Array<{ id: string; kind: string }>;
        }
      ).chats;
    const group = (await chats(alice)).find((c) => c.kind === 'group')?.id;
    const aliceDm = (await chats(alice)).find((c) => c.kind === 'private')?.id;
    expect(group).toBeDefined();
    expect(aliceDm).toBeDefined();

    await post('send', { userId: alice, chatId: group, text: '/faucet 100' });
    await post('send', { userId: bob, chatId: group, text: '/request @alice 5 coffee' });

    const ask = await waitFor('the request in alice’s private chat', async () => {
      const res = await fetch(`${base}/sandbox/api/chats/${String(aliceDm)}/messages?after=0`);
      const { messages } = (await res.json()) as { messages: Message[] };
      return messages.find((m) => m.from.type === 'bot' && m.text.includes('5.00 USD'));
    });
    expect(ask.origin).toBe('notification'); // the outbox's notify row, delivered by the in-process queue
    expect(ask.buttons?.flat().map((b) => b.label)).toEqual(['Pay', 'Decline']);
  });

  it('is ready without Redis, counts its in-process queues on /metrics, and /admin/queues says there is no board', async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok' } });

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^chipin_queue_jobs\{queue="expiry",state="delayed"\} \d+$/m);

    const auth = { authorization: `Basic ${Buffer.from('ops:admin-secret').toString('base64')}` };
    const board = await fetch(`${base}/admin/queues`, { headers: auth });
    expect(board.status).toBe(404);
    expect(((await board.json()) as { error: string }).error).toMatch(
      /without Redis the timed work runs in this process/,
    );
    const dead = await fetch(`${base}/admin/queues/api/dead-letters`, { headers: auth });
    expect(dead.status).toBe(200);
    expect(((await dead.json()) as { queues: Record<string, unknown> }).queues).toHaveProperty('expiry');
  });

  it('a second chipin start on the same DATA_DIR exits 1 with one line about the lock', async () => {
    const second = await runChipin(['start'], env, cwd);
    expect(second.code).toBe(1);
    const lines = nonEmptyLines(second.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/lock/);
    expect(lines[0]).toContain(`pid ${String(app.child.pid)}`);
  });

  it('stops cleanly on SIGTERM', async () => {
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.stderr).toMatch(/"msg":"workers stopped"/);
    expect(app.stderr).toMatch(/"msg":"stopped"/);
  });
});
