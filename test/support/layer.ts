/**
 * The command layer over a fresh test database, for tests that drive it with events (test/support/events.ts): built
 * before the file's tests, its ledger audited and the database dropped after them.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { createCommandLayer } from '../../bots/commands/layer.js';
import type { CommandLayer, Effect } from '../../bots/commands/types.js';
import { loadConfig, type Config } from '../../config/env.js';
import { audit, createCore, type Core } from '../../core/index.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface LayerFixture {
  config: Config;
  database: TestDatabase;
  core: Core;
  layer: CommandLayer;
}

/** Registers the file's setup and teardown; the fields are there once its tests run. */
export function layerFixture(options: { pool?: number } = {}): LayerFixture {
  const f = { config: loadConfig({ NODE_ENV: 'test', DEMO_MONEY: '1' }) } as LayerFixture;
  beforeAll(async () => {
    f.database = await createTestDatabase(options.pool ?? 6);
    f.core = createCore({ db: f.database.db, config: f.config });
    f.layer = createCommandLayer({ core: f.core, config: f.config });
  });
  afterAll(async () => {
    expect((await audit(f.database.db)).violations).toEqual([]);
    await f.database.drop();
  });
  return f;
}

/** The reply among a handled event's effects (a test fails without one). */
export function replyOf(effects: Effect[]): Extract<Effect, { type: 'reply' }> {
  const found = effects.find((e): e is Extract<Effect, { type: 'reply' }> => e.type === 'reply');
  if (!found) throw new Error(`no reply in ${JSON.stringify(effects)}`);
  return found;
}
