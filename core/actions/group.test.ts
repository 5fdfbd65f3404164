import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT, coreFixture, person, sleep, type CoreFixture } from '../../test/support/core.js';
import { isMember, seenInChats } from '../groups/index.js';
import type { Person } from '../people/index.js';
import type { PressOutcome } from '../index.js';
import {
  bindMessages,
  closeGroupAction,
  createGroupAction,
  groupButtonId,
  tally,
  type GroupActionHandler,
  type GroupPressResult,
  type NewGroupAction,
} from './index.js';

/** A demo kind for these tests only: members of the chat may press, its creator may not. */
const DEMO: GroupActionHandler = {
  kind: 'demo.count',
  eligible: async (tx, action, personId) =>
    personId !== action.createdBy &&
    (await isMember(tx, { platform: action.platform, chatId: action.chatId, personId })),
};

let f: CoreFixture;
let creator: Person;
beforeAll(async () => {
  f = await coreFixture({}, 10);
  f.core.groupActions.register(DEMO);
  creator = await person(f.core, 'creator_grp');
});
afterAll(async () => {
  await f.t.drop();
});

type Mode = { mode: 'once' } | { mode: 'vote'; options: number };

const create = (mode: Mode = { mode: 'once' }, overrides: Partial<NewGroupAction> = {}) =>
  f.db.transaction((tx) =>
    createGroupAction(tx, {
      kind: 'demo.count',
      payload: { demo: true },
      platform: CHAT.platform,
      chatId: CHAT.chatId,
      createdBy: creator.id,
      ttlMs: 60_000,
      ...mode,
      ...overrides,
    } as NewGroupAction),
  );

/** Members of CHAT, created in bulk: the concurrency tests need a thousand of them. */
async function members(n: number): Promise<Person[]> {
  const r = await f.db.query(
    `INSERT INTO people (display_name, last_platform)
     SELECT 'Member ' || g, 'telegram' FROM generate_series(1, $1::int) g RETURNING id, display_name`,
    [n],
  );
  const people: Person[] = r.rows.map((row) => ({
    id: BigInt(String(row.id)),
    displayName: String(row.display_name),
    locale: null,
    timezone: null,
    quietHours: null,
    confirmThresholdMinor: null,
    lastPlatform: 'telegram',
  }));
  await f.db.query(`INSERT INTO chat_members (platform, chat_id, person_id) SELECT $1, $2, unnest($3::bigint[])`, [
    CHAT.platform,
    CHAT.chatId,
    people.map((p) => p.id),
  ]);
  return people;
}

/** A press as the command layer makes it: through core.press, in a transaction of its own. */
const press = (who: Person, data: string, chat = CHAT, messageId?: string): Promise<PressOutcome> =>
  f.db.transaction((tx) =>
    f.core.press(tx, {
      actionId: data,
      person: who,
      platform: chat.platform,
      chatId: chat.chatId,
      ...(messageId ? { messageId } : {}),
    }),
  );

function resultOf(outcome: PressOutcome): GroupPressResult {
  if (outcome.type !== 'group') throw new Error(`not a group press: ${JSON.stringify(outcome.type)}`);
  return outcome.result;
}
const errorOf = (outcome: PressOutcome) => {
  const r = resultOf(outcome);
  return r.ok ? 'ok' : r.error;
};

describe('a button many people may press once each', () => {
  it('1,000 different people pressing at once are all counted, exactly once each', async () => {
    const action = await create();
    const people = await members(1000);
    const results = (await Promise.all(people.map((p) => press(p, action.id)))).map(resultOf);
    expect(results.filter((r) => r.ok && r.first)).toHaveLength(1000);
    const final = await tally(f.db, action.id);
    expect(final.counts).toEqual([1000]);
    expect(new Set(final.pressers.map((p) => p.personId))).toEqual(new Set(people.map((p) => p.id)));
  });

  it('one person pressing five times at once is counted once', async () => {
    const action = await create();
    const [who] = await members(1);
    const results = await Promise.all(Array.from({ length: 5 }, () => press(who!, action.id)));
    expect(results.map(errorOf).sort()).toEqual([
      'AlreadyPressed',
      'AlreadyPressed',
      'AlreadyPressed',
      'AlreadyPressed',
      'ok',
    ]);
    expect((await tally(f.db, action.id)).counts).toEqual([1]);
  });

  it('the feature decides who may press: here not its creator and not a stranger to the chat', async () => {
    const action = await create();
    const stranger = await person(f.core, 'stranger_grp');
    expect(errorOf(await press(creator, action.id))).toBe('NotEligible');
    expect(errorOf(await press(stranger, action.id))).toBe('NotEligible');
    await seenInChats(f.db, [{ ...CHAT, personId: stranger.id }]);
    expect(errorOf(await press(stranger, action.id))).toBe('ok');
  });

  it('a press from another chat or another message, after expiry, or with a forged choice is refused', async () => {
    const action = await create();
    const [who] = await members(1);
    expect(errorOf(await press(who!, action.id, { platform: 'telegram', chatId: '-42' }))).toBe('WrongChat');
    expect(errorOf(await press(who!, groupButtonId(action.id, 1)))).toBe('Unknown');
    await bindMessages(f.db, [{ ids: [action.id], chat: CHAT, messageId: '77' }]);
    expect(errorOf(await press(who!, action.id, CHAT, '78'))).toBe('WrongChat');
    expect(errorOf(await press(who!, action.id, CHAT, '77'))).toBe('ok');

    const brief = await create({ mode: 'once' }, { ttlMs: 1 });
    await sleep(20);
    expect(errorOf(await press(who!, brief.id))).toBe('Expired');
  });

  it('an id nobody issued is refused as unknown, as single-person buttons are', async () => {
    const [who] = await members(1);
    for (const forged of ['AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAA.1', 'x']) {
      expect(await press(who!, forged)).toEqual({ type: 'refused', error: 'Unknown' });
    }
  });
});

describe('a vote', () => {
  it('counts only each voter’s last choice, and not a vote taken back', async () => {
    const action = await create({ mode: 'vote', options: 3 });
    const [ann, ben, cat] = await members(3);
    const vote = (who: Person, choice: number | null) =>
      f.db.transaction((tx) => f.core.groupActions.vote(tx, { id: action.id, choice, personId: who.id, ...CHAT }));
    expect(resultOf(await press(ann!, groupButtonId(action.id, 0)))).toMatchObject({ ok: true, first: true });
    expect(resultOf(await press(ann!, groupButtonId(action.id, 2)))).toMatchObject({ ok: true, first: false });
    expect(resultOf(await press(ben!, groupButtonId(action.id, 1)))).toMatchObject({ ok: true, first: true });
    expect((await vote(ben!, null))?.result).toMatchObject({ ok: true, choice: null });
    expect(resultOf(await press(cat!, groupButtonId(action.id, 2)))).toMatchObject({ ok: true });
    expect(resultOf(await press(cat!, groupButtonId(action.id, 2)))).toMatchObject({ ok: true, first: false });

    const final = await tally(f.db, action.id);
    expect(final.counts).toEqual([0, 0, 2]);
    expect(final.pressers.map((p) => [p.personId, p.choice])).toEqual([
      [ann!.id, 2],
      [cat!.id, 2],
    ]);
  });

  it('a quick Yes → No keeps No even when the Yes is processed last (the platform’s delivery order decides)', async () => {
    const action = await create({ mode: 'vote', options: 2 });
    const [ann, ben] = await members(2);
    const vote = (who: Person, choice: number | null, order?: bigint) =>
      f.db.transaction((tx) =>
        f.core.groupActions.vote(tx, {
          id: action.id,
          choice,
          personId: who.id,
          ...CHAT,
          ...(order !== undefined ? { order } : {}),
        }),
      );
    // Ann: Yes (update 100), No (101), Yes again (102), processed 100, 102, 101 → Yes.
    await vote(ann!, 0, 100n);
    await vote(ann!, 0, 102n);
    expect((await vote(ann!, 1, 101n))?.result).toMatchObject({ ok: true });
    // Ben: Yes (update 200) then No (201) by button, processed No first → No; a button press carries its order too.
    await f.db.transaction((tx) =>
      f.core.press(tx, { actionId: groupButtonId(action.id, 1), person: ben!, ...CHAT, order: 201n }),
    );
    await f.db.transaction((tx) =>
      f.core.press(tx, { actionId: groupButtonId(action.id, 0), person: ben!, ...CHAT, order: 200n }),
    );
    const final = await tally(f.db, action.id);
    expect(final.pressers.map((p) => [p.personId, p.choice])).toEqual([
      [ann!.id, 0],
      [ben!.id, 1],
    ]);
    // A retraction delivered late does not undo a newer vote either; a newer one does.
    await vote(ann!, null, 99n);
    expect((await tally(f.db, action.id)).counts).toEqual([1, 1]);
    await vote(ann!, null, 103n);
    expect((await tally(f.db, action.id)).counts).toEqual([0, 1]);
  });

  it('a choice outside its options is refused', async () => {
    const action = await create({ mode: 'vote', options: 2 });
    const [who] = await members(1);
    expect(errorOf(await press(who!, groupButtonId(action.id, 2)))).toBe('Unknown');
    expect(errorOf(await press(who!, action.id))).toBe('Unknown');
  });
});

/** Resolves once `n` sessions of this database wait on a lock. */
async function lockWaiters(n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await f.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
      [f.t.name],
    );
    if (Number(r.rows[0]?.n) >= n) return;
    if (Date.now() > deadline) throw new Error(`fewer than ${n} sessions wait on a lock`);
    await sleep(10);
  }
}

describe('closing', () => {
  it('a close waits for a press in flight and counts it; a press behind the close is refused', async () => {
    const action = await create();
    const [ann, ben] = await members(2);
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let pressed = (): void => undefined;
    const inFlight = new Promise<void>((resolve) => (pressed = resolve));
    const first = f.db.transaction(async (tx) => {
      const out = await f.core.press(tx, { actionId: action.id, person: ann!, ...CHAT });
      pressed();
      await gate; // not committed yet
      return out;
    });
    await inFlight;
    const close = f.db.transaction(async (tx) => ({
      closed: (await closeGroupAction(tx, action.id))?.state,
      counted: (await tally(tx, action.id)).counts,
    }));
    await lockWaiters(1); // the close waits for the press in flight…
    const behind = press(ben!, action.id);
    await lockWaiters(2); // …and a later press queues behind the close, not ahead of it
    release();
    expect(errorOf(await first)).toBe('ok');
    expect(await close).toEqual({ closed: 'closed', counted: [1] });
    expect(errorOf(await behind)).toBe('Closed');
  });

  it('races with presses: exactly one close wins, nothing counts after it, later presses are refused', async () => {
    const action = await create({ mode: 'vote', options: 2 });
    const people = await members(60);
    const closes: Array<Promise<{ closed: boolean; counted: number }>> = [];
    const presses = people.map((p, i) => {
      // Closes fire in the middle of the presses, each reading the tally right after its close.
      if (i % 20 === 10)
        closes.push(
          f.db.transaction(async (tx) => ({
            closed: (await closeGroupAction(tx, action.id)) !== undefined,
            counted: (await tally(tx, action.id)).pressers.length,
          })),
        );
      return press(p, groupButtonId(action.id, i % 2));
    });
    const results = (await Promise.all(presses)).map(resultOf);
    const closed = await Promise.all(closes);
    expect(closed.filter((c) => c.closed)).toHaveLength(1);
    const accepted = results.filter((r) => r.ok).length;
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.error === 'Closed')).toBe(true);
    // The winning close saw every press that was accepted: none slipped in after it.
    expect(closed.find((c) => c.closed)?.counted).toBe(accepted);
    expect((await tally(f.db, action.id)).pressers).toHaveLength(accepted);
    const late = await Promise.all(people.map((p, i) => press(p, groupButtonId(action.id, (i + 1) % 2))));
    expect(late.map(errorOf)).toEqual(Array(people.length).fill('Closed'));
    expect((await tally(f.db, action.id)).pressers).toHaveLength(accepted);
    expect(await f.db.transaction((tx) => closeGroupAction(tx, action.id))).toBeUndefined();
  });
});
