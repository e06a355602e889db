/**
 * The `youtube` source's door to the YouTube Data API v3 (platform-protocols.md §3.1):
 * `videos.list` and `liveChatMessages.list` over global fetch, and what a Google error
 * envelope means for the source.
 */
import type { ApiChatItem } from './normalize.js';

export const YOUTUBE_API_URL = 'https://www.googleapis.com/youtube/v3';

/** The fetch the clients use; tests and tools may hand in another. */
export type Fetch = typeof fetch;

/** An HTTP answer with its body as text. */
export interface HttpTextAnswer {
  readonly status: number;
  readonly text: string;
  readonly retryAfterMs?: number;
}

/** Sends a request and reads the body as text. Rejects on network errors and aborts. */
export async function fetchText(fetchImpl: Fetch, url: string, init: RequestInit): Promise<HttpTextAnswer> {
  const response = await fetchImpl(url, init);
  const text = await response.text();
  const retryAfter = Number(response.headers.get('retry-after'));
  return Number.isFinite(retryAfter) && retryAfter > 0
    ? { status: response.status, text, retryAfterMs: retryAfter * 1000 }
    : { status: response.status, text };
}

/** Reads a body as JSON; undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `liveStreamingDetails` of a video. */
export interface LiveStreamingDetails {
  readonly activeLiveChatId?: string;
  readonly actualStartTime?: string;
  readonly actualEndTime?: string;
  readonly scheduledStartTime?: string;
  readonly concurrentViewers?: string;
}

/** The body of `liveChatMessages.list`. */
export interface MessageListResponse {
  readonly kind?: string;
  readonly nextPageToken?: string;
  readonly pollingIntervalMillis?: number;
  readonly offlineAt?: string;
  readonly items?: readonly ApiChatItem[];
}

function withKey(url: URL, apiKey: string): string {
  url.searchParams.set('key', apiKey);
  return url.toString();
}

/** `GET {base}/videos?part=liveStreamingDetails&id=…&key=…` (1 unit). */
export function videosUrl(baseUrl: string, apiKey: string, videoId: string): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/videos`);
  url.searchParams.set('part', 'liveStreamingDetails');
  url.searchParams.set('id', videoId);
  return withKey(url, apiKey);
}

/** `GET {base}/liveChat/messages?liveChatId=…&part=id,snippet,authorDetails[&pageToken][&maxResults]&key=…` (5 units). */
export function messagesUrl(baseUrl: string, apiKey: string, liveChatId: string, pageToken?: string, maxResults?: number): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/liveChat/messages`);
  url.searchParams.set('liveChatId', liveChatId);
  url.searchParams.set('part', 'id,snippet,authorDetails');
  if (pageToken !== undefined) url.searchParams.set('pageToken', pageToken);
  if (maxResults !== undefined) url.searchParams.set('maxResults', String(maxResults));
  return withKey(url, apiKey);
}

/** What a video says about its live chat. */
export type VideoState =
  | { readonly state: 'live'; readonly liveChatId: string }
  | { readonly state: 'ended'; readonly endedAt: string }
  | { readonly state: 'waiting' }
  | { readonly state: 'not_live' }
  | { readonly state: 'not_found' };

/** Reads a `videos.list` body (platform-protocols.md §3.4.1). */
export function videoState(body: unknown): VideoState {
  const items = (body as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items) || items.length === 0) return { state: 'not_found' };
  const details = (items[0] as { liveStreamingDetails?: LiveStreamingDetails } | undefined)?.liveStreamingDetails;
  if (details === undefined || typeof details !== 'object') return { state: 'not_live' };
  if (typeof details.activeLiveChatId === 'string' && details.activeLiveChatId !== '') {
    return { state: 'live', liveChatId: details.activeLiveChatId };
  }
  if (typeof details.actualEndTime === 'string') return { state: 'ended', endedAt: details.actualEndTime };
  return { state: 'waiting' };
}

/**
 * What a failed call means for the source:
 * - `ended`: the chat is over (`liveChatEnded`, `liveChatNotFound`, `offline`) → complete;
 * - `quota`: the day's quota is spent (`quotaExceeded`, `dailyLimitExceeded`) → wait long;
 * - `retry`: try again after a backoff (429, `rateLimitExceeded`, 5xx, unreadable answers);
 * - `fatal`: retrying cannot help (bad key, chat disabled, API not enabled, …).
 */
export type ApiFailureKind = 'ended' | 'quota' | 'retry' | 'fatal';

export interface ApiFailure {
  readonly kind: ApiFailureKind;
  readonly status: number;
  /** `errors[0].reason` (or the ErrorInfo reason), when the envelope has one. */
  readonly reason: string;
  readonly message: string;
}

const ENDED = new Set(['liveChatEnded', 'liveChatNotFound', 'offline']);
const QUOTA = new Set(['quotaExceeded', 'dailyLimitExceeded']);
const RETRY = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'backendError', 'internalError']);

/** Reads the Google error envelope `{error:{code, message, errors:[{reason}], details:[{reason}]}}`. */
export function classifyApiFailure(status: number, body: unknown): ApiFailure {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  const errors = Array.isArray(error?.errors) ? (error.errors as { reason?: unknown }[]) : [];
  const details = Array.isArray(error?.details) ? (error.details as { reason?: unknown }[]) : [];
  const reasons = [...errors.map((e) => e?.reason), ...details.map((d) => d?.reason)].filter(
    (r): r is string => typeof r === 'string',
  );
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
  const reason = reasons.find((r) => r === 'API_KEY_INVALID') ? 'keyInvalid' : (reasons[0] ?? '');
  const has = (set: Set<string>) => reasons.some((r) => set.has(r));
  let kind: ApiFailureKind;
  if (has(ENDED)) kind = 'ended';
  else if (has(QUOTA)) kind = 'quota';
  else if (status === 429 || status >= 500 || has(RETRY)) kind = 'retry';
  else kind = 'fatal';
  return { kind, status, reason: reasons.includes('keyInvalid') ? 'keyInvalid' : reason, message };
}
