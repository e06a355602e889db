/**
 * The `youtube` source's door to innertube, the unofficial API YouTube's own web chat uses
 * (platform-protocols.md §3.3, as LinaTsukusu/youtube-chat does it): scrape the watch page for
 * the innertube key, client version and first continuation, then POST
 * `youtubei/v1/live_chat/get_live_chat` with each continuation in turn. No key, no quota;
 * fragile by nature (YouTube changes its pages).
 */

export const INNERTUBE_URL = 'https://www.youtube.com';

/** What the watch page gives. */
export interface WatchPage {
  readonly apiKey?: string;
  readonly clientVersion?: string;
  /** The first live chat continuation; absent when the page has no live chat. */
  readonly continuation?: string;
  /** `"isReplay":true`: the stream has ended (the chat is a replay). */
  readonly isReplay: boolean;
}

/** `GET {base}/watch?v=…`. */
export function watchPageUrl(baseUrl: string, videoId: string): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/watch`);
  url.searchParams.set('v', videoId);
  return url.toString();
}

/** `POST {base}/youtubei/v1/live_chat/get_live_chat?key=…`. */
export function getLiveChatUrl(baseUrl: string, apiKey: string): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/youtubei/v1/live_chat/get_live_chat`);
  url.searchParams.set('key', apiKey);
  return url.toString();
}

/** The request body youtube-chat sends (platform-protocols.md §3.3; sample `innertube-get_live_chat-request`). */
export function getLiveChatBody(clientVersion: string, continuation: string): string {
  return JSON.stringify({ context: { client: { clientVersion, clientName: 'WEB' } }, continuation });
}

/** Headers that make the page and the API answer as they do a desktop browser in English. */
export const INNERTUBE_HEADERS: Readonly<Record<string, string>> = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'accept-language': 'en-US,en;q=0.9',
};

/** Regex-scrapes the watch page the way youtube-chat does. */
export function scrapeWatchPage(html: string): WatchPage {
  const apiKey = /"INNERTUBE_API_KEY":"([^"]+)"/.exec(html)?.[1];
  const clientVersion = /"clientVersion":"([\d.]+)"/.exec(html)?.[1];
  const continuation = /"continuation":"([^"]+)"/.exec(html)?.[1];
  const isReplay = /"isReplay":\s*true/.test(html);
  return {
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(clientVersion === undefined ? {} : { clientVersion }),
    ...(continuation === undefined ? {} : { continuation }),
    isReplay,
  };
}

/** What one `get_live_chat` answer holds. */
export interface LiveChatPage {
  /** The actions, in order (none when the key `actions` is absent: no new messages). */
  readonly actions: readonly unknown[];
  /** The next continuation and how long to wait for it; absent: the chat is over. */
  readonly next?: { readonly continuation: string; readonly timeoutMs?: number };
}

const CONTINUATION_KINDS = ['invalidationContinuationData', 'timedContinuationData', 'reloadContinuationData', 'liveChatReplayContinuationData'];

/** Reads `continuationContents.liveChatContinuation`; undefined when the body has none. */
export function readLiveChatPage(body: unknown): LiveChatPage | undefined {
  const chat = (body as { continuationContents?: { liveChatContinuation?: Record<string, unknown> } } | undefined)
    ?.continuationContents?.liveChatContinuation;
  if (chat === undefined || typeof chat !== 'object') return undefined;
  const actions = Array.isArray(chat.actions) ? (chat.actions as unknown[]) : [];
  const continuations = Array.isArray(chat.continuations) ? (chat.continuations as Record<string, unknown>[]) : [];
  for (const entry of continuations) {
    for (const kind of CONTINUATION_KINDS) {
      const data = entry?.[kind] as { continuation?: unknown; timeoutMs?: unknown } | undefined;
      if (data !== undefined && typeof data.continuation === 'string') {
        return typeof data.timeoutMs === 'number'
          ? { actions, next: { continuation: data.continuation, timeoutMs: data.timeoutMs } }
          : { actions, next: { continuation: data.continuation } };
      }
    }
  }
  return { actions };
}
