import { describe, expect, it } from 'vitest';
import { readLive } from '../../../core/live/index.js';
import { layerFixture, replyOf } from '../../../test/support/layer.js';
import { chatEvents } from '../../../test/support/events.js';
import { parseRedPacket } from './grammar.js';
import { Input, type ParseContext } from '../grammar/index.js';
import type { Actor, ChatRef, Effect } from '../types.js';

const f = layerFixture();

const GROUP: ChatRef = { platform: 'telegram', chatId: '-100888', kind: 'group', title: 'Family' };
const { person, command, press } = chatEvents({ firstId: 8_300_000, keyPrefix: 'tg:8', group: GROUP });

type Live = Extract<Effect, { type: 'live' }>;
type Answer = Extract<Effect, { type: 'answer' }>;

const effectsOf = async (actor: Actor, text: string, chat?: ChatRef) =>
  (await f.layer.handle(command(actor, text, chat))).effects;
const say = async (actor: Actor, text: string, chat?: ChatRef) => replyOf(await effectsOf(actor, text, chat));
const answer = async (actor: Actor, actionId: string): Promise<Answer> => {
  const found = (await f.layer.handle(press(actor, actionId))).effects.find((e): e is Answer => e.type === 'answer');
  if (!found) throw new Error('no answer');
  return found;
};

async function funded(name: string, amount: string, languageCode = 'en'): Promise<Actor> {
  const actor = person(name, languageCode);
  await say(actor, `/faucet ${amount}`, { platform: 'telegram', chatId: actor.userId, kind: 'private' });
  return actor;
}

async function balance(actor: Actor): Promise<string> {
  return (await say(actor, '/balance')).message.text;
}

describe('/redpacket in a group chat', () => {
  it('posts a live card with a Claim button; people who never started the bot claim their share with one tap', async () => {
    const ann = await funded('ann', '100');
    const sent = await effectsOf(ann, '/redpacket 10 3 happy new year');
    const card = sent.find((e): e is Live => e.type === 'live');
    expect(card?.message.text).toContain('🧧 Red packet from ann: 10.00 USD in 3 random shares.');
    expect(card?.message.text).toContain('Claimed 0/3 · 10.00 USD left');
    expect(card?.message.text).toContain('happy new year');
    const claimButton = card?.message.buttons?.[0]?.[0];
    expect(claimButton?.label).toBe('🧧 Claim');
    const claimId = claimButton?.actionId ?? '';

    // Ben and Chen have never written to the bot: pressing makes them known, and the share is in their wallet.
    const [ben, chen] = [person('ben'), person('chen')];
    const gotBen = await answer(ben, claimId);
    expect(gotBen.text).toMatch(/^🧧 You got \d+\.\d{2} USD from ann’s red packet!$/);
    const gotChen = await answer(chen, claimId);
    expect(gotChen.text).toMatch(/^🧧 You got \d+\.\d{2} USD/);
    const benAmount = /(\d+\.\d{2}) USD/.exec(gotBen.text ?? '')?.[1];
    expect(await balance(ben)).toContain(`${benAmount} USD`);

    // The sender cannot claim; nobody claims twice; nothing moves either way.
    expect(await answer(ann, claimId)).toMatchObject({
      text: 'This is your own red packet: it is for the others.',
      alert: true,
    });
    expect((await answer(ben, claimId)).text).toBe('You already pressed this.');
    expect(await balance(ann)).toContain('90.00 USD');

    // The card follows (the job each claim scheduled; no workers here): who got how much.
    const packetId = BigInt((card?.ref ?? '').split(':')[1] ?? '0');
    await f.core.redpackets.refresh(f.database.db, packetId);
    const live = await readLive(f.database.db, card?.ref ?? '');
    expect(live?.view.template.params?.claimed).toBe('2');
    expect(live?.view.template.params?.claims).toContain(`ben — ${benAmount} USD`);

    // The last share: the card names the luckiest and loses its button.
    const dan = person('dan');
    expect((await answer(dan, claimId)).text).toMatch(/^🧧 You got/);
    await f.core.redpackets.refresh(f.database.db, packetId);
    const done = await readLive(f.database.db, card?.ref ?? '');
    expect(done?.view.template.params).toMatchObject({ reason: 'done', claimed: '3' });
    expect(done?.view.template.params?.luckiest).toMatch(/^(ben|chen|dan) — \d+\.\d{2} USD$/);
    expect(done?.view.template.buttons).toBeUndefined();
    expect((await answer(person('eve'), claimId)).text).toBe('Too late: every share of this red packet is taken.');
  });

  it('speaks Chinese: 均分, 元 and 个', async () => {
    const mei = await funded('mei', '100元', 'zh-hans');
    const sent = await effectsOf(mei, '/redpacket 100元 10个 新年快乐 均分');
    const card = sent.find((e): e is Live => e.type === 'live');
    expect(card?.message.text).toContain('🧧 mei 的红包：100.00 CNY，共 10 份，均分。');
    expect(card?.message.buttons?.[0]?.[0]?.label).toBe('🧧 抢');
    const got = await answer(person('li', 'zh-hans'), card?.message.buttons?.[0]?.[0]?.actionId ?? '');
    expect(got.text).toBe('🧧 你抢到了 mei 的红包 10.00 CNY！');
  });

  it('refuses bad input and a short wallet with one line, changing nothing', async () => {
    const ann = await funded('ann', '5');
    const refusals: Array<[string, string]> = [
      ['/redpacket', 'Try /redpacket 100 10 happy new year'],
      ['/redpacket 10', 'Try /redpacket 100 10 happy new year'],
      ['/redpacket 10 many', 'Try /redpacket 100 10 happy new year'],
      ['/redpacket 10 0', 'A red packet has 1 to 1000 shares'],
      ['/redpacket 100 1001', 'A red packet has 1 to 1000 shares'],
      ['/redpacket 0.05 10', 'That total is too small for so many shares'],
      ['/redpacket -5 2', 'Negative amounts'],
      ['/redpacket 10 2', 'Not enough money for this red packet'],
    ];
    for (const [text, expected] of refusals) {
      const r = await say(ann, text);
      expect(r.refusal, text).toBe(true);
      expect(r.message.text, text).toContain(expected);
      expect(r.message.text.split('\n'), text).toHaveLength(1);
    }
    const inPrivate = await say(ann, '/redpacket 1 2', { platform: 'telegram', chatId: ann.userId, kind: 'private' });
    expect(inPrivate.message.text).toBe('Red packets are for group chats: send it in the group it is for.');
    expect(await balance(ann)).toContain('5.00 USD');
  });
});

describe('the /redpacket grammar', () => {
  const context: ParseContext = { defaultCurrency: 'USD', max: f.config.maxAmount, now: new Date(), timeZone: 'UTC' };
  const parse = (args: string) =>
    parseRedPacket(new Input({ ...command(person('x'), `/redpacket ${args}`), args }), context);

  it('reads the total, the count, a note and the mode word at either end', () => {
    expect(parse('100 10 happy new year equal')).toMatchObject({
      amount: { minor: 100_00n, currency: 'USD' },
      count: 10,
      mode: 'equal',
      note: 'happy new year',
    });
    expect(parse('USD 20 4')).toMatchObject({ amount: { minor: 20_00n }, count: 4, mode: 'random' });
    expect(parse('¥88 8份 拼手气 恭喜发财')).toMatchObject({
      amount: { currency: 'CNY' },
      count: 8,
      mode: 'random',
      note: '恭喜发财',
    });
    expect(parse('１００ １０')).toMatchObject({ count: 10 });
  });

  it('reads Discord options', () => {
    const event = {
      ...command(person('x'), '/redpacket'),
      options: { amount: '30', count: 3, note: 'hi', equal: true },
    };
    expect(parseRedPacket(new Input(event), context)).toEqual({
      name: 'redpacket',
      amount: { minor: 30_00n, currency: 'USD' },
      count: 3,
      mode: 'equal',
      note: 'hi',
    });
  });
});
