import { actionIdOf } from '../render.js';
import { describe, expect, it } from 'vitest';
import { layerFixture, replyOf } from '../../../test/support/layer.js';
import { chatEvents } from '../../../test/support/events.js';
import type { Actor, ChatRef, CommandLayer, Effect, OutMessage } from '../types.js';

const f = layerFixture();

let chats = 0;
const newGroup = (): ChatRef => ({ platform: 'telegram', chatId: `-100888${(chats += 1)}`, kind: 'group' });
const { person, command, press } = chatEvents({ firstId: 8_300_000, keyPrefix: 'tg:collect', group: newGroup() });

const effectsOf = async (actor: Actor, text: string, chat: ChatRef) =>
  (await f.layer.handle(command(actor, text, chat))).effects;
const liveOf = (effects: Effect[]) => {
  const found = effects.find((e): e is Extract<Effect, { type: 'live' }> => e.type === 'live');
  if (!found) throw new Error(`no card in ${JSON.stringify(effects)}`);
  return found;
};
const buttonOf = (message: OutMessage, label: string): string => {
  const found = message.buttons?.flat().find((b) => b.label === label);
  if (!found) throw new Error(`no ${label} button in ${JSON.stringify(message)}`);
  return actionIdOf(found);
};
/** A button press in `chat`. */
const tap = async (actor: Actor, actionId: string, chat: ChatRef) =>
  (await f.layer.handle({ ...press(actor, actionId), chat } as Parameters<CommandLayer['handle']>[0])).effects;
const cardText = async (ref: string, locale = 'en') => {
  const r = await f.database.db.query(`SELECT view FROM live_messages WHERE ref = $1`, [ref]);
  const view = r.rows[0]?.view as { template: { params: Record<string, string> }; locale: string };
  expect(view.locale).toBe(locale);
  return view.template.params;
};

/** People in `chat` (the bot has seen them there), with demo money. */
async function inChat(chat: ChatRef, names: string[], amount = '100', languageCode = 'en'): Promise<Actor[]> {
  const people: Actor[] = [];
  for (const name of names) {
    const actor = person(name, languageCode);
    if (amount !== '0')
      await f.layer.handle(
        command(actor, `/faucet ${amount}`, { platform: 'telegram', chatId: actor.userId, kind: 'private' }),
      );
    await f.layer.handle({ type: 'seen', actor, chat });
    people.push(actor);
  }
  return people;
}

describe('/collect in a group chat', () => {
  it('posts one card; each person pays with one tap; the card shows who paid', async () => {
    const chat = newGroup();
    const [ann, ben, chen, dan] = await inChat(chat, ['ann', 'ben', 'chen', 'dan']);
    const posted = liveOf(await effectsOf(ann!, '/collect 10 class dues', chat));
    expect(posted.message.text).toContain('ann is collecting for “class dues” → ann');
    expect(posted.message.text).toContain('Collected 0.00 USD of 30.00 USD · 0/3 paid');
    expect(posted.message.text).toContain('◻ ben 10.00 USD');
    const pay = buttonOf(posted.message, 'Pay');

    expect(await tap(ben!, pay, chat)).toEqual([{ type: 'answer', text: '✓ Paid 10.00 USD to ann for “class dues”.' }]);
    expect(await tap(ben!, pay, chat)).toMatchObject([{ type: 'answer', text: 'You already pressed this.' }]);
    const params = await cardText(posted.ref);
    expect(params.roster).toContain('✓ ben 10.00 USD');
    expect(params.paid).toBe('1');

    // The collector's buttons are the collector's only.
    expect(await tap(chen!, buttonOf(posted.message, 'Close'), chat)).toMatchObject([
      { type: 'answer', text: 'This button is not for you.', alert: true },
    ]);
    expect(await tap(ann!, buttonOf(posted.message, 'Remind unpaid'), chat)).toEqual([
      { type: 'answer', text: '🔔 Reminded 2 people who have not paid yet.' },
    ]);
    expect(await tap(ann!, buttonOf(posted.message, 'Remind unpaid'), chat)).toMatchObject([
      { type: 'answer', alert: true, text: 'You reminded everyone less than an hour ago. Try again later.' },
    ]);

    expect(replyOf(await effectsOf(ann!, `/collect excuse @${dan!.username}`, chat)).message.text).toMatch(
      /^⊘ dan is let off #\d+ \(10\.00 USD\)/,
    );
    expect(await tap(ann!, buttonOf(posted.message, 'Close'), chat)).toEqual([
      { type: 'answer', text: '🔒 Closed. Collected 10.00 USD.' },
    ]);
    expect(await tap(chen!, pay, chat)).toMatchObject([{ type: 'answer', text: 'Too late: this is closed.' }]);
    expect((await cardText(posted.ref)).reason).toBe('closed');
  });

  it('a payer short of money is told kindly; above their threshold a tap asks to confirm privately', async () => {
    const chat = newGroup();
    const [ann] = await inChat(chat, ['ann']);
    const [poor] = await inChat(chat, ['poor'], '0');
    const [rich] = await inChat(chat, ['rich'], '500');
    const posted = liveOf(await effectsOf(ann!, `/collect 50 trip @${poor!.username} @${rich!.username}`, chat));
    const pay = buttonOf(posted.message, 'Pay');
    expect(await tap(poor!, pay, chat)).toEqual([
      {
        type: 'answer',
        alert: true,
        text: 'Not enough money in your wallet for this yet — top it up (/balance) and tap Pay again.',
      },
    ]);
    const asked = await tap(rich!, pay, chat);
    expect(asked[0]).toEqual({ type: 'answer' });
    const confirm = replyOf(asked);
    expect(confirm).toMatchObject({ private: true, message: { text: 'Pay 50.00 USD to ann for “trip”?' } });
    expect(await tap(rich!, buttonOf(confirm.message, 'Confirm'), chat)).toEqual([
      { type: 'answer', text: 'Done ✅' },
      { type: 'edit', message: { text: '✓ Paid 50.00 USD to ann for “trip”.' } },
    ]);
    expect((await cardText(posted.ref)).roster).toContain('✓ rich 50.00 USD');
  });

  it('/split: the bill shared with the collector, the extra cent to the collector', async () => {
    const chat = newGroup();
    const [ann, ben, chen] = await inChat(chat, ['ann', 'ben', 'chen']);
    const dinner = liveOf(await effectsOf(ann!, `/split 60 dinner @${ben!.username} @${chen!.username}`, chat));
    expect(dinner.message.text).toContain('◻ ben 20.00 USD\n◻ chen 20.00 USD');
    expect(dinner.message.text).toContain('of 40.00 USD');
    const coffee = liveOf(await effectsOf(ann!, `/split 10 coffee @${ben!.username} @${chen!.username}`, chat));
    expect(coffee.message.text).toContain('◻ ben 3.33 USD\n◻ chen 3.33 USD');
    const perPerson = liveOf(await effectsOf(ann!, `/collect dinner @${ben!.username} 30 @${chen!.username} 20`, chat));
    expect(perPerson.message.text).toContain('◻ ben 30.00 USD\n◻ chen 20.00 USD');
  });

  it('in Chinese, and bad input gets one line that changes nothing', async () => {
    const chat = newGroup();
    const [li, wang] = await inChat(chat, ['li', 'wang'], '100', 'zh-CN');
    const card = liveOf(await effectsOf(li!, '/collect 50 班费 每人', chat));
    expect(card.message.text).toContain('li 发起收款：“班费” → li');
    expect(card.message.text).toContain('◻ wang 50.00 USD');
    expect(card.message.buttons?.flat().map((b) => b.label)).toEqual(['付款', '提醒未付', '结束收款']);
    const split = liveOf(await effectsOf(li!, `/split 60 晚饭 @${wang!.username}`, chat));
    expect(split.message.text).toContain('◻ wang 30.00 USD');

    const before = await f.database.db.query(`SELECT count(*)::int AS n FROM collections`);
    const refused = replyOf(await effectsOf(li!, '/collect 20', chat));
    expect(refused).toMatchObject({ refusal: true, message: { text: '收款事由是什么？例如：/collect 20 班费' } });
    const dm = { platform: 'telegram' as const, chatId: li!.userId, kind: 'private' as const };
    expect(replyOf(await effectsOf(li!, '/collect 20 班费', dm)).message.text).toBe(
      '群收款要在群里发起：请到要收款的群里使用。',
    );
    expect(replyOf(await effectsOf(wang!, '/split 60 dinner', chat)).message.text).toBe(
      '和谁分账？例如：/split 60 晚饭 @ann @ben',
    );
    expect(replyOf(await effectsOf(li!, '/collect 20 dues into nofund', chat)).message.text).toContain(
      '本群没有这个名字的基金',
    );
    const after = await f.database.db.query(`SELECT count(*)::int AS n FROM collections`);
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it('on Discord: slash command options, and the card’s buttons', async () => {
    const channel: ChatRef = { platform: 'discord', chatId: '990001', kind: 'group', guildId: '77' };
    const discordUser = (userId: string, name: string): Actor => ({
      platform: 'discord',
      userId,
      username: name,
      displayName: name,
      isBot: false,
    });
    const [ann, ben, chen] = [discordUser('7001', 'ann'), discordUser('7002', 'ben'), discordUser('7003', 'chen')];
    for (const who of [ben, chen])
      await f.layer.handle({
        type: 'command',
        key: `dc:faucet:${who.userId}`,
        actor: who,
        chat: { platform: 'discord', chatId: `dm${who.userId}`, kind: 'private' },
        command: 'faucet',
        args: '100',
        mentions: [],
        options: { amount: '100' },
      });
    const slash = (key: string, command: string, args: string, options: Record<string, string | Actor>) =>
      f.layer.handle({ type: 'command', key, actor: ann, chat: channel, command, args, mentions: [], options });
    const posted = liveOf(
      (
        await slash('dc:c1', 'collect', 'new 90 trip', {
          amount: '90',
          reason: 'trip',
          split: 'total',
          user1: ben,
          user2: chen,
        })
      ).effects,
    );
    expect(posted.message.text).toContain('◻ ben 45.00 USD\n◻ chen 45.00 USD');
    const pay = buttonOf(posted.message, 'Pay');
    const tapped = await f.layer.handle({ type: 'button', key: 'dc:b1', actor: chen, chat: channel, actionId: pay });
    expect(tapped.effects[0]).toEqual({ type: 'answer' });
    const confirm = replyOf(tapped.effects);
    const done = await f.layer.handle({
      type: 'button',
      key: 'dc:b2',
      actor: chen,
      chat: { platform: 'discord', chatId: `dm${chen.userId}`, kind: 'private' },
      actionId: buttonOf(confirm.message, 'Confirm'),
    });
    expect(done.effects).toContainEqual({ type: 'edit', message: { text: '✓ Paid 45.00 USD to ann for “trip”.' } });
    expect((await cardText(posted.ref)).roster).toContain('✓ chen 45.00 USD');
    const split = liveOf(
      (await slash('dc:s1', 'split', '30 lunch', { amount: '30', note: 'lunch', person1: ben, person2: chen })).effects,
    );
    expect(split.message.text).toContain('◻ ben 10.00 USD\n◻ chen 10.00 USD');
  });
});
