/**
 * The `youtube` source over real HTTP (global fetch) against the fake YouTube server: the Data
 * API (lookup, history, paging, pacing, quota, errors, backoff, the chat's end) and innertube
 * (the same chat, the same events), on its own and through the real runtime.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import pino from 'pino';
import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSink } from '../../src/core/component.js';
import { SourceFatalError } from '../../src/core/errors.js';
import type { ChatEvent, ChatflowEvent, PlatformEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { NodeMetrics, type SourceHealth } from '../../src/core/metrics.js';
import { buildRegistry } from '../../src/core/registry.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { type PipelineRuntime, startPipeline } from '../../src/pipelines/run.js';
import { YoutubeConfig, youtubeChat, youtubeComponent } from '../../src/sources/youtube/index.js';
import type { ApiChatItem } from '../../src/sources/youtube/normalize.js';
import { apiChatItems, loadDocumentedItems, SUPER_CHAT_SAMPLE_ID } from '../fakes/youtubeSamples.js';
import { FakeYoutubeServer, type FakeYoutubeOptions } from '../fakes/youtubeServer.js';
import type { GoldenEntry } from '../fixtures/youtubeGolden.js';
import { testContext } from '../support/context.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeServer(options: FakeYoutubeOptions = {}): Promise<FakeYoutubeServer> {
  const server = await FakeYoutubeServer.start({ pollingIntervalMillis: 50, ...options });
  cleanups.push(() => server.close());
  return server;
}

async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what} not met within ${ms}ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The source on its own (no runtime), recording events, health, logs, completion and the error. */
function direct(server: FakeYoutubeServer, input: Record<string, unknown>) {
  const events: (ChatEvent | PlatformEvent)[] = [];
  const healths: SourceHealth[] = [];
  const logs: { level: number; msg: string; [key: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const metrics = new NodeMetrics('yt', 'source', 'youtube');
  let error: unknown;
  let completed = false;
  const config = YoutubeConfig.parse({
    api_key: 'test-key',
    base_url: server.apiUrl,
    innertube_url: server.url,
    min_poll_interval: '10ms',
    // Past the expected end of the stream at once: polls at the server's pace (unless a test paces).
    stream_hours: 0.0001,
    retry: { initial_backoff: '50ms', max_backoff: '200ms' },
    ...input,
  });
  const sub: Subscription = youtubeChat(config, {
    id: 'yt',
    now: Date.now,
    logger,
    metrics,
    setHealth: (h) => healths.push(h),
    random: () => 0.5,
  }).subscribe({
    next: (e) => events.push(e),
    error: (e: unknown) => {
      error = e;
    },
    complete: () => {
      completed = true;
    },
  });
  cleanups.push(() => sub.unsubscribe());
  return { events, healths, logs, metrics, error: () => error, completed: () => completed, sub };
}

const ids = (events: readonly (ChatEvent | PlatformEvent)[]) => events.map((e) => (e.kind === 'chat' ? `chat:${e.id}` : `${e.type}:${e.id}`));

const items = apiChatItems();
/** The 3 captured text messages: the history of the fake chat. */
const HISTORY = items.slice(0, 3);
/** The Super Chat and the documented items: what arrives live. */
const LIVE = items.slice(3);

/** One live chat message (the streamer's `!cv cutoff 0.7`). */
const ONE = items.find((i) => i.id === 'LCC.doc-owner-text-1') as ApiChatItem;

const golden = JSON.parse(readFileSync(new URL('../fixtures/youtube-golden.json', import.meta.url), 'utf8')) as GoldenEntry[];

/**
 * The events of youtube-golden.json for LIVE's items, in order, as the fake serves them: in its
 * chat `channel` (the fake rewrites each item's `liveChatId`), the captured Super Chat under
 * {@link SUPER_CHAT_SAMPLE_ID} (the capture kept no id, so the golden file has a derived one),
 * and without `receivedAt` (the golden file's is the sample's index).
 */
function goldenLive(channel: string): unknown[] {
  return LIVE.flatMap((item) => {
    const superChat = item.id === SUPER_CHAT_SAMPLE_ID;
    const sample = superChat ? 'superChatEvent-item' : `documented:${item.id}`;
    const events = golden.find((g) => g.sample === sample)?.events;
    if (events === undefined) throw new Error(`youtube-golden.json has no events for ${sample}`);
    return events.map(({ receivedAt: _received, ...event }) => ({ ...event, channel, ...(superChat ? { id: SUPER_CHAT_SAMPLE_ID } : {}) }));
  });
}

/** An event without `receivedAt`, which depends on when the test ran. */
function withoutReceivedAt(event: ChatEvent | PlatformEvent): unknown {
  const { receivedAt: _received, ...rest } = event;
  return rest;
}

/** The chat events and platform events LIVE must give, in order. */
const LIVE_EVENTS = [
  `chat:${SUPER_CHAT_SAMPLE_ID}`,
  `super_chat:${SUPER_CHAT_SAMPLE_ID}`,
  'membership:LCC.doc-newSponsor-1',
  'membership:LCC.doc-milestone-1',
  'super_chat:LCC.doc-superSticker-1',
  'chat:LCC.doc-owner-text-1',
  'message_deleted:LCC.doc-deleted-1',
  'user_timed_out:LCC.doc-banned-temporary-1',
  'user_banned:LCC.doc-banned-permanent-1',
  'gift:LCC.doc-gifting-1',
  'membership:LCC.doc-gift-received-1',
];

describe('youtube source (Data API) against the fake YouTube server', () => {
  it('looks up the live chat, skips the history, then emits every live event in order with the page tokens', async () => {
    const server = await fakeServer({ enforceInterval: true });
    const chatId = server.addVideo('vid00000001');
    server.push(chatId, HISTORY);
    const s = direct(server, { video_id: 'https://www.youtube.com/watch?v=vid00000001' });
    await until(() => s.healths.includes('live'), 5000, 'live');
    expect(s.events).toEqual([]);
    expect(s.metrics.snapshot().dropped.backfill).toEqual({ count: 3, intentional: true });
    server.push(chatId, LIVE);
    await until(() => s.events.length === LIVE_EVENTS.length, 5000, 'live events');
    expect(ids(s.events)).toEqual(LIVE_EVENTS);
    // Every field of every event received over HTTP, as the golden file says.
    expect(s.events.map(withoutReceivedAt)).toEqual(goldenLive(chatId));
    expect(s.events.every((e) => e.platform === 'youtube' && e.channel === chatId && e.backfill === undefined)).toBe(true);
    expect(s.healths).toEqual(['connecting', 'live']);

    // The requests: one lookup, then polls, each with the token the previous page gave.
    const [lookup] = server.calls('/videos');
    expect(lookup?.query).toEqual({ part: 'liveStreamingDetails', id: 'vid00000001', key: 'test-key' });
    const polls = server.calls('/liveChat/messages');
    expect(polls[0]?.query).toEqual({ liveChatId: chatId, part: 'id,snippet,authorDetails', key: 'test-key' });
    expect(polls.slice(1).every((p) => p.query.pageToken?.startsWith('GK'))).toBe(true);
    // Never faster than pollingIntervalMillis: the fake would have answered rateLimitExceeded.
    expect(server.requests.every((r) => r.status === 200)).toBe(true);

    // Quota: counted as the server counts it, and reported.
    await until(() => s.metrics.snapshot().counts?.quota_used === server.quotaUsed, 5000, 'quota counts agree');
    const snap = s.metrics.snapshot();
    expect(server.quotaUsed).toBe(1 + 5 * server.calls('/liveChat/messages').filter((r) => r.status === 200).length);
    expect(snap.gauges?.quota_remaining).toBeLessThanOrEqual(10_000 - server.quotaUsed + 5);
    expect(snap.gauges?.quota_exhausted_in_s).toBeGreaterThan(0);
    expect(snap.gauges?.lag_ms).toBeGreaterThan(0);
  });

  it('emits the history with backfill: true when backfill is emit', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000002');
    server.push(chatId, HISTORY);
    const s = direct(server, { video_id: 'vid00000002', backfill: 'emit' });
    await until(() => s.events.length === 3);
    expect(s.events.map((e) => [e.kind, e.backfill])).toEqual([
      ['chat', true],
      ['chat', true],
      ['chat', true],
    ]);
    server.push(chatId, [ONE]);
    await until(() => s.events.length === 4);
    expect(s.events[3]?.backfill).toBeUndefined();
  });

  it('polls a given live_chat_id directly, without videos.list', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000003');
    const s = direct(server, { live_chat_id: chatId });
    await until(() => s.healths.includes('live'));
    server.push(chatId, [ONE]);
    await until(() => s.events.length === 1);
    expect(server.calls('/videos')).toEqual([]);
  });

  it('emits nothing twice when pages overlap, and counts the copies as duplicate', async () => {
    const server = await fakeServer({ overlap: 3 });
    const chatId = server.addVideo('vid00000004');
    const s = direct(server, { video_id: 'vid00000004' });
    await until(() => s.healths.includes('live'));
    for (const item of LIVE) {
      server.push(chatId, [item]);
      await sleep(30);
    }
    await until(() => s.events.length === LIVE_EVENTS.length);
    await until(() => (s.metrics.snapshot().dropped.duplicate?.count ?? 0) >= 3);
    expect(ids(s.events)).toEqual(LIVE_EVENTS);
    expect(new Set(ids(s.events)).size).toBe(s.events.length);
  });

  it('slows polling down so daily_quota lasts stream_hours, and reports the forecast', async () => {
    const server = await fakeServer({ pollingIntervalMillis: 20 });
    server.addVideo('vid00000005');
    // 1000 units = 199 polls after the lookup, over 36 s: one every ~181 ms, not every 20 ms.
    const s = direct(server, { video_id: 'vid00000005', daily_quota: 1000, stream_hours: 0.01 });
    await until(() => server.calls('/liveChat/messages').length >= 4, 5000, 'four polls');
    const gauges = s.metrics.snapshot().gauges ?? {};
    expect(gauges.poll_interval_ms).toBeGreaterThan(150);
    expect(gauges.quota_exhausted_in_s).toBeGreaterThan(20);
    expect(gauges.quota_exhausted_in_s).toBeLessThanOrEqual(36);
    const at = server.calls('/liveChat/messages').map((r) => r.at);
    for (let i = 1; i < at.length; i++) expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThan(140);
  });

  it('warns once at 80% and once at 95% of daily_quota, then pauses when it is spent', async () => {
    const server = await fakeServer({ pollingIntervalMillis: 10 });
    server.addVideo('vid00000006');
    // 1 + 5 × 8 = 41 units: 80% at 40, 95% at 41 (of 42 → only 1 left: no poll pays for it).
    const s = direct(server, { video_id: 'vid00000006', daily_quota: 42, stream_hours: 0.0001 });
    await until(() => s.healths.includes('reconnecting'), 5000, 'quota spent');
    const warnings = s.logs.filter((l) => l.msg === 'YouTube API quota running low.');
    expect(warnings.map((l) => l.percent)).toEqual([80, 95]);
    expect(server.quotaUsed).toBe(41);
    expect(s.metrics.snapshot().gauges?.quota_remaining).toBe(0);
    expect(s.logs.some((l) => l.msg === 'YouTube API quota exhausted; polling paused until it resets.')).toBe(true);
    const before = server.requests.length;
    await sleep(200);
    expect(server.requests.length).toBe(before);
  });

  it('on quotaExceeded reports reconnecting with ERR_SOURCE_QUOTA, waits quota_retry, then resumes', async () => {
    const server = await fakeServer({ quotaBudget: 1 + 5 * 3 });
    const chatId = server.addVideo('vid00000007');
    const s = direct(server, { video_id: 'vid00000007', quota_retry: '300ms' });
    await until(() => s.healths.includes('reconnecting'), 5000, 'quota exhausted');
    const warn = s.logs.find((l) => l.msg === 'YouTube API quota exhausted; polling paused until it resets.');
    expect(warn?.err).toMatchObject({ code: 'ERR_SOURCE_QUOTA' });
    expect(s.metrics.snapshot().lastError).toMatch(/^YouTube API quota exhausted \(quotaExceeded: /);
    const refusedAt = server.requests.length;
    await sleep(100);
    expect(server.requests.length).toBe(refusedAt);
    // The quota comes back (the fake's budget is raised): polling resumes where it was.
    (server.options as { quotaBudget?: number }).quotaBudget = 10_000;
    server.push(chatId, [ONE]);
    await until(() => s.events.length === 1, 5000, 'resumed');
    expect(s.healths.slice(-2)).toEqual(['reconnecting', 'live']);
    expect(s.error()).toBeUndefined();
  });

  it('backs off on 429 and 500 (capped exponential, stale after two), keeps its page token, then recovers', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000008');
    const s = direct(server, { video_id: 'vid00000008' });
    await until(() => s.healths.includes('live'));
    server.failNext('rateLimit429');
    server.failNext('server500');
    server.failNext('rateLimit429');
    server.push(chatId, [ONE]);
    await until(() => s.events.length === 1, 5000, 'recovered');
    expect(s.healths).toEqual(['connecting', 'live', 'stale', 'live']);
    const polls = server.calls('/liveChat/messages');
    const failed = polls.filter((r) => r.status !== 200);
    expect(failed.map((r) => r.status)).toEqual([429, 500, 429]);
    // Backoff: 50, 100, 200 ms (jitter pinned to the middle), measured between the requests.
    const at = polls.map((r) => r.at);
    const firstFail = polls.indexOf(failed[0] as (typeof polls)[number]);
    expect((at[firstFail + 1] as number) - (at[firstFail] as number)).toBeGreaterThanOrEqual(45);
    expect((at[firstFail + 2] as number) - (at[firstFail + 1] as number)).toBeGreaterThanOrEqual(95);
    expect((at[firstFail + 3] as number) - (at[firstFail + 2] as number)).toBeGreaterThanOrEqual(195);
    // The failed polls kept the token: no history re-read, nothing emitted twice.
    const token = polls[firstFail]?.query.pageToken;
    expect(token).toMatch(/^GK/);
    expect(polls.slice(firstFail, firstFail + 4).map((p) => p.query.pageToken)).toEqual([token, token, token, token]);
    expect(s.metrics.snapshot().errors).toBe(3);
    expect(s.logs.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      'YouTube chat poll failed; retrying after backoff.',
      'YouTube chat stale: polls keep failing.',
    ]);
  });

  it('completes cleanly when the stream goes offline (offlineAt), after the last messages', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000009');
    const s = direct(server, { video_id: 'vid00000009' });
    await until(() => s.healths.includes('live'));
    server.push(chatId, [ONE]);
    server.endChat(chatId);
    await until(() => s.completed(), 5000, 'completed');
    expect(s.events).toHaveLength(1);
    expect(s.error()).toBeUndefined();
    expect(s.logs.some((l) => l.msg === 'YouTube stream went offline; the source stops.')).toBe(true);
  });

  it.each(['liveChatEnded', 'liveChatNotFound'] as const)('completes cleanly on %s', async (fault) => {
    const server = await fakeServer();
    server.addVideo('vid00000010');
    const s = direct(server, { video_id: 'vid00000010' });
    await until(() => s.healths.includes('live'));
    server.failNext(fault);
    await until(() => s.completed(), 5000, 'completed');
    expect(s.logs.find((l) => l.msg === 'YouTube live chat has ended; the source stops.')?.reason).toBe(fault);
  });

  it('completes on a chatEndedEvent item', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000011');
    const s = direct(server, { video_id: 'vid00000011' });
    await until(() => s.healths.includes('live'));
    server.push(chatId, [ONE, loadDocumentedItems().chatEnded]);
    await until(() => s.completed());
    expect(s.events).toHaveLength(1);
  });

  it('fails for good on a bad key, naming api_key', async () => {
    const server = await fakeServer({ apiKeys: ['good-key'] });
    server.addVideo('vid00000012');
    const s = direct(server, { video_id: 'vid00000012', api_key: 'bad-key' });
    await until(() => s.error() !== undefined);
    const err = s.error() as SourceFatalError;
    expect(err).toBeInstanceOf(SourceFatalError);
    expect(err.code).toBe('ERR_SOURCE_FATAL');
    expect(err.message).toMatch(/^YouTube rejected the API key in `api_key` \(HTTP 400 keyInvalid: "API key not valid\. Please pass a valid API key\."\)/);
    expect(s.healths).toEqual(['connecting', 'failed']);
    expect(server.requests).toHaveLength(1);
  });

  it('fails for good when live chat is disabled', async () => {
    const server = await fakeServer();
    server.addVideo('vid00000013');
    server.failNext('liveChatDisabled');
    const s = direct(server, { video_id: 'vid00000013' });
    await until(() => s.error() !== undefined);
    expect((s.error() as Error).message).toMatch(/^Live chat is disabled for this stream \(HTTP 403 liveChatDisabled/);
  });

  it('fails for good without a key, for an unknown video and for a video that is not a live stream', async () => {
    const server = await fakeServer();
    server.addVideo('vid00000014', 'not_live');
    const noKey = direct(server, { video_id: 'vid00000014', api_key: '' });
    expect((noKey.error() as Error).message).toMatch(/^No API key: set `api_key`/);
    const unknown = direct(server, { video_id: 'nosuchvideo' });
    const notLive = direct(server, { video_id: 'vid00000014' });
    await until(() => unknown.error() !== undefined && notLive.error() !== undefined);
    expect((unknown.error() as Error).message).toMatch(/^No YouTube video has the id "nosuchvideo"/);
    expect((notLive.error() as Error).message).toMatch(/is not a live stream/);
  });

  it('waits for a video with no active live chat yet (warning once), then reads it when it goes live', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000015', 'upcoming');
    const s = direct(server, { video_id: 'vid00000015', live_check_interval: '50ms' });
    await until(() => server.calls('/videos').length >= 3);
    expect(s.logs.filter((l) => l.msg.startsWith('YouTube video has no active live chat yet'))).toHaveLength(1);
    expect(s.healths).toEqual(['connecting']);
    server.setVideoState('vid00000015', 'live');
    await until(() => s.healths.includes('live'));
    server.push(chatId, [ONE]);
    await until(() => s.events.length === 1);
  });

  it('completes at once for a stream that has already ended (actualEndTime)', async () => {
    const server = await fakeServer();
    server.addVideo('vid00000016', 'ended');
    const s = direct(server, { video_id: 'vid00000016' });
    await until(() => s.completed());
    expect(s.logs.some((l) => l.msg === 'YouTube stream has ended (actualEndTime); the source stops.')).toBe(true);
  });
});

/** The facts both modes carry, to compare them. */
function comparable(event: ChatEvent | PlatformEvent) {
  const author = event.author === undefined ? undefined : { id: event.author.id, displayName: event.author.displayName, roles: event.author.roles };
  if (event.kind === 'chat') return { kind: 'chat', id: event.id, ts: event.ts, text: event.text, bits: event.bits, author, backfill: event.backfill };
  const { amount, currency, tier, message, months, sticker, count } = event.data;
  const data = Object.fromEntries(Object.entries({ amount, currency, tier, message, months, sticker, count }).filter(([, v]) => v !== undefined));
  return { kind: event.type, ts: event.ts, author, data, backfill: event.backfill };
}

describe('youtube source (innertube) against the fake YouTube server', () => {
  it('scrapes the watch page, follows the continuations and gives the same events as the Data API', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000020');
    server.push(chatId, HISTORY);
    const api = direct(server, { video_id: 'vid00000020', backfill: 'emit' });
    const inner = direct(server, { video_id: 'vid00000020', backfill: 'emit', mode: 'innertube', api_key: '' });
    await until(() => api.healths.includes('live') && inner.healths.includes('live'));
    server.push(chatId, LIVE);
    await until(() => api.events.length === 3 + LIVE_EVENTS.length, 5000, 'api events');
    await until(() => inner.events.length === api.events.length, 5000, 'innertube events');
    // Bans and deletions carry less in innertube (no duration, no moderator, no item id, no
    // timestamp): compared apart below.
    const moderation = new Set(['message_deleted', 'user_banned', 'user_timed_out']);
    const rest = (events: (ChatEvent | PlatformEvent)[]) => events.filter((e) => e.kind === 'chat' || !moderation.has(e.type)).map(comparable);
    expect(rest(inner.events)).toEqual(rest(api.events));
    const innerModeration = inner.events.filter((e) => e.kind === 'platform' && moderation.has(e.type)) as PlatformEvent[];
    expect(innerModeration.map((e) => [e.type, e.data.messageId ?? e.data.userId])).toEqual([
      ['message_deleted', HISTORY[0]?.id],
      ['user_banned', 'UCrjdRCm0gGcdrYtl8z66t6g'],
      ['user_banned', 'UCdocSpammer000000000001'],
    ]);
    expect(inner.events.every((e) => e.channel === 'vid00000020')).toBe(true);

    // The innertube requests: the page once, then get_live_chat with the documented body, never the Data API.
    const innerCalls = server.requests.filter((r) => r.path === '/watch' || r.path.includes('youtubei'));
    expect(innerCalls[0]?.path).toBe('/watch');
    expect(innerCalls[0]?.query).toEqual({ v: 'vid00000020' });
    const first = innerCalls[1];
    expect(first?.query).toEqual({ key: 'AIzaSyFAKE-innertube-key' });
    expect(first?.body).toEqual({ context: { client: { clientVersion: '2.20211119.09.00', clientName: 'WEB' } }, continuation: expect.stringMatching(/^GK/) });
    expect(innerCalls.filter((r) => r.path === '/watch')).toHaveLength(1);
  });

  it('skips the history by default, backs off on a 500, and completes when the continuation stops', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000021');
    server.push(chatId, HISTORY);
    const s = direct(server, { video_id: 'vid00000021', mode: 'innertube' });
    await until(() => s.healths.includes('live'));
    expect(s.metrics.snapshot().dropped.backfill?.count).toBe(3);
    server.failNext('server500');
    server.push(chatId, [ONE]);
    await until(() => s.events.length === 1);
    server.endChat(chatId);
    await until(() => s.completed());
    expect(server.calls('/get_live_chat').some((r) => r.status === 500)).toBe(true);
    expect(s.logs.some((l) => l.msg === 'YouTube live chat has ended (no continuation); the source stops.')).toBe(true);
  });

  it('completes for an ended stream (isReplay) and fails naming video_id when the page is missing', async () => {
    const server = await fakeServer();
    server.addVideo('vid00000022', 'ended');
    const ended = direct(server, { video_id: 'vid00000022', mode: 'innertube' });
    const missing = direct(server, { video_id: 'nosuchvideo', mode: 'innertube' });
    await until(() => ended.completed() && missing.error() !== undefined);
    expect((missing.error() as Error).message).toMatch(/^YouTube answered HTTP 404 for the watch page of "nosuchvideo" \(`video_id`\)/);
  });
});

describe('youtube source in the runtime', () => {
  it('runs from pipeline.yaml, reports quota gauges and lag, and ends the run when the chat ends', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000030');
    const events: ChatflowEvent[] = [];
    const sink = defineSink({
      type: 'collect',
      summary: 'Keeps what it is given.',
      config: z.strictObject({}),
      examples: [''],
      create: () => ({
        write: (batch) => {
          events.push(...batch);
        },
      }),
    });
    const registry = buildRegistry([youtubeComponent], [], [sink]);
    const yaml = `
version: 1
sources:
  yt:
    type: youtube
    video_id: vid00000030
    api_key: "\${YOUTUBE_API_KEY}"
    base_url: "${server.apiUrl}"
    min_poll_interval: 10ms
    stream_hours: 0.0001
sinks:
  out: { type: collect, inputs: [yt] }
`;
    const result = buildGraph(loadText(yaml, { file: 'youtube.yaml', env: { YOUTUBE_API_KEY: 'test-key' } }), registry);
    if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
    const runtime: PipelineRuntime = await startPipeline(result.graph, {
      logger: silentLogger(),
      resources: { baseDir: tmpdir(), instance: 'test' },
      backoff: { initialMs: 100, maxMs: 400, jitter: 0 },
    });
    cleanups.push(async () => {
      await runtime.stop();
    });
    await until(() => runtime.metrics.get('yt')?.status === 'live');
    const now = new Date().toISOString();
    const fresh = { ...ONE, snippet: { ...ONE.snippet, publishedAt: now } };
    server.push(chatId, [fresh]);
    await until(() => events.length === 1);
    const snap = runtime.metrics.get('yt')?.snapshot();
    expect(snap?.counts?.quota_used).toBeGreaterThanOrEqual(6);
    expect(snap?.gauges?.quota_remaining).toBeLessThan(10_000);
    expect(snap?.gauges?.lag_ms).toBeGreaterThanOrEqual(0);
    expect(snap?.gauges?.lag_ms).toBeLessThan(60_000);
    server.endChat(chatId);
    await runtime.finished;
    expect(runtime.metrics.get('yt')?.status).toBe('stopped');
  });

  it('marks the node failed on a bad key and does not restart it', async () => {
    const server = await fakeServer({ apiKeys: ['good-key'] });
    server.addVideo('vid00000031');
    const registry = buildRegistry([youtubeComponent], [], []);
    const yaml = `
version: 1
sources:
  yt: { type: youtube, video_id: vid00000031, api_key: wrong, base_url: "${server.apiUrl}" }
`;
    const result = buildGraph(loadText(yaml, { file: 'youtube.yaml', env: {} }), registry);
    if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
    const runtime = await startPipeline(result.graph, {
      logger: silentLogger(),
      resources: { baseDir: tmpdir(), instance: 'test' },
      backoff: { initialMs: 50, maxMs: 100, jitter: 0 },
    });
    cleanups.push(async () => {
      await runtime.stop();
    });
    await until(() => runtime.metrics.get('yt')?.status === 'failed');
    await sleep(200);
    expect(server.requests).toHaveLength(1);
    expect(runtime.metrics.get('yt')?.snapshot().lastError).toMatch(/`api_key`/);
  });
});

describe('youtube component: state across a restart', () => {
  it('keeps its chat, page token and seen ids in ctx.state: created again on the same context (a restart), it neither looks up nor re-reads', async () => {
    const server = await fakeServer();
    const chatId = server.addVideo('vid00000009');
    server.push(chatId, HISTORY);
    const ctx = testContext({ id: 'yt', kind: 'source', type: 'youtube' });
    const config = YoutubeConfig.parse({
      api_key: 'test-key',
      base_url: server.apiUrl,
      video_id: 'vid00000009',
      min_poll_interval: '10ms',
      stream_hours: 0.0001,
      backfill: 'emit',
    });
    const seen: string[] = [];
    const collect = (e: ChatflowEvent) => {
      if (e.kind === 'chat') seen.push(e.id);
    };
    const first = youtubeComponent.create(config, ctx).subscribe(collect);
    cleanups.push(() => first.unsubscribe());
    await until(() => seen.length === HISTORY.length, 5000, 'history');
    first.unsubscribe();
    const pollsBefore = server.calls('/liveChat/messages').length;

    const second = youtubeComponent.create(config, ctx).subscribe(collect);
    cleanups.push(() => second.unsubscribe());
    server.push(chatId, [ONE]);
    await until(() => seen.includes(ONE.id as string), 5000, 'the live message after the restart');
    // One lookup in all; the restarted node's first poll carries the page token it had.
    expect(server.calls('/videos')).toHaveLength(1);
    expect(server.calls('/liveChat/messages')[pollsBefore]?.query.pageToken).toBeDefined();
    expect(seen).toEqual([...HISTORY.map((i) => i.id), ONE.id]);
    expect(ctx.healths.filter((h) => h === 'reconnecting')).toHaveLength(1);
  });
});
