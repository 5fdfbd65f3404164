import { actionIdOf } from '../render.js';
import { describe, expect, it } from 'vitest';
import { layerFixture, replyOf } from '../../../test/support/layer.js';
import { chatEvents } from '../../../test/support/events.js';
import type { Actor, ChatRef, Effect } from '../types.js';

const f = layerFixture();

const GROUP: ChatRef = { platform: 'telegram', chatId: '-100818', kind: 'group', title: 'Flatmates' };
const { person, command, press } = chatEvents({ firstId: 8_300_000, keyPrefix: 'tg:18', group: GROUP });

const say = async (actor: Actor, text: string, chat?: ChatRef) =>
  replyOf((await f.layer.handle(command(actor, text, chat))).effects);
/** What a press shows: the edited message, or the alert of a refusal. */
const tap = async (actor: Actor, actionId: string, chat: ChatRef = GROUP) => {
  const effects = (await f.layer.handle(press(actor, actionId, chat))).effects;
  const edit = effects.find((e): e is Extract<Effect, { type: 'edit' }> => e.type === 'edit');
  const answer = effects.find((e): e is Extract<Effect, { type: 'answer' }> => e.type === 'answer');
  return edit?.message.text ?? answer?.text ?? '';
};

async function funded(name: string, amount: string, languageCode = 'en'): Promise<Actor> {
  const actor = person(name, languageCode);
  await say(actor, `/faucet ${amount}`, { platform: 'telegram', chatId: actor.userId, kind: 'private' });
  return actor;
}

const actionByRef = async (ref: string) =>
  String((await f.database.db.query(`SELECT id FROM actions WHERE ref = $1`, [ref])).rows[0]?.id);
const lastIou = async () => String((await f.database.db.query(`SELECT max(id) AS id FROM ious`)).rows[0]?.id);
const lastExtension = async () =>
  String((await f.database.db.query(`SELECT max(id) AS id FROM iou_extensions`)).rows[0]?.id);
/** The card a command posts as a live message (the chat's card of a /borrow). */
const card = async (actor: Actor, text: string) => {
  const effects = (await f.layer.handle(command(actor, text))).effects;
  const live = effects.find((e): e is Extract<Effect, { type: 'live' }> => e.type === 'live');
  if (!live) throw new Error(`no live card in ${JSON.stringify(effects)}`);
  return live;
};
const cardShows = async (ref: string) =>
  (await f.database.db.query(`SELECT view FROM live_messages WHERE ref = $1`, [ref])).rows[0]?.view as {
    template: { params: Record<string, string>; buttons?: unknown[] };
  };
/** The buttons of the last DM to `actor` with this template. */
const dmButtons = async (actor: Actor, template: string) => {
  const r = await f.database.db.query(
    `SELECT o.payload FROM outbox o JOIN identities i ON i.person_id = (o.payload ->> 'personId')::bigint
      WHERE o.kind = 'notify' AND o.payload -> 'template' ->> 'key' = $1 AND i.user_id = $2 ORDER BY o.id DESC LIMIT 1`,
    [template, actor.userId],
  );
  const payload = r.rows[0]?.payload as { template: { buttons?: Array<Array<{ actionId: string }>> } } | undefined;
  return payload?.template.buttons?.[0]?.map((b) => b.actionId) ?? [];
};
const balance = async (actor: Actor) => (await say(actor, '/balance')).message.text;

describe('/iou, /repay and /ious through the command layer', () => {
  it('a loan offered, confirmed with one tap, repaid in part, listed, nudged, forgiven, and shown with its history', async () => {
    const ann = await funded('ann', '100');
    const ben = await funded('ben', '10');
    const card = await say(ann, `/iou @${ben.username} 50 in 2 weeks dinner`);
    expect(card.private).toBe(true);
    expect(card.message.text).toMatch(/ann lends ben 50\.00 USD, to repay by \w{3} \d{4}-\d{2}-\d{2}\./);
    expect(card.message.text).toContain('Note: dinner');
    const id = await lastIou();
    // Nothing moves before the borrower confirms.
    expect(await balance(ann)).toContain('100.00 USD available');

    const confirm = await actionByRef(`iou:${id}:confirm`);
    expect(await tap(ann, confirm)).toBe('This button is for someone else.');
    expect(await tap(ben, confirm)).toMatch(/You borrowed 50\.00 USD from ann; it is in your wallet\. Due/);
    expect(await balance(ann)).toContain('50.00 USD available');
    expect(await balance(ben)).toContain('60.00 USD available');

    expect((await say(ben, `/repay @${ann.username} 20`)).message.text).toBe(
      '✅ You repaid ann 20.00 USD. Still owed: 30.00 USD.',
    );
    const over = await say(ben, `/repay @${ann.username} 40`);
    expect(over.refusal).toBe(true);
    expect(over.message.text).toBe('That is more than you owe ann: you owe 30.00 USD.');

    const owe = (await say(ben, '/ious')).message.text;
    expect(owe).toContain('You owe:\n• ann: 30.00 USD');
    expect(owe).toMatch(new RegExp(`#${id} 30\\.00 USD, due \\w{3} \\d{4}-\\d{2}-\\d{2}`));
    const owed = (await say(ann, '/ious')).message.text;
    expect(owed).toContain('You are owed:\n• ben: 30.00 USD');
    expect(owed).toContain('/iou nudge 7 (once a day)');

    expect((await say(ann, `/iou nudge ${id}`)).message.text).toBe(`🔔 Reminded ben of IOU #${id}.`);
    expect((await say(ann, `/iou nudge ${id}`)).message.text).toMatch(/already reminded them today/);
    expect((await say(ben, `/iou nudge ${id}`)).message.text).toBe('Only the other side of this IOU can do that.');

    expect((await say(ann, `/iou forgive ${id} 10`)).message.text).toBe(
      `🎁 You forgave ben 10.00 USD of IOU #${id}. Still owed: 20.00 USD.`,
    );
    const shown = (await say(ben, `/iou show ${id}`)).message.text;
    expect(shown).toMatch(new RegExp(`^IOU #${id}: ann lent ben 50\\.00 USD, due`));
    expect(shown).toContain('Open · still owed 20.00 USD');
    for (const line of [
      'ann offered 50.00 USD, due',
      'ben confirmed',
      'ben repaid 20.00 USD',
      'ann sent a reminder',
      'ann forgave 10.00 USD',
    ])
      expect(shown).toContain(line);
    const stranger = person('cat');
    expect((await say(stranger, `/iou show ${id}`)).message.text).toContain('No such IOU');

    expect((await say(ann, `/iou forgive ${id}`)).message.text).toContain('Still owed: 0.00 USD');
    expect((await say(ben, `/iou show ${id}`)).message.text).toContain('Forgiven · still owed 0.00 USD');
    expect((await say(ben, '/ious')).message.text).toContain('No open IOUs');
  });

  it('the borrower asks for a later date; the lender accepts with a button, and refuses the next', async () => {
    const ann = await funded('ann', '100');
    const ben = person('ben');
    await say(ben, '/balance');
    await say(ann, `/iou @${ben.username} 30 friday record`);
    const id = await lastIou();
    expect(await tap(ben, await actionByRef(`iou:${id}:confirm`))).toMatch(/Recorded: you owe ann 30\.00 USD/);
    expect(await balance(ann)).toContain('100.00 USD available');

    expect((await say(ben, `/iou extend ${id} in 5 weeks`)).message.text).toMatch(
      new RegExp(`Asked ann to move IOU #${id} to \\w{3} \\d{4}-\\d{2}-\\d{2}\\.`),
    );
    expect((await say(ben, `/iou extend ${id} in 6 weeks`)).message.text).toContain('already waiting');
    const first = await lastExtension();
    expect(await tap(ben, await actionByRef(`iou-ext:${first}:accept`))).not.toContain('now due');
    expect(await tap(ann, await actionByRef(`iou-ext:${first}:accept`))).toMatch(
      new RegExp(`IOU #${id} is now due \\w{3} \\d{4}-\\d{2}-\\d{2}; ben has been told\\.`),
    );
    expect((await say(ben, `/iou extend ${id} in 8 weeks`)).message.text).toContain('Asked ann');
    const second = await lastExtension();
    expect(await tap(ann, await actionByRef(`iou-ext:${second}:refuse`))).toBe(
      `IOU #${id} stays due as before; ben has been told.`,
    );
    const shown = (await say(ann, `/iou show ${id}`)).message.text;
    expect(shown).toContain('ben asked to move it to');
    expect(shown).toContain('ann moved it to');
    expect(shown).toContain('ann refused');
    expect((await say(ben, `/iou extend ${id} yesterday`)).message.text).toContain('“yesterday” is in the past');
  });

  it('answers in Chinese, reads Chinese dates, and refuses words it cannot read, naming them', async () => {
    const li = await funded('li', '100', 'zh-CN');
    const wang = person('wang', 'zh-CN');
    await say(wang, '/balance');
    const card = (await say(li, `/iou @${wang.username} 20 下周五 车票`)).message.text;
    expect(card).toMatch(/li 借给 wang 20\.00 USD，\d{4}-\d{2}-\d{2}（周.） 前还。/);
    const id = await lastIou();
    expect(await tap(wang, await actionByRef(`iou:${id}:confirm`))).toContain('你向 li 借了 20.00 USD');
    expect((await say(wang, `/repay @${li.username} 5`)).message.text).toBe('✅ 你还了 li 5.00 USD。还欠：15.00 USD。');
    expect((await say(wang, '/ious')).message.text).toContain('我欠的：\n• li：15.00 USD');

    const ann = await funded('ann', '100');
    const bad = await say(ann, `/iou @${wang.username} 50 fridya dinner`);
    expect(bad.refusal).toBe(true);
    expect(bad.message.text).toContain('“fridya”');
    expect((await say(ann, `/iou @${wang.username} 50`)).message.text).toContain('When is it due?');
    expect((await say(ann, `/repay @${wang.username} 5`)).message.text).toBe(
      'You have no open IOU with them in that currency.',
    );
  });
});

describe('/iou on Discord', () => {
  it('lends through the `lend` subcommand’s options and lists through /ious', async () => {
    const chat: ChatRef = { platform: 'discord', chatId: '9180001', kind: 'group' };
    const user = (id: string, name: string): Actor => ({
      platform: 'discord',
      userId: id,
      username: name,
      displayName: name,
      languageCode: 'en-US',
      isBot: false,
    });
    const [ann, ben] = [user('918000101', 'ann_dc'), user('918000102', 'ben_dc')];
    const slash = (actor: Actor, name: string, args: string, options: Record<string, string | boolean | Actor>) =>
      f.layer.handle({
        type: 'command',
        key: `dc:iou:${name}:${args}`,
        actor,
        chat,
        command: name,
        args,
        mentions: [],
        options,
      });
    await slash(ann, 'faucet', '100', { amount: '100' });
    const lent = replyOf(
      (await slash(ann, 'iou', 'lend 25 in 2 weeks', { user: ben, amount: '25', due: 'in 2 weeks', record: false }))
        .effects,
    );
    expect(lent.private).toBe(true);
    expect(lent.message.text).toMatch(/ann_dc lends ben_dc 25\.00 USD, to repay by \w{3} \d{4}-\d{2}-\d{2}\./);
    const id = await lastIou();
    expect(await tap(ben, await actionByRef(`iou:${id}:confirm`))).toContain('You borrowed 25.00 USD from ann_dc');
    const listed = replyOf((await slash(ben, 'ious', '', {})).effects);
    expect(listed.message.text).toContain('• ann_dc: 25.00 USD');
  });
});

describe('/settle in a group through the command layer', () => {
  it('shows who pays whom and why; each payer approves their own payment; the last tap clears every IOU at once', async () => {
    const ROOM: ChatRef = { platform: 'telegram', chatId: '-100819', kind: 'group', title: 'Trip' };
    const sara = await funded('sara', '100');
    const ann = await funded('annie', '30');
    const ben = await funded('benny', '30');
    for (const [borrower, amount, note] of [
      [ann, '12', 'dinner'],
      [ben, '8', 'taxi'],
    ] as const) {
      await say(sara, `/iou @${borrower.username} ${amount} friday ${note}`, ROOM);
      expect(await tap(borrower, await actionByRef(`iou:${await lastIou()}:confirm`))).toContain('You borrowed');
    }
    // Annie and Benny are in the room too (they have written there).
    await say(ann, '/help', ROOM);
    await say(ben, '/help', ROOM);
    const card = await say(sara, '/settle', ROOM);
    expect(card.private).toBeFalsy();
    expect(card.message.text).toContain('2 IOUs between people here');
    expect(card.message.text).toContain('• annie → sara: 12.00 USD (dinner)');
    expect(card.message.text).toContain('• benny → sara: 8.00 USD (taxi)');
    const buttons = (card.message.buttons ?? []).flat();
    const approve = (payer: string) => actionIdOf(buttons.find((b) => b.label.startsWith(`Approve: ${payer} →`))!);

    expect(await tap(ben, approve('annie'), ROOM)).toBe('This button is for someone else.');
    expect(await tap(ann, approve('annie'), ROOM)).toContain('✓ annie → sara: 12.00 USD (dinner)');
    expect(await balance(ann)).toContain('42.00 USD available');
    expect(await tap(ben, approve('benny'), ROOM)).toContain('✅ Settled up: 2 IOUs cleared');
    expect(await balance(ann)).toContain('30.00 USD available');
    expect(await balance(ben)).toContain('30.00 USD available');
    expect(await balance(sara)).toContain('100.00 USD available');
    expect((await say(sara, '/settle', ROOM)).message.text).toBe(
      'No open IOUs between people in this chat: nothing to settle.',
    );
  });
});

describe('/borrow in a group through the command layer', () => {
  it('shows the borrower’s record and Lend buttons; a friend lends with one tap and it is an IOU; the borrower cannot', async () => {
    const ann = await funded('anna', '100');
    const bo = await funded('bo', '1');
    const posted = await card(bo, '/borrow 50 in 2 weeks rent');
    expect(posted.message.text).toMatch(/bo asks to borrow 50\.00 USD, to repay by/);
    expect(posted.message.text).toContain('Note: rent');
    expect(posted.message.text).toContain('Record: 0 repaid on time, 0 late, 0 still open.');
    const [all, half] = posted.message.buttons?.[0] ?? [];
    expect(all?.label).toBe('Lend all');
    expect(await tap(bo, half?.actionId ?? '')).toBe('You cannot lend to your own ask.');
    expect(await tap(ann, half?.actionId ?? '')).toMatch(
      /You lent bo 25\.00 USD \(IOU #\d+\)\. 25\.00 USD of 50\.00 USD/,
    );
    expect(await balance(bo)).toContain('26.00 USD available');
    const iou = await f.database.db.query(`SELECT source, state FROM ious WHERE id = $1`, [await lastIou()]);
    expect(iou.rows[0]).toEqual({ source: 'borrow', state: 'open' });
    // The chat's card follows: what came in and what is still needed.
    expect((await cardShows(posted.ref)).template.params).toMatchObject({
      funded: '25.00 USD',
      rest: '25.00 USD',
      open: '0',
    });
    const askId = /ask #(\d+)/.exec(posted.message.text)?.[1] ?? '';
    expect(posted.message.text).toContain(`/lend ${askId} amount`);
    expect(all?.actionId).toBeDefined();
    // A custom amount: more than is left is capped at the rest.
    expect((await say(ann, `/lend ${askId} 100`)).message.text).toMatch(
      /You lent bo 25\.00 USD \(IOU #\d+\)\. 50\.00 USD of 50\.00 USD is in\.\n.*fully funded/,
    );
    expect(await balance(bo)).toContain('51.00 USD available');
    expect((await cardShows(posted.ref)).template.params).toMatchObject({ funded: '50.00 USD', reason: 'funded' });
    expect((await cardShows(posted.ref)).template.buttons).toBeUndefined();
    expect(
      (await say(bo, '/borrow 10 tomorrow', { platform: 'telegram', chatId: bo.userId, kind: 'private' })).message.text,
    ).toBe(
      'Ask to borrow in a group chat, where friends can see it, or name the friends to ask: /borrow 50 friday @ann.',
    );
  });

  it('named friends are asked in a DM with buttons only they can press; nobody else can lend to it', async () => {
    const ann = await funded('annf', '100');
    const cai = await funded('caif', '100');
    const dan = await funded('danf', '100');
    const bo = await funded('bof', '1');
    const reply = await say(bo, `/borrow 30 in 2 weeks rent @${ann.username} @${cai.username}`);
    expect(reply.message.text).toMatch(
      /^🙏 Asked annf, caif privately for 30\.00 USD, to repay by .* \(ask #(\d+)\)\./,
    );
    expect(reply.message.buttons).toBeUndefined();
    const askId = /ask #(\d+)/.exec(reply.message.text)?.[1] ?? '';
    const [annAll] = await dmButtons(ann, 'borrow.asked');
    const [, caiHalf] = await dmButtons(cai, 'borrow.asked');
    expect(await tap(dan, annAll ?? '', { platform: 'telegram', chatId: dan.userId, kind: 'private' })).toBe(
      'This button is for someone else.',
    );
    expect(await tap(cai, caiHalf ?? '', { platform: 'telegram', chatId: cai.userId, kind: 'private' })).toMatch(
      /You lent bof 15\.00 USD \(IOU #\d+\)\. 15\.00 USD of 30\.00 USD is in\./,
    );
    const stranger = await say(dan, `/lend ${askId} 5`);
    expect(stranger.message.text).toBe('This ask went to the friends it names: only they can lend to it.');
    expect(await tap(ann, annAll ?? '', { platform: 'telegram', chatId: ann.userId, kind: 'private' })).toMatch(
      /You lent bof 15\.00 USD .*30\.00 USD of 30\.00 USD is in\./,
    );
    expect(await balance(bo)).toContain('31.00 USD available');
  });

  it('a friend the bot does not know is refused by name and nobody is asked', async () => {
    const ann = await funded('anng', '100');
    const bo = await funded('bog', '1');
    const before = (await f.database.db.query(`SELECT count(*)::int AS n FROM borrow_asks`)).rows[0]?.n;
    const refused = await say(bo, `/borrow 30 in 2 weeks @${ann.username} @nobody_here_zz`);
    expect(refused.refusal).toBe(true);
    expect(refused.message.text).toBe(
      'I don’t know @nobody_here_zz yet: they have to send me a message first. Nobody was asked.',
    );
    expect((await f.database.db.query(`SELECT count(*)::int AS n FROM borrow_asks`)).rows[0]?.n).toBe(before);
    expect(await dmButtons(ann, 'borrow.asked')).toEqual([]);
  });
});
