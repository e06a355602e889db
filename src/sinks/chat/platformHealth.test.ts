/**
 * What a `chat` node says of each platform (its snapshot's `parts`, shown by `/health` and the
 * dashboard), against the fake send endpoints over real HTTP in virtual time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKickSend } from '../../../test/fakes/kickSend.js';
import { FakeYoutubeSend } from '../../../test/fakes/youtubeSend.js';
import { CHAT_START, chatRun, replyOn } from '../../../test/support/chatRun.js';
import { KICK_AUTH, type KickAuth } from '../../core/kickAuth.js';
import { provide } from '../../core/services.js';
import { YOUTUBE_AUTH, type YoutubeAuth } from '../../core/youtubeAuth.js';
import { PlatformHealth } from './platformHealth.js';

let kick: FakeKickSend;
let youtube: FakeYoutubeSend;
beforeAll(async () => {
  [kick, youtube] = await Promise.all([FakeKickSend.start(), FakeYoutubeSend.start()]);
});
afterAll(async () => {
  await Promise.all([kick.close(), youtube.close()]);
});

describe("the chat sink's health per platform", () => {
  it('shows a platform nobody signed in to at once, one backing off after a 429 until its reset, one refused with the reason, and the counts', async () => {
    kick.rate.perWindow = 2;
    youtube.fault = 'forbidden';
    try {
      const { sink, ctx, runTo } = chatRun(
        { kick: { api_url: kick.api, per_30s: 10 }, youtube: { api_url: youtube.api }, queue: { per_viewer: 100, max_age: '5m' } },
        [
          provide(KICK_AUTH, { accessToken: async () => 'kick-token' } as unknown as KickAuth),
          provide(YOUTUBE_AUTH, { accessToken: async () => 'yt-token' } as unknown as YoutubeAuth),
        ],
      );
      kick.now = () => ctx.scheduler.now();
      youtube.now = () => ctx.scheduler.now();
      const parts = () => Object.fromEntries((ctx.metrics.snapshot().parts ?? []).map((p) => [p.name, p]));

      // Before any reply: Twitch has no sign-in in this run; the others wait.
      expect(parts()).toEqual({
        twitch: { name: 'twitch', state: 'signed_out', detail: expect.stringMatching(/chatflow auth twitch --bot/), queued: 0, sent: 0, dropped: 0 },
        youtube: { name: 'youtube', state: 'idle', queued: 0, sent: 0, dropped: 0, gauges: { quota_used: 0, quota_left: 5000 } },
        kick: { name: 'kick', state: 'idle', queued: 0, sent: 0, dropped: 0 },
      });

      sink.write([
        ...Array.from({ length: 5 }, (_, i) => replyOn('kick', 'streamer', `k${i}`, `u${i}`)),
        replyOn('twitch', 'streamer', 'hello', 'a'),
        replyOn('youtube', 'live-chat', 'hello', 'a'),
      ]);
      await runTo(CHAT_START + 1000);
      const now = parts();
      expect(now.kick).toEqual({
        name: 'kick',
        state: 'backing_off',
        detail: 'http_429: Too Many Attempts.',
        until: expect.any(Number),
        queued: 3,
        sent: 2,
        dropped: 0,
      });
      expect(now.kick?.until).toBeGreaterThanOrEqual(CHAT_START + 30_000);
      expect(now.kick?.until).toBeLessThanOrEqual(CHAT_START + 31_000);
      expect(now.twitch).toMatchObject({ state: 'signed_out', dropped: 1, queued: 0 });
      expect(now.youtube).toMatchObject({ state: 'refused', detail: 'forbidden: Fault: forbidden', dropped: 1, sent: 0, gauges: { quota_used: 20, quota_left: 4980 } });

      // Past the reset the rest goes out and the platform is fine again.
      await runTo(CHAT_START + 65_000);
      expect(parts().kick).toEqual({ name: 'kick', state: 'ok', detail: 'viewer, 10 per 30 s', queued: 0, sent: 5, dropped: 0 });
    } finally {
      kick.rate.perWindow = 20;
      youtube.fault = undefined;
    }
  });

  it('reads a back-off whose time passed as ok (sending resumed), and only lists platforms it sends to', () => {
    const health = new PlatformHealth();
    health.opened('kick', undefined);
    health.refused('kick', 'http_429', undefined, 5000, 1000);
    health.dropped('twitch');
    const none = () => 0;
    const noGauges = () => undefined;
    expect(health.view(2000, none, noGauges)).toEqual([{ name: 'kick', state: 'backing_off', detail: 'http_429', until: 6000, queued: 0, sent: 0, dropped: 0 }]);
    expect(health.view(6000, none, noGauges)).toEqual([{ name: 'kick', state: 'ok', queued: 0, sent: 0, dropped: 0 }]);
  });
});
