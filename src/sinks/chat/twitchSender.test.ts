/** The Twitch sender against the fake Helix over real HTTP, signed in through chatflow's Twitch auth service. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BOT, FAKE_STREAMER, FakeTwitchHelix, fakeTwitchNow } from '../../../test/fakes/twitchHelix.js';
import { tempDirs } from '../../../test/support/tempDirs.js';
import { twitchChatAuth } from '../../../test/support/twitchChat.js';
import { silentLogger } from '../../core/logger.js';
import type { TwitchAccountRole } from '../../core/twitchAuth.js';
import { helixBase, TwitchSender } from './twitchSender.js';

let fake: FakeTwitchHelix;
const dirs = tempDirs();
beforeAll(async () => {
  fake = await FakeTwitchHelix.start();
});
afterAll(async () => {
  await fake.close();
  await dirs.removeAll();
});

async function sender(options: { scopes?: string[]; as?: TwitchAccountRole; wallClock?: () => number } = {}) {
  const as = options.as ?? 'bot';
  const { service, accessToken } = await twitchChatAuth(fake, await dirs.make('chatflow-chat-'), {
    role: as,
    user: as === 'bot' ? FAKE_BOT : FAKE_STREAMER,
    ...(options.scopes ? { scopes: options.scopes } : {}),
  });
  return {
    sender: new TwitchSender({ auth: service, as, wallClock: options.wallClock ?? fakeTwitchNow, logger: silentLogger() }),
    accessToken,
  };
}

const message = (text: string, extra: { replyTo?: string; channel?: string } = {}) => ({
  platform: 'twitch' as const,
  channel: extra.channel ?? 'streamer',
  text,
  ...(extra.replyTo ? { replyTo: extra.replyTo } : {}),
});

describe('TwitchSender (fake Helix)', () => {
  it('sends as the bot into the channel, threaded under the message it answers; looks the channel up once', async () => {
    const { sender: s } = await sender();
    const before = fake.count('GET', '/users');
    expect(await s.send(message('cutoff set to 0.7', { replyTo: 'msg-1' }))).toMatchObject({ kind: 'sent', id: expect.any(String) });
    expect(await s.send(message('second reply'))).toMatchObject({ kind: 'sent' });
    expect(fake.chatMessages.slice(-2)).toMatchObject([
      { broadcaster_id: FAKE_STREAMER.id, sender_id: FAKE_BOT.id, message: 'cutoff set to 0.7', reply_parent_message_id: 'msg-1' },
      { broadcaster_id: FAKE_STREAMER.id, sender_id: FAKE_BOT.id, message: 'second reply' },
    ]);
    expect(fake.chatMessages.at(-1)).not.toHaveProperty('reply_parent_message_id');
    expect(fake.count('GET', '/users') - before).toBe(1);
  });

  it('reads its standing from Twitch: 20 per 30 s as a viewer, 100 as a moderator or the broadcaster', async () => {
    const { sender: s } = await sender();
    expect(await s.standing('streamer', undefined)).toMatchObject({ role: 'viewer', limits: { perWindow: 20, windowMs: 30_000 } });
    fake.moderators.set(FAKE_STREAMER.id, new Set([FAKE_BOT.id]));
    try {
      expect(await s.standing('streamer', undefined)).toMatchObject({ role: 'moderator', limits: { perWindow: 100 } });
    } finally {
      fake.moderators.clear();
    }
    const { sender: owner } = await sender({ as: 'broadcaster' });
    expect(await owner.standing('streamer', undefined)).toMatchObject({ role: 'broadcaster', limits: { perWindow: 100 } });
  });

  it('without the scope to read it, assumes the lower limit', async () => {
    const { sender: s } = await sender({ scopes: ['user:write:chat'] });
    fake.moderators.set(FAKE_STREAMER.id, new Set([FAKE_BOT.id]));
    try {
      expect(await s.standing('streamer', undefined)).toMatchObject({ role: 'viewer', limits: { perWindow: 20 } });
    } finally {
      fake.moderators.clear();
    }
  });

  it('a refused message (is_sent: false) comes back with its drop_reason; a rate-limit refusal waits a window and re-reads the standing', async () => {
    const { sender: s } = await sender();
    expect(await s.send(message('same text'))).toMatchObject({ kind: 'sent' });
    expect(await s.send(message('same text'))).toMatchObject({ kind: 'refused', reason: 'msg_duplicate' });
    fake.dropChat = 1;
    expect(await s.send(message('automod me'))).toMatchObject({ kind: 'refused', reason: expect.any(String) });
    let outcome = await s.send(message('filler 0'));
    for (let i = 1; outcome.kind === 'sent' && i < 30; i += 1) outcome = await s.send(message(`filler ${i}`));
    expect(outcome).toEqual({ kind: 'refused', reason: 'msg_ratelimit', detail: expect.any(String), retryAfterMs: 30_000, relimit: true });
  });

  it('a 429 waits until Ratelimit-Reset', async () => {
    const { sender: s } = await sender({ wallClock: () => 1_999_999_990_000 });
    expect(await s.send(message('before', { channel: 'chatflow_bot' }))).toMatchObject({ kind: 'sent' });
    fake.rateLimit(1, 2_000_000_000);
    expect(await s.send(message('after the reset', { channel: 'chatflow_bot' }))).toMatchObject({
      kind: 'refused',
      reason: 'http_429',
      retryAfterMs: 10_000,
    });
  });

  it('a token without user:write:chat is refused as missing_scope', async () => {
    const { sender: s } = await sender({ scopes: ['user:read:moderated_channels'] });
    expect(await s.send(message('hello'))).toMatchObject({ kind: 'refused', reason: 'missing_scope' });
  });

  it('an expired token is refreshed once and the message sent', async () => {
    const { sender: s, accessToken } = await sender();
    fake.expireAccess(accessToken);
    expect(await s.send(message('after a refresh', { channel: 'chatflow_bot' }))).toMatchObject({ kind: 'sent' });
  });

  it('a message over 500 characters is refused as too_long (the sink never sends one)', async () => {
    const { sender: s } = await sender();
    expect(await s.send(message('x'.repeat(501), { channel: 'chatflow_bot' }))).toMatchObject({ kind: 'refused', reason: 'too_long' });
  });

  it('an unknown channel fails the send (retried by the sink)', async () => {
    const { sender: s } = await sender();
    await expect(s.send(message('hi', { channel: 'nobody_here' }))).rejects.toThrow(/no channel "nobody_here"/);
  });
});

describe('helixBase', () => {
  it("is Twitch's Helix, or a local server's /helix", () => {
    expect(helixBase('https://api.twitch.tv/helix')).toBe('https://api.twitch.tv/helix');
    expect(helixBase('http://localhost:1234')).toBe('http://localhost:1234/helix');
  });
});
