/** The `chat` sink on YouTube, against the fake send endpoint over real HTTP, in virtual time. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeYoutubeSend } from '../../../test/fakes/youtubeSend.js';
import { CHAT_START, chatRun, replyOn } from '../../../test/support/chatRun.js';
import { YOUTUBE_AUTH, type YoutubeAuth } from '../../core/youtubeAuth.js';
import { provide } from '../../core/services.js';
import { YOUTUBE_QUOTA, YoutubeQuota } from '../../core/youtubeQuota.js';

let fake: FakeYoutubeSend;
beforeAll(async () => {
  fake = await FakeYoutubeSend.start();
});
afterAll(async () => {
  await fake.close();
});

const CHAT_ID = 'Cg0KC2RRd1RkTF9VWnlVKicKGFVDdkp3cnRZZGRvN2hRaFNkT0xONmhWdxILZFF3VGRMX1VaeVU';

/** The process's quota count of the latest {@link run}. */
let quota: YoutubeQuota;

function run(
  config: Record<string, unknown> = {},
  token: () => Promise<string> = async () => 'yt-token',
  before: (quota: YoutubeQuota) => void = () => {},
) {
  quota = new YoutubeQuota();
  before(quota);
  fake.messages.length = 0;
  fake.refusals.length = 0;
  fake.rate.clear();
  fake.quotaUsed = 0;
  fake.fault = undefined;
  const r = chatRun({ twitch: { enabled: false }, youtube: { api_url: fake.api, ...config }, queue: { per_viewer: 100, max_age: '5m' } }, [
    provide(YOUTUBE_AUTH, { accessToken: token } as unknown as YoutubeAuth),
    provide(YOUTUBE_QUOTA, quota),
  ]);
  fake.now = () => r.scheduler.now();
  return r;
}

const reply = (text: string, user = 'viewer') => replyOn('youtube', CHAT_ID, text, user);

describe('chat sink on YouTube (fake liveChatMessages.insert)', () => {
  it('posts into the live chat, split at 200 characters, paced at per_30s without a refusal', async () => {
    const { sink, runTo } = run();
    const long = Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ');
    sink.write([reply(long, 'ada'), ...Array.from({ length: 40 }, (_, i) => reply(`thanks ${i}`, `u${i}`))]);
    await runTo(CHAT_START + 1000);
    expect(fake.messages).toHaveLength(20);
    expect(fake.messages.slice(0, 2).map((m) => m.text).join(' ')).toBe(long);
    for (const m of fake.messages) expect([...m.text].length).toBeLessThanOrEqual(200);
    await runTo(CHAT_START + 61_000);
    expect(fake.messages).toHaveLength(42);
    expect(fake.messages.every((m) => m.liveChatId === CHAT_ID)).toBe(true);
    expect(fake.refusals).toEqual([]);
  });

  it('spends 20 units per insert from the shared count and drops what the day cannot pay as refused_quota_exhausted', async () => {
    const { sink, runTo, dropped, ctx } = run({ daily_quota: 60, reading_reserve: 0 });
    sink.write(Array.from({ length: 5 }, (_, i) => reply(`r${i}`, `u${i}`)));
    await runTo(CHAT_START + 1000);
    expect(fake.messages).toHaveLength(3);
    expect(fake.quotaUsed).toBe(60);
    expect(quota.usage('default', CHAT_START)).toEqual({ read: 0, send: 60, exhausted: false });
    expect(dropped()).toEqual({ refused_quota_exhausted: { count: 2, intentional: false } });
    expect(ctx.metrics.snapshot().gauges).toMatchObject({ youtube_quota_used: 60, youtube_quota_left: 0 });
  });

  it('keeps reading_reserve of the day for reading: sends stop at the reserve (refused_quota_reserved, intentional)', async () => {
    const { sink, runTo, dropped } = run({ daily_quota: 100, reading_reserve: 0.4 });
    sink.write(Array.from({ length: 5 }, (_, i) => reply(`r${i}`, `u${i}`)));
    await runTo(CHAT_START + 1000);
    expect(fake.messages).toHaveLength(3);
    expect(dropped()).toEqual({ refused_quota_reserved: { count: 2, intentional: true } });
    expect(quota.remaining({ project: 'default', dailyQuota: 100 }, CHAT_START)).toBe(40);
  });

  it('counts what reading spent: with 90 of 100 units read, nothing is left to send', async () => {
    const { sink, runTo, dropped } = run({ daily_quota: 100 }, undefined, (q) => q.spend({ project: 'default', dailyQuota: 100 }, 'read', 90, CHAT_START));
    sink.write([reply('hello')]);
    await runTo(CHAT_START + 1000);
    expect(fake.messages).toHaveLength(0);
    expect(fake.quotaUsed).toBe(0);
    expect(dropped()).toEqual({ refused_quota_exhausted: { count: 1, intentional: false } });
  });

  it("stops when YouTube says the project's quota is spent", async () => {
    const { sink, runTo, dropped } = run();
    fake.quotaBudget = 20;
    try {
      sink.write([reply('one', 'a'), reply('two', 'b'), reply('three', 'c')]);
      await runTo(CHAT_START + 1000);
    } finally {
      fake.quotaBudget = 10_000;
    }
    expect(fake.messages.map((m) => m.text)).toEqual(['one']);
    expect(fake.refusals).toEqual(['quotaExceeded']);
    expect(dropped()).toEqual({ refused_quotaExceeded: { count: 1, intentional: false }, refused_quota_exhausted: { count: 1, intentional: false } });
    // The reading side hears it too: the project has nothing left until a retry half an hour later.
    expect(quota.usage('default', CHAT_START + 1000).exhausted).toBe(true);
    expect(quota.usage('default', CHAT_START + 31 * 60_000).exhausted).toBe(false);
  });

  it('counts a refusal by its reason (chat ended, token refused)', async () => {
    const ended = run();
    fake.fault = 'liveChatEnded';
    ended.sink.write([reply('too late')]);
    await ended.runTo(CHAT_START + 1000);
    expect(ended.dropped()).toEqual({ refused_liveChatEnded: { count: 1, intentional: false } });

    const revoked = run({}, async () => {
      throw new Error('YouTube token was revoked; run `chatflow auth youtube`.');
    });
    revoked.sink.write([reply('hello')]);
    await revoked.runTo(CHAT_START + 1000);
    expect(revoked.dropped()).toEqual({ refused_auth_failed: { count: 1, intentional: false } });
  });

  it('a rateLimitExceeded refusal waits a window and sends again', async () => {
    const { sink, runTo } = run({ per_30s: 25 });
    sink.write(Array.from({ length: 21 }, (_, i) => reply(`r${i}`, `u${i}`)));
    await runTo(CHAT_START + 1000);
    expect(fake.messages).toHaveLength(20);
    expect(fake.refusals).toEqual(['rateLimitExceeded']);
    await runTo(CHAT_START + 31_000);
    expect(fake.messages).toHaveLength(21);
    expect(sink.refusals.get('rateLimitExceeded')).toBe(1);
  });
});
