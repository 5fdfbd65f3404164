/** A shared /every through the command layer, against the real core and Postgres: card, Accept taps, /schedules, /cancel. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/env.js';
import { audit, createCore, type Core } from '../../../core/index.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { chatEvents } from '../../../test/support/events.js';
import { createCommandLayer } from '../layer.js';
import type { Actor, ChatRef, CommandLayer, Effect, OutMessage } from '../types.js';

const config = loadConfig({ NODE_ENV: 'test', DEMO_MONEY: '1' });

let database: TestDatabase;
let core: Core;
let layer: CommandLayer;

beforeAll(async () => {
  database = await createTestDatabase(6);
  core = createCore({ db: database.db, config });
  layer = createCommandLayer({ core, config });
});

afterAll(async () => {
  expect((await audit(database.db)).violations).toEqual([]);
  await database.drop();
});

const GROUP: ChatRef = { platform: 'telegram', chatId: '-100888', kind: 'group', title: 'Siblings' };
const { person, command, press } = chatEvents({ firstId: 8_300_000, keyPrefix: 'tg:8', group: GROUP });

function messageOf(effects: Effect[], type: 'reply' | 'edit'): OutMessage {
  const found = effects.find((e) => e.type === type);
  if (!found || !('message' in found)) throw new Error(`no ${type} in ${JSON.stringify(effects)}`);
  return found.message;
}
const say = async (actor: Actor, text: string, chat?: ChatRef) =>
  messageOf((await layer.handle(command(actor, text, chat))).effects, 'reply');
const answerOf = (effects: Effect[]) => effects.find((e) => e.type === 'answer');

describe('a shared /every through the command layer', () => {
  it('shows a card with an Accept button per sibling, waits for each, starts on the last tap; any sibling can cancel', async () => {
    const [ann, ben, chen, mum] = [person('ann'), person('ben'), person('chen'), person('mum')];
    for (const who of [ann, ben, chen, mum])
      await say(who, '/faucet 1', { platform: 'telegram', chatId: who.userId, kind: 'private' });
    await say(ann, '/fund new parents');
    await say(ann, `/fund members parents add @${ben.username}`);
    await say(ann, `/fund members parents add @${chen.username}`);

    const card = await say(
      ann,
      `/every @${mum.username} 600 monthly on 1 from parents shares @${ann.username}:1 @${ben.username}:1 @${chen.username}:2`,
    );
    expect(card.text).toContain('600.00 USD to mum');
    expect(card.text).toContain('fund “parents”');
    expect(card.text).toContain('⏳ chen: 300.00 USD (2/4)');
    const buttons = card.buttons?.flat() ?? [];
    expect(buttons.map((b) => b.label)).toEqual([
      'Accept: ann (150.00 USD)',
      'Accept: ben (150.00 USD)',
      'Accept: chen (300.00 USD)',
    ]);
    const [annButton = '', benButton = '', chenButton = ''] = buttons.map((b) => b.actionId);

    // Mum is not a payer: Ben's button is not hers.
    const refused = await layer.handle(press(mum, benButton));
    expect(answerOf(refused.effects)).toMatchObject({ type: 'answer', alert: true });
    expect(refused.effects.some((e) => e.type === 'edit')).toBe(false);

    const afterBen = messageOf((await layer.handle(press(ben, benButton))).effects, 'edit');
    expect(afterBen.text).toContain('Waiting for: ann, chen.');
    expect(afterBen.buttons?.flat().map((b) => b.actionId)).toEqual([annButton, chenButton]);
    const list = await say(chen, '/schedules');
    expect(list.text).toContain('600.00 USD to mum, monthly on day 1 — waiting for ann, chen to accept');
    expect(list.text).toContain('shared (fund “parents”): ann 150.00 USD, ben 150.00 USD, chen 300.00 USD');

    await layer.handle(press(ann, annButton));
    const on = messageOf((await layer.handle(press(chen, chenButton))).effects, 'edit');
    expect(on.text).toMatch(/^✅ Shared recurring transfer #(\d+) is on: 600\.00 USD to mum/);
    expect(on.buttons ?? []).toEqual([]);
    const id = /#(\d+)/.exec(on.text)?.[1] ?? '';
    expect((await say(ben, '/schedules')).text).toContain('monthly on day 1 — active');

    expect((await say(mum, `/cancel ${id}`)).text).toContain('Only the person who pays');
    expect((await say(ben, `/cancel ${id}`)).text).toContain(`#${id}`);
    const told = await database.db.query<{ person: string }>(
      `SELECT payload ->> 'personId' AS person FROM outbox WHERE key LIKE $1 ORDER BY id`,
      [`notify:schedule:${id}:cancelled:%`],
    );
    expect(told.rows.length).toBe(2);
  });
});
