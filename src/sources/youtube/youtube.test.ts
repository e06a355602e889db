import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { NodeMetrics, type SourceHealth } from '../../core/metrics.js';
import { YoutubeQuota } from '../../core/youtubeQuota.js';
import { videoIdOf } from './config.js';
import { YoutubeConfig, youtubeChat, youtubeComponent } from './index.js';

describe('youtube config', () => {
  it('has documented defaults: Data API mode, history skipped, the default project quota over 4 hours', () => {
    expect(YoutubeConfig.parse({ video_id: 'jfKfPfyJRdk' })).toEqual({
      mode: 'api',
      video_id: 'jfKfPfyJRdk',
      live_chat_id: undefined,
      api_key: '',
      base_url: 'https://www.googleapis.com/youtube/v3',
      innertube_url: 'https://www.youtube.com',
      backfill: 'skip',
      daily_quota: 10_000,
      quota_project: 'default',
      stream_hours: 4,
      min_poll_interval: 1000,
      live_check_interval: 60_000,
      quota_retry: 1_800_000,
      request_timeout: 10_000,
      retry: { initial_backoff: 1000, max_backoff: 60_000 },
    });
  });

  it('takes a video id or any usual YouTube URL', () => {
    expect(videoIdOf('https://www.youtube.com/watch?v=jfKfPfyJRdk&t=3s')).toBe('jfKfPfyJRdk');
    expect(videoIdOf('https://youtu.be/jfKfPfyJRdk')).toBe('jfKfPfyJRdk');
    expect(videoIdOf('https://www.youtube.com/live/jfKfPfyJRdk?feature=share')).toBe('jfKfPfyJRdk');
    expect(videoIdOf('')).toBeUndefined();
    expect(YoutubeConfig.parse({ video_id: '' }).video_id).toBeUndefined();
    expect(() => YoutubeConfig.parse({ video_id: 'not a video' })).toThrow(/Expected a YouTube video id/);
  });

  it('rejects unknown keys and out-of-range values', () => {
    expect(() => YoutubeConfig.parse({ video_id: 'jfKfPfyJRdk', apikey: 'x' })).toThrow(/apikey/);
    expect(() => YoutubeConfig.parse({ max_results: 100 })).toThrow();
    expect(() => YoutubeConfig.parse({ base_url: 'ftp://x' })).toThrow(/http/);
    expect(() => YoutubeConfig.parse({ stream_hours: 0 })).toThrow();
  });

  it('parses every example', () => {
    for (const example of youtubeComponent.examples) {
      expect(YoutubeConfig.safeParse(parse(example)).success).toBe(true);
    }
  });
});

/** A `youtube` source on a virtual clock with a scripted fetch: each call takes the next answer. */
function harness(input: Record<string, unknown>, answers: (() => Response | 'hang')[], quota?: YoutubeQuota) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
  // 2026-12-02 12:00 UTC: 04:00 Pacific, 20 h before the quota resets.
  const wallStart = Date.UTC(2026, 11, 2, 12);
  const calls: { url: URL; at: number; signal: AbortSignal }[] = [];
  const fetchImpl = ((url: string | URL, init?: RequestInit) => {
    const signal = init?.signal as AbortSignal;
    calls.push({ url: new URL(String(url)), at: scheduler.now(), signal });
    // Past the script, calls hang (until aborted), so nothing more happens.
    const value = answers.shift()?.() ?? 'hang';
    if (value === 'hang') {
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }
    return Promise.resolve(value);
  }) as typeof fetch;
  const events: (ChatEvent | PlatformEvent)[] = [];
  const healths: SourceHealth[] = [];
  const metrics = new NodeMetrics('yt', 'source', 'youtube');
  let error: unknown;
  let completed = false;
  const sub = youtubeChat(YoutubeConfig.parse({ api_key: 'k', video_id: 'vid00000001', ...input }), {
    id: 'yt',
    scheduler,
    clock: () => scheduler.now(),
    now: () => wallStart + scheduler.now(),
    metrics,
    setHealth: (h) => healths.push(h),
    fetch: fetchImpl,
    random: () => 0.5,
    ...(quota === undefined ? {} : { quota }),
  }).subscribe({
    next: (e) => events.push(e),
    error: (e: unknown) => {
      error = e;
    },
    complete: () => {
      completed = true;
    },
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  /** Lets pending answers be read, then runs every timer due within `ms` (virtual), repeatedly. */
  const advance = async (ms: number) => {
    const target = scheduler.now() + ms;
    for (;;) {
      await settle();
      await settle();
      const next = scheduler.actions[0];
      if (next === undefined || next.delay > target) break;
      scheduler.maxFrames = next.delay;
      scheduler.flush();
    }
    scheduler.frame = target;
  };
  return { scheduler, calls, events, healths, metrics, sub, advance, error: () => error, completed: () => completed };
}

const json = (body: unknown, status = 200) => () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const live = json({ items: [{ id: 'vid00000001', liveStreamingDetails: { activeLiveChatId: 'chat-1' } }] });
const page = (n: number, items: unknown[] = []) => json({ nextPageToken: `t${n}`, pollingIntervalMillis: 5000, items });
const googleError = (status: number, reason: string) => json({ error: { code: status, message: reason, errors: [{ reason }] } }, status);
const text = (id: string) => ({
  id,
  snippet: { type: 'textMessageEvent', publishedAt: '2026-12-02T12:00:00.000000+00:00', textMessageDetails: { messageText: id } },
  authorDetails: { channelId: 'UCa', displayName: 'a' },
});

describe('youtubeChat on a virtual clock', () => {
  it('spreads the default quota over the default 4 hours: a poll every 7.2 s, not every 5 s, with the previous page token', async () => {
    const h = harness({}, [live, page(1), page(2), page(3)]);
    await h.advance(20_000);
    expect(h.calls.map((c) => [c.url.pathname, c.at, c.url.searchParams.get('pageToken')])).toEqual([
      ['/youtube/v3/videos', 0, null],
      ['/youtube/v3/liveChat/messages', 0, null],
      // 9,994 units left = 1,998 polls over 14,400 s.
      ['/youtube/v3/liveChat/messages', 7208, 't1'],
      ['/youtube/v3/liveChat/messages', 14_416, 't2'],
    ]);
    expect(h.metrics.snapshot().gauges).toMatchObject({ poll_interval_ms: 7208, quota_remaining: 9984 });
    expect(h.metrics.snapshot().counts).toEqual({ quota_used: 16 });
    h.sub.unsubscribe();
  });

  const wallStart = Date.UTC(2026, 11, 2, 12);
  const project = { project: 'default', dailyQuota: 10_000 };

  it('counts its reads in the shared accounting and slows down when sends spent from it: 4,994 units left is a poll every 14.4 s', async () => {
    const quota = new YoutubeQuota();
    quota.spend(project, 'send', 5000, wallStart);
    const h = harness({}, [live, page(1), page(2)], quota);
    await h.advance(20_000);
    // 4,994 units left after the lookup and the first poll: 998 polls over 14,400 s.
    expect(h.calls.map((c) => c.at)).toEqual([0, 0, 14_429]);
    expect(quota.usage('default', wallStart)).toEqual({ read: 11, send: 5000, exhausted: false });
    expect(h.metrics.snapshot().gauges).toMatchObject({ quota_remaining: 10_000 - 5011 });
    h.sub.unsubscribe();
  });

  it('does not call YouTube when the shared budget is spent, and says so (ERR_SOURCE_QUOTA)', async () => {
    const quota = new YoutubeQuota();
    quota.spend(project, 'send', 9998, wallStart);
    const h = harness({ live_chat_id: 'chat-1' }, [page(1)], quota);
    await h.advance(1000);
    expect(h.calls).toEqual([]);
    expect(h.healths.at(-1)).toBe('reconnecting');
    expect(h.metrics.snapshot().lastError).toMatch(/daily_quota \(10000 units\) is spent/);
    h.sub.unsubscribe();
  });

  it("marks the project exhausted for the chat sink too when YouTube answers quotaExceeded, until its quota_retry", async () => {
    const quota = new YoutubeQuota();
    const h = harness({ stream_hours: 0.0001, quota_retry: '10m' }, [live, googleError(403, 'quotaExceeded'), page(1)], quota);
    await h.advance(1000);
    expect(quota.maySend(project, 0, 20, wallStart + 1000)).toMatchObject({ ok: false, reason: 'quota_exhausted' });
    await h.advance(600_000);
    expect(h.calls).toHaveLength(3);
    expect(quota.remaining(project, wallStart + 600_000)).toBe(10_000 - 11);
    h.sub.unsubscribe();
  });

  it("marks the bot's own messages (bot_login: its channel id) as self", async () => {
    const own = { ...text('m-bot'), authorDetails: { channelId: 'UCbot', displayName: 'chatflow bot' } };
    const h = harness({ bot_login: 'UCbot' }, [live, page(1), page(2, [own, text('m-viewer')])]);
    await h.advance(10_000);
    expect(h.events.map((e) => [e.id, e.kind === 'chat' ? e.self : 'not chat'])).toEqual([
      ['m-bot', true],
      ['m-viewer', undefined],
    ]);
    h.sub.unsubscribe();
  });

  it('backs off 1 s, 2 s, 4 s (capped exponential from the scheduler) on 429/500/429, then polls at the server pace again', async () => {
    const h = harness({ stream_hours: 0.0001 }, [
      live,
      page(1),
      googleError(429, 'rateLimitExceeded'),
      googleError(500, 'backendError'),
      googleError(429, 'rateLimitExceeded'),
      page(2, [text('m1')]),
      page(3),
    ]);
    await h.advance(30_000);
    // (Calls past the script hang; only the scripted ones are checked.)
    expect(h.calls.map((c) => c.at).slice(0, 7)).toEqual([0, 0, 5000, 6000, 8000, 12_000, 17_000]);
    expect(h.calls.slice(2, 6).map((c) => c.url.searchParams.get('pageToken'))).toEqual(['t1', 't1', 't1', 't1']);
    expect(h.healths).toEqual(['connecting', 'live', 'stale', 'live']);
    expect(h.events.map((e) => e.id)).toEqual(['m1']);
    h.sub.unsubscribe();
  });

  it('starts the backoff over at 1 s once a poll succeeds again', async () => {
    const h = harness({ stream_hours: 0.0001 }, [
      live,
      page(1),
      googleError(429, 'rateLimitExceeded'),
      googleError(429, 'rateLimitExceeded'),
      page(2),
      googleError(429, 'rateLimitExceeded'),
      page(3),
    ]);
    await h.advance(30_000);
    // 1 s, 2 s, success (server pace 5 s), then 1 s again, not 4 s.
    expect(h.calls.map((c) => c.at).slice(0, 7)).toEqual([0, 0, 5000, 6000, 8000, 13_000, 14_000]);
    expect(h.healths).toEqual(['connecting', 'live', 'stale', 'live']);
    h.sub.unsubscribe();
  });

  it('caps the backoff at retry.max_backoff', async () => {
    const failures = Array.from({ length: 6 }, () => googleError(503, 'backendError'));
    const h = harness({ stream_hours: 0.0001, retry: { initial_backoff: '1s', max_backoff: '3s' } }, [live, page(1), ...failures, page(2)]);
    await h.advance(40_000);
    const at = h.calls.map((c) => c.at);
    expect(at.slice(2, 9).map((t, i) => t - (at[i + 1] as number))).toEqual([5000, 1000, 2000, 3000, 3000, 3000, 3000]);
    h.sub.unsubscribe();
  });

  it('pauses for quota_retry after quotaExceeded, reporting reconnecting, then resumes', async () => {
    const h = harness({ stream_hours: 0.0001, quota_retry: '10m' }, [live, page(1), googleError(403, 'quotaExceeded'), page(2)]);
    await h.advance(606_000);
    expect(h.calls.map((c) => c.at).slice(0, 4)).toEqual([0, 0, 5000, 605_000]);
    expect(h.healths).toEqual(['connecting', 'live', 'reconnecting', 'live']);
    expect(h.metrics.snapshot().lastError).toMatch(/^YouTube API quota exhausted \(quotaExceeded: quotaExceeded\); polling paused for 10m\.$/);
    h.sub.unsubscribe();
  });

  it('gives up on an answer after request_timeout and retries it', async () => {
    const h = harness({ stream_hours: 0.0001, request_timeout: '2s' }, [live, page(1), () => 'hang', page(2)]);
    await h.advance(10_000);
    expect(h.calls.map((c) => c.at)).toEqual([0, 0, 5000, 8000]);
    expect(h.calls[2]?.signal.aborted).toBe(true);
    expect(h.metrics.snapshot().lastError).toBe('No answer within 2s (request_timeout)');
    h.sub.unsubscribe();
  });

  it('aborts the request in flight and leaves no timer behind when unsubscribed', async () => {
    const h = harness({}, [live, () => 'hang']);
    await h.advance(0);
    expect(h.calls).toHaveLength(2);
    h.sub.unsubscribe();
    expect(h.calls[1]?.signal.aborted).toBe(true);
    await h.advance(60_000);
    expect(h.scheduler.actions.filter((a) => !a.closed)).toEqual([]);
    expect(h.calls).toHaveLength(2);
    expect(h.error()).toBeUndefined();
  });

  it('retries an answer that is not JSON, and completes on offlineAt after emitting the page', async () => {
    const h = harness({ stream_hours: 0.0001 }, [
      live,
      () => new Response('<html>oops</html>', { status: 200 }),
      json({ nextPageToken: 't2', pollingIntervalMillis: 5000, offlineAt: '2026-12-02T13:00:00Z', items: [text('last')] }),
    ]);
    await h.advance(10_000);
    expect(h.calls.map((c) => c.at)).toEqual([0, 0, 1000]);
    expect(h.completed()).toBe(true);
    expect(h.events.map((e) => [e.id, e.backfill])).toEqual([]);
    expect(h.metrics.snapshot().dropped.backfill?.count).toBe(1);
  });
});
