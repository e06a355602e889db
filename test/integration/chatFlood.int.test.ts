/**
 * The chat sink under a flood, against each platform's fake send endpoint over real HTTP, in
 * virtual time (the fakes' limits read the same virtual clock): 1,000 commands from 50 viewers
 * in 10 s, two of them moderators. The platform refuses nothing; every viewer gets a fair share;
 * moderators' answers go first; the platform's limit, not the sink, is the bottleneck.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKickSend } from '../fakes/kickSend.js';
import { FAKE_BOT, FAKE_STREAMER, FakeTwitchHelix } from '../fakes/twitchHelix.js';
import { FakeYoutubeSend } from '../fakes/youtubeSend.js';
import { CHAT_START, chatRun } from '../support/chatRun.js';
import { tempDirs } from '../support/tempDirs.js';
import { twitchChatAuth } from '../support/twitchChat.js';
import { KICK_AUTH, type KickAuth } from '../../src/core/kickAuth.js';
import { YOUTUBE_AUTH, type YoutubeAuth } from '../../src/core/youtubeAuth.js';
import type { Platform, ReplyEvent, ReplyPriority, Role } from '../../src/core/events.js';
import { provide } from '../../src/core/services.js';
import { TWITCH_AUTH } from '../../src/core/twitchAuth.js';

let twitch: FakeTwitchHelix;
let youtube: FakeYoutubeSend;
let kick: FakeKickSend;
const dirs = tempDirs();
beforeAll(async () => {
  [twitch, youtube, kick] = await Promise.all([FakeTwitchHelix.start(), FakeYoutubeSend.start(), FakeKickSend.start()]);
});
afterAll(async () => {
  await Promise.all([twitch.close(), youtube.close(), kick.close()]);
  await dirs.removeAll();
});

const VIEWERS = 50;
const COMMANDS = 1000;
const MODS = new Set(['v00', 'v01']);

interface Target {
  readonly channel: string;
  /** Sets the fake's clock, returns the providers of the run. */
  readonly setup: (now: () => number) => Promise<Parameters<typeof chatRun>[1]>;
  readonly config: Record<string, unknown>;
  readonly sent: () => { text: string; at: number }[];
  readonly refusals: () => string[];
  /** Messages per 30 s the platform allows the bot here. */
  readonly perWindow: number;
}

const TARGETS: Record<Platform, Target> = {
  twitch: {
    channel: FAKE_STREAMER.login,
    setup: async (now) => {
      twitch.chatNow = now;
      twitch.moderators.set(FAKE_STREAMER.id, new Set([FAKE_BOT.id]));
      const { service } = await twitchChatAuth(twitch, await dirs.make('chatflow-flood-'));
      return [provide(TWITCH_AUTH, service)];
    },
    config: {},
    sent: () => twitch.chatMessages.map((m) => ({ text: m.message, at: m.at })),
    refusals: () => twitch.chatRefusals,
    perWindow: 100,
  },
  youtube: {
    channel: 'live-chat-id',
    setup: async (now) => {
      youtube.now = now;
      return [provide(YOUTUBE_AUTH, { accessToken: async () => 'yt-token' } as unknown as YoutubeAuth)];
    },
    // At 20 per 30 s, 60 s is only 60 messages: replies may wait 5 minutes here.
    config: { twitch: { enabled: false }, youtube: { api_url: '' }, queue: { max_age: '5m' } },
    sent: () => youtube.messages.map((m) => ({ text: m.text, at: m.at })),
    refusals: () => youtube.refusals,
    perWindow: 20,
  },
  kick: {
    channel: 'streamer',
    setup: async (now) => {
      kick.now = now;
      return [provide(KICK_AUTH, { accessToken: async () => 'kick-token' } as unknown as KickAuth)];
    },
    config: { twitch: { enabled: false }, kick: { api_url: '' }, queue: { max_age: '5m' } },
    sent: () => kick.messages.map((m) => ({ text: m.content, at: m.at })),
    refusals: () => kick.refusals,
    perWindow: 20,
  },
};

describe('chat sink: a flood of 1,000 commands from 50 viewers in 10 s', () => {
  it.each(['twitch', 'youtube', 'kick'] as const)('%s: never refused, fair share within one, moderators first, the platform kept busy', async (platform) => {
    const target = TARGETS[platform];
    const config = structuredClone(target.config) as Record<string, Record<string, unknown>>;
    if (platform === 'youtube') (config.youtube as Record<string, unknown>).api_url = youtube.api;
    if (platform === 'kick') (config.kick as Record<string, unknown>).api_url = kick.api;
    let clock = () => CHAT_START;
    const provided = await target.setup(() => clock());
    const { sink, scheduler, runTo, dropped } = chatRun(config, provided);
    clock = () => scheduler.now();

    const arrivals = new Map<string, { at: number; priority: ReplyPriority; viewer: string }>();
    for (let k = 0; k < COMMANDS; k += 1) {
      const at = CHAT_START + k * 10;
      await runTo(at);
      const login = `v${String(k % VIEWERS).padStart(2, '0')}`;
      const roles: Role[] = MODS.has(login) ? ['mod'] : [];
      const text = `@${login} cutoff set to 0.${k}`;
      const reply: ReplyEvent = {
        kind: 'reply',
        platform,
        channel: target.channel,
        text,
        replyTo: `msg-${k}`,
        viewer: { id: `id-${login}`, login, roles },
        receivedAt: 0,
      };
      arrivals.set(text, { at, priority: MODS.has(login) ? 'high' : 'normal', viewer: login });
      sink.write([reply]);
    }
    for (let t = CHAT_START + 10_000; sink.pending > 0 && t < CHAT_START + 600_000; t += 1000) await runTo(t);
    expect(sink.pending).toBe(0);

    // No refusal: the fake, enforcing the platform's limits, refused nothing.
    expect(target.refusals()).toEqual([]);
    expect([...sink.refusals]).toEqual([]);
    const sent = target.sent().filter((m) => arrivals.has(m.text));
    expect(sent.length).toBe(sink.sent);

    // The platform is the bottleneck, not the sink: the first window is used to the full.
    expect(sent.filter((m) => m.at < CHAT_START + 30_000)).toHaveLength(target.perWindow);

    // Every reply is accounted for: sent, or dropped with a reason (the queue's policy).
    const drops = dropped();
    expect(sent.length + Object.values(drops).reduce((n, d) => n + d.count, 0)).toBe(COMMANDS);
    expect(Object.keys(drops).filter((r) => !['viewer_queue_full', 'queue_full', 'stale'].includes(r))).toEqual([]);

    // Most important first: no normal answer went out while a moderator's answer that had
    // arrived was still waiting.
    const highArrivedBy = (t: number) => [...arrivals.entries()].filter(([, a]) => a.priority === 'high' && a.at <= t).map(([text]) => text);
    const sentAt = new Map(sent.map((m, i) => [m.text, i]));
    sent.forEach((m, i) => {
      if (arrivals.get(m.text)?.priority !== 'normal') return;
      const waiting = highArrivedBy(m.at).filter((text) => {
        const j = sentAt.get(text);
        return j !== undefined && j > i;
      });
      expect(waiting).toEqual([]);
    });
    const highSent = sent.filter((m) => arrivals.get(m.text)?.priority === 'high').length;
    expect(highSent).toBeGreaterThan(0);

    // Fair share (the measure): among the 48 other viewers, the number of answers each got
    // differs by at most one between any two of them.
    const perViewer = new Map<string, number>();
    for (let v = 0; v < VIEWERS; v += 1) {
      const login = `v${String(v).padStart(2, '0')}`;
      if (!MODS.has(login)) perViewer.set(login, 0);
    }
    for (const m of sent) {
      const a = arrivals.get(m.text);
      if (a?.priority === 'normal') perViewer.set(a.viewer, (perViewer.get(a.viewer) ?? 0) + 1);
    }
    const counts = [...perViewer.values()];
    expect(perViewer.size).toBe(VIEWERS - MODS.size);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    console.info(
      `chat flood ${platform}: ${sent.length} sent (${highSent} moderators'), drops ${JSON.stringify(Object.fromEntries(Object.entries(drops).map(([r, d]) => [r, d.count])))}, per viewer ${Math.min(...counts)}..${Math.max(...counts)}`,
    );
  }, 120_000);
});
