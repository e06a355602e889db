import { describe, expect, it } from 'vitest';
import { NodeMetrics } from '../../core/metrics.js';
import { chat } from '../../../test/support/events.js';
import { classifyApiFailure, messagesUrl, videoState, videosUrl } from './apiClient.js';
import { createYoutubeNodeState, gateYoutubeEvent } from './session.js';
import { backoffDelay } from '../../core/backoff.js';

describe('gateYoutubeEvent', () => {
  it('drops an id seen before as duplicate, and history with backfill: skip as backfill (intentional) without emitting it later', () => {
    const state = createYoutubeNodeState();
    const metrics = new NodeMetrics('yt', 'source', 'youtube');
    const old = chat('old', { platform: 'youtube', id: 'a', backfill: true });
    expect(gateYoutubeEvent(old, state.seen, 'skip', metrics)).toBeUndefined();
    expect(gateYoutubeEvent({ ...old, backfill: false }, state.seen, 'skip', metrics)).toBeUndefined();
    const fresh = chat('new', { platform: 'youtube', id: 'b' });
    expect(gateYoutubeEvent(fresh, state.seen, 'skip', metrics)).toBe(fresh);
    expect(gateYoutubeEvent(fresh, state.seen, 'skip', metrics)).toBeUndefined();
    expect(metrics.snapshot().dropped).toEqual({ backfill: { count: 1, intentional: true }, duplicate: { count: 2, intentional: true } });
  });

  it('passes history on with backfill: emit, and keeps a chat and a platform event with the same id apart', () => {
    const state = createYoutubeNodeState();
    const metrics = new NodeMetrics('yt', 'source', 'youtube');
    const old = chat('old', { platform: 'youtube', id: 'sc', backfill: true });
    expect(gateYoutubeEvent(old, state.seen, 'emit', metrics)).toBe(old);
    const superChat = { kind: 'platform', type: 'super_chat', id: 'sc', platform: 'youtube', channel: 'c', ts: 0, data: {}, receivedAt: 0 } as const;
    expect(gateYoutubeEvent(superChat, state.seen, 'emit', metrics)).toBe(superChat);
  });
});

describe('Data API client', () => {
  it('builds the documented URLs with the key', () => {
    expect(videosUrl('http://x/youtube/v3/', 'k', 'vid')).toBe('http://x/youtube/v3/videos?part=liveStreamingDetails&id=vid&key=k');
    expect(messagesUrl('http://x/youtube/v3', 'k', 'chat', 'tok', 2000)).toBe(
      'http://x/youtube/v3/liveChat/messages?liveChatId=chat&part=id%2Csnippet%2CauthorDetails&pageToken=tok&maxResults=2000&key=k',
    );
  });

  it('reads the video states', () => {
    expect(videoState({ items: [] })).toEqual({ state: 'not_found' });
    expect(videoState({ items: [{ id: 'v' }] })).toEqual({ state: 'not_live' });
    expect(videoState({ items: [{ liveStreamingDetails: { scheduledStartTime: 'x' } }] })).toEqual({ state: 'waiting' });
    expect(videoState({ items: [{ liveStreamingDetails: { actualEndTime: 'e' } }] })).toEqual({ state: 'ended', endedAt: 'e' });
    expect(videoState({ items: [{ liveStreamingDetails: { activeLiveChatId: 'c' } }] })).toEqual({ state: 'live', liveChatId: 'c' });
  });

  it('classifies the Google error envelope', () => {
    const env = (code: number, reason: string) => ({ error: { code, message: 'm', errors: [{ reason }] } });
    expect(classifyApiFailure(403, env(403, 'liveChatEnded')).kind).toBe('ended');
    expect(classifyApiFailure(404, env(404, 'liveChatNotFound')).kind).toBe('ended');
    expect(classifyApiFailure(403, env(403, 'quotaExceeded')).kind).toBe('quota');
    expect(classifyApiFailure(403, env(403, 'rateLimitExceeded')).kind).toBe('retry');
    expect(classifyApiFailure(429, undefined).kind).toBe('retry');
    expect(classifyApiFailure(503, undefined).kind).toBe('retry');
    expect(classifyApiFailure(403, env(403, 'liveChatDisabled'))).toMatchObject({ kind: 'fatal', reason: 'liveChatDisabled' });
    expect(classifyApiFailure(400, env(400, 'keyInvalid'))).toMatchObject({ kind: 'fatal', reason: 'keyInvalid' });
    const invalid = { error: { code: 400, message: 'API key not valid.', errors: [{ reason: 'badRequest' }], details: [{ reason: 'API_KEY_INVALID' }] } };
    expect(classifyApiFailure(400, invalid)).toMatchObject({ kind: 'fatal', reason: 'keyInvalid', message: 'API key not valid.' });
    expect(classifyApiFailure(404, undefined)).toMatchObject({ kind: 'fatal', message: 'HTTP 404' });
  });
});

describe('poll backoff', () => {
  it('doubles from retry.initial_backoff and stops at retry.max_backoff', () => {
    const policy = { initialMs: 1000, maxMs: 60_000, jitter: 0.2 };
    const mid = () => 0.5;
    expect([1, 2, 3, 6, 7, 20].map((n) => backoffDelay(policy, n, mid))).toEqual([1000, 2000, 4000, 32_000, 60_000, 60_000]);
  });
});
