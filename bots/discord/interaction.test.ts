import { describe, expect, it } from 'vitest';
import { DiscordInteractions } from '../../test/fakes/discord-api.js';
import { t } from '../i18n/index.js';
import { slashCommands } from './commands.js';
import { EPHEMERAL, parseInteraction } from './interaction.js';
import { actionRows, renderMessage } from './render.js';
import { checkSignature, publicKeyFromHex } from './signature.js';

const interactions = new DiscordInteractions('100000000000000001');
const alice = interactions.user('200000000000000001', 'alice', 'Alice A.');
const bob = interactions.user('200000000000000002', 'bob.b');
const guild = { guildId: '300000000000000001', channelId: '400000000000000001' };

describe('interaction → event (the one mapping of both transports)', () => {
  it('a slash command with a USER option becomes a command event with the user as an Actor', () => {
    const raw = interactions.command(alice, 'pay', { user: bob, amount: '12.50', note: 'lunch' }, guild);
    const read = parseInteraction(raw);
    expect(read).toMatchObject({
      kind: 'event',
      ref: { id: raw.id, token: raw.token, applicationId: interactions.applicationId },
      initial: { type: 5 },
      ephemeral: false,
      event: {
        type: 'command',
        key: `dc:${raw.id}`,
        command: 'pay',
        actor: { platform: 'discord', userId: alice.id, username: 'alice', displayName: 'Alice A.', isBot: false },
        chat: { platform: 'discord', chatId: guild.channelId, kind: 'group', guildId: guild.guildId },
        options: { amount: '12.50', note: 'lunch', user: { userId: bob.id, username: 'bob.b', displayName: 'bob.b' } },
        mentions: [{ user: { userId: bob.id } }],
      },
    });
  });

  it('private commands defer ephemerally; a DM is a private chat', () => {
    const read = parseInteraction(interactions.command(alice, 'balance', {}, { channelId: '5' }));
    expect(read).toMatchObject({
      kind: 'event',
      initial: { type: 5, data: { flags: EPHEMERAL } },
      ephemeral: true,
      event: { chat: { kind: 'private', chatId: '5' } },
    });
    expect(read.kind === 'event' && read.event.chat.guildId).toBeUndefined();
  });

  it('a subcommand is the first word of the arguments (`/settings language zh` reads like Telegram)', () => {
    const read = parseInteraction(interactions.command(alice, 'settings', { value: 'zh' }, guild, 'language'));
    expect(read).toMatchObject({ kind: 'event', event: { command: 'settings', args: 'language zh' } });
  });

  it('a button press carries the opaque custom_id, the message it is on and its order (the interaction id); deferred as an update', () => {
    const raw = interactions.button(bob, 'a'.repeat(22), '500', guild);
    const read = parseInteraction(raw);
    expect(read).toMatchObject({
      kind: 'event',
      initial: { type: 6 },
      event: { type: 'button', actionId: 'a'.repeat(22), messageId: '500', actor: { userId: bob.id }, order: raw.id },
    });
  });

  it('PING is a ping; anything malformed is ignored, never thrown', () => {
    expect(parseInteraction(interactions.ping())).toEqual({ kind: 'ping' });
    expect(parseInteraction(null)).toMatchObject({ kind: 'ignored' });
    expect(parseInteraction({ type: 2, id: 'x' })).toMatchObject({ kind: 'ignored' });
    const unresolved = interactions.command(alice, 'pay', { user: bob, amount: '1' }, guild);
    delete (unresolved.data as { resolved?: unknown }).resolved;
    expect(parseInteraction(unresolved)).toMatchObject({ kind: 'ignored', reason: 'unresolved user option' });
    expect(parseInteraction({ ...interactions.button(bob, 'x', '1', guild), type: 4 })).toMatchObject({
      kind: 'ignored',
      reason: 'autocomplete',
    });
  });
});

describe('messages for Discord', () => {
  it('never lets text ping anyone, cuts at 2000 characters and puts the buttons on the last piece', () => {
    const pieces = renderMessage(
      { text: `@everyone ${'x'.repeat(2500)}`, buttons: [[{ label: 'Pay', actionId: 'id1' }]] },
      { ephemeral: true },
    );
    expect(pieces).toHaveLength(2);
    for (const { body } of pieces) {
      expect(body.allowed_mentions).toEqual({ parse: [] });
      expect(body.flags).toBe(EPHEMERAL);
      expect(body.content.length).toBeLessThanOrEqual(2000);
    }
    expect(pieces[0]?.body.components).toBeUndefined();
    expect(pieces[1]?.body.components?.[0]?.components[0]).toMatchObject({ custom_id: 'id1', label: 'Pay' });
  });

  it('action rows hold at most 5 buttons; a custom_id over 100 characters is a bug that fails loudly', () => {
    const seven = Array.from({ length: 7 }, (_, i) => ({ label: `b${i}`, actionId: `id${i}` }));
    expect(actionRows([seven]).map((row) => row.components.length)).toEqual([5, 2]);
    expect(() => actionRows([[{ label: 'x', actionId: 'y'.repeat(101) }]])).toThrow(RangeError);
  });

  it('a document is an attachment of the message', () => {
    const [piece] = renderMessage(
      { text: 'Your history', document: { filename: 'history.csv', mime: 'text/csv', content: 'a,b\n' } },
      { ephemeral: true },
    );
    expect(piece?.body.attachments).toEqual([{ id: 0, filename: 'history.csv' }]);
    expect(piece?.files[0]?.data.toString()).toBe('a,b\n');
  });
});

describe('slash commands', () => {
  it('amounts are STRING options, names and descriptions are localized, /faucet only in demo mode', () => {
    const commands = slashCommands({ demoMoney: false });
    const names = commands.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['pay', 'request', 'balance', 'history', 'export', 'settings', 'link']),
    );
    expect(names).not.toContain('faucet');
    expect(slashCommands({ demoMoney: true }).map((c) => c.name)).toContain('faucet');
    const pay = commands.find((c) => c.name === 'pay')!;
    expect(pay.options?.map((o) => [o.name, o.type])).toEqual([
      ['user', 6],
      ['amount', 3],
      ['note', 3],
    ]);
    expect(pay.description_localizations?.['zh-CN']).toBe(t('zh-CN', 'commands.pay'));
    const settings = commands.find((c) => c.name === 'settings')!;
    expect(settings.options?.map((o) => [o.name, o.type])).toEqual([
      ['show', 1],
      ['language', 1],
      ['timezone', 1],
      ['quiet', 1],
      ['confirm', 1],
    ]);
    for (const command of commands) expect(command.description.length).toBeLessThanOrEqual(100);
  });
});

describe('request signatures', () => {
  const key = publicKeyFromHex(interactions.publicKeyHex);
  const body = JSON.stringify(interactions.ping());
  const now = Date.now();

  it('accepts Discord’s signature and refuses forgeries, mutations, stale timestamps and garbage', () => {
    const headers = interactions.sign(body);
    const check = (b: string, h: Record<string, string | undefined>, at = now) =>
      checkSignature({
        key,
        signature: h['x-signature-ed25519'],
        timestamp: h['x-signature-timestamp'],
        body: Buffer.from(b),
        now: at,
      });
    expect(check(body, headers)).toEqual({ ok: true });
    expect(check(`${body} `, headers)).toEqual({ ok: false, reason: 'mismatch' });
    expect(
      check(body, { ...headers, 'x-signature-timestamp': String(Number(headers['x-signature-timestamp']) + 1) }),
    ).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(check(body, new DiscordInteractions('1').sign(body))).toEqual({ ok: false, reason: 'mismatch' });
    expect(check(body, { ...headers, 'x-signature-ed25519': 'zz' })).toEqual({ ok: false, reason: 'malformed' });
    expect(check(body, {})).toEqual({ ok: false, reason: 'missing' });
    const old = interactions.sign(body, String(Math.floor(now / 1000) - 6 * 60));
    expect(check(body, old)).toEqual({ ok: false, reason: 'stale' });
  });
});
