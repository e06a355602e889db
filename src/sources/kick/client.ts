/**
 * The `kick` source's two doors to the network: a WebSocket (the `ws` package) that reports
 * text frames and how it closed and never reconnects by itself (the source owns reconnects),
 * and the channel API lookup over fetch.
 */
import WebSocket from 'ws';

/** What a socket reports. Handlers must not throw. */
export interface KickSocketHandlers {
  /** A text frame. */
  message(text: string): void;
  /** A binary frame (Pusher sends none). */
  binary(): void;
  /**
   * The socket closed (or never opened: 1006) without {@link KickSocket.close} being called.
   * `reason` is the close frame's reason, or what went wrong.
   */
  closed(code: number, reason: string): void;
}

/** One WebSocket to a Pusher server. */
export interface KickSocket {
  /** Sends one frame when the socket is open; false when it is not. */
  send(frame: string): boolean;
  /** Closes the socket; no `closed` report follows. Idempotent. */
  close(): void;
}

export interface KickSocketOptions {
  /** Longest wait for the WebSocket handshake. */
  readonly handshakeTimeoutMs: number;
}

/** Opens a socket; unit tests hand the source another implementation. */
export type KickConnector = (url: string, handlers: KickSocketHandlers, options: KickSocketOptions) => KickSocket;

/** Largest frame accepted (a megabyte of chat is already hostile). */
const MAX_PAYLOAD = 4 * 1024 * 1024;

/** A {@link KickConnector} over the `ws` package. */
export const wsConnector: KickConnector = (url, handlers, options) => {
  const ws = new WebSocket(url, { handshakeTimeout: options.handshakeTimeoutMs, maxPayload: MAX_PAYLOAD });
  let closedByUs = false;
  let reported = false;
  let failure = '';
  const report = (code: number, reason: string) => {
    if (closedByUs || reported) return;
    reported = true;
    handlers.closed(code, reason);
  };
  ws.on('message', (data, isBinary) => {
    if (closedByUs) return;
    if (isBinary) handlers.binary();
    else handlers.message(data.toString());
  });
  ws.on('unexpected-response', (_req, res) => {
    failure = `HTTP ${res.statusCode ?? 0} on the WebSocket upgrade`;
    res.resume();
    ws.terminate();
  });
  ws.on('error', (err) => {
    if (failure === '') failure = err.message;
  });
  ws.on('close', (code, reason) => {
    const text = reason.toString();
    report(code, text !== '' ? text : failure);
  });
  return {
    send: (frame) => {
      if (ws.readyState !== WebSocket.OPEN) return false;
      ws.send(frame);
      return true;
    },
    close: () => {
      if (closedByUs) return;
      closedByUs = true;
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    },
  };
};

/** The channel API's answer: the parsed body, or the status it refused with. */
export type KickLookupResult =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly status: number; readonly cloudflare: boolean };

/** Asks the channel API; throws when the server cannot be reached or the answer is not JSON. */
export type KickLookup = (url: string, timeoutMs: number) => Promise<KickLookupResult>;

/** A {@link KickLookup} over fetch. */
export const fetchLookup: KickLookup = async (url, timeoutMs) => {
  const res = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'follow',
  });
  if (!res.ok) {
    const cloudflare = res.headers.get('cf-mitigated') !== null || (res.headers.get('server') ?? '').toLowerCase() === 'cloudflare';
    await res.body?.cancel().catch(() => undefined);
    return { ok: false, status: res.status, cloudflare };
  }
  return { ok: true, body: (await res.json()) as unknown };
};
