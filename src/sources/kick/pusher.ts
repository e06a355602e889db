/**
 * The `kick` source's protocol helpers (Pusher Channels protocol 7, platform-protocols.md §2.2):
 * the socket URL, frames in and out, what a close code asks for.
 */

/** Kick's public Pusher app key (scraped from its web client; it has changed before). */
export const KICK_APP_KEY = '32cbd69e4b950bf97679';
/** The key captures of 2023–2024 used, for the docs. */
export const KICK_OLD_APP_KEY = 'eb1d5f283081a78b932c';
export const KICK_CLUSTER = 'us2';
/** The pusher-js version the URL claims (the one Kick's web client ships). */
export const PUSHER_CLIENT_VERSION = '8.4.0';

/**
 * The socket URL: `wss://ws-<cluster>.pusher.com/app/<key>?protocol=7&client=js&version=…&flash=false`,
 * or the same path on `origin` (a local server, a relay) when one is given.
 */
export function pusherUrl(appKey: string, cluster: string, origin?: string): string {
  const base = origin === undefined ? `wss://ws-${cluster}.pusher.com` : origin.replace(/\/+$/, '');
  return `${base}/app/${encodeURIComponent(appKey)}?protocol=7&client=js&version=${PUSHER_CLIENT_VERSION}&flash=false`;
}

/** Why an origin URL cannot be used, or undefined when it can. */
export function originProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'Expected a WebSocket origin such as "wss://ws-us2.pusher.com" or "ws://127.0.0.1:6001"';
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') return `Expected a ws:// or wss:// URL, not ${parsed.protocol}//`;
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '' || parsed.hash !== '') {
    return 'Give only the scheme, host and port: /app/<app_key>?protocol=7… is added';
  }
  return undefined;
}

/** The channel carrying a chatroom's chat, moderation, subs and hosts. */
export function chatroomChannel(chatroomId: string): string {
  return `chatrooms.${chatroomId}.v2`;
}

/** The channel carrying a channel's gift lists and live status. */
export function channelEventsChannel(channelId: string): string {
  return `channel.${channelId}`;
}

/** A server frame, with its `data` decoded from the JSON string it arrives as. */
export interface PusherFrame {
  readonly event: string;
  readonly channel?: string;
  readonly data: unknown;
}

/**
 * Decodes a server frame `{"event":…,"data":"<json>","channel":…}`. Server-to-client `data` is
 * a JSON string and is decoded a second time; an object (what some servers and clients send)
 * is taken as it is. Undefined for anything that is not such a frame.
 */
export function decodePusherFrame(raw: string): PusherFrame | undefined {
  let outer: unknown;
  try {
    outer = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof outer !== 'object' || outer === null || Array.isArray(outer)) return undefined;
  const { event, channel, data } = outer as { event?: unknown; channel?: unknown; data?: unknown };
  if (typeof event !== 'string' || event === '') return undefined;
  if (channel !== undefined && typeof channel !== 'string') return undefined;
  let decoded: unknown = data;
  if (typeof data === 'string') {
    try {
      decoded = data === '' ? {} : JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return channel === undefined ? { event, data: decoded } : { event, channel, data: decoded };
}

/** `pusher:subscribe` for a public channel (client → server `data` is an object). */
export function subscribeFrame(channel: string): string {
  return JSON.stringify({ event: 'pusher:subscribe', data: { auth: '', channel } });
}

export const PING_FRAME = '{"event":"pusher:ping","data":{}}';
export const PONG_FRAME = '{"event":"pusher:pong","data":{}}';

/** What `pusher:connection_established` says: the socket id and the server's activity timeout (ms). */
export function connectionEstablished(data: unknown): { socketId: string; activityTimeoutMs?: number } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { socket_id: socketId, activity_timeout: timeout } = data as { socket_id?: unknown; activity_timeout?: unknown };
  if (typeof socketId !== 'string') return undefined;
  return typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0
    ? { socketId, activityTimeoutMs: timeout * 1000 }
    : { socketId };
}

/** What a `pusher:error` says (`data` is an object, or a JSON string of one). */
export function pusherError(data: unknown): { code: number | undefined; message: string } {
  if (typeof data !== 'object' || data === null) return { code: undefined, message: String(data ?? '') };
  const { code, message } = data as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'number' && Number.isFinite(code) ? code : undefined,
    message: typeof message === 'string' ? message : '',
  };
}

/**
 * What a close code (or a `pusher:error` code) asks of the client, per the Pusher protocol:
 *
 * - 4000–4099 `fatal`: do not reconnect unchanged (4001 unknown app key or wrong cluster,
 *   4007 unsupported protocol version…);
 * - 4100–4199 `backoff`: reconnect, waiting at least a second (over capacity);
 * - 4200–4299 `immediate`: reconnect at once (4201 pong not received);
 * - anything else (1006 abnormal closure, 1000, 1001…) `abnormal`: capped exponential backoff.
 */
export type CloseClass = 'fatal' | 'backoff' | 'immediate' | 'abnormal';

export function classifyClose(code: number): CloseClass {
  if (code >= 4000 && code <= 4099) return 'fatal';
  if (code >= 4100 && code <= 4199) return 'backoff';
  if (code >= 4200 && code <= 4299) return 'immediate';
  return 'abnormal';
}

/** Reconnect delays: `initial · 2^(n-1)` capped at `max`, spread by ±`jitter`. */
export interface ReconnectPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly jitter: number;
}

/** Floor of the delay a 41xx close asks for. */
export const BACKOFF_FLOOR_MS = 1000;

/**
 * The delay before reconnect number `attempt` (1-based, counted since the last stable
 * connection) after a close of class `closeClass`: none for the first `immediate` one (then
 * the backoff, one step behind), at least {@link BACKOFF_FLOOR_MS} for `backoff`, the capped
 * exponential backoff for `abnormal`. Never called for `fatal`.
 */
export function reconnectDelay(
  closeClass: CloseClass,
  attempt: number,
  policy: ReconnectPolicy,
  random: () => number = Math.random,
): number {
  const step = (n: number) => {
    const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, n - 1));
    const spread = base * policy.jitter;
    return Math.max(0, Math.round(base - spread + random() * 2 * spread));
  };
  switch (closeClass) {
    case 'immediate':
      return attempt <= 1 ? 0 : step(attempt - 1);
    case 'backoff':
      return Math.max(BACKOFF_FLOOR_MS, step(attempt));
    default:
      return step(attempt);
  }
}
