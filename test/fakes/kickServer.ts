/**
 * A fake Kick: a Pusher Channels protocol 7 WebSocket server and Kick's channel API, on one
 * random port of 127.0.0.1, following the checklist of platform-protocols.md §2.5:
 *
 * - `/app/<key>?protocol=7…`: an unknown key gets `pusher:error` 4001 and a close with 4001;
 *   a missing or other protocol version 4007;
 * - on open, `pusher:connection_established` with a `"<int>.<int>"` socket id and the activity
 *   timeout, its `data` a JSON string;
 * - `pusher:subscribe` → `pusher_internal:subscription_succeeded` (data `"{}"`),
 *   `pusher:unsubscribe`, `pusher:ping` → `pusher:pong`;
 * - events published only to the connections subscribed to their channel, `data` double-encoded;
 *   the captured sample frames replayed as they were captured;
 * - `GET /api/v2/channels/<slug>`: the lookup JSON, or a Cloudflare 403, or a 404;
 * - faults: a silent connection (no pong, nothing sent), a close with any code, an abrupt
 *   drop (1006 for the client), refused upgrades, the same frame delivered twice.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { kickFrame, loadKickSamples } from './kickSamples.js';

export const FAKE_KICK_APP_KEY = '32cbd69e4b950bf97679';

/** A channel the fake's channel API knows. */
export interface FakeKickChannel {
  readonly slug: string;
  readonly channelId: number;
  readonly chatroomId: number;
}

export interface FakeKickOptions {
  /** App keys accepted on `/app/<key>`; default: Kick's current one. */
  readonly appKeys?: readonly string[];
  /** Seconds, sent in `connection_established`. */
  readonly activityTimeout?: number;
  readonly channels?: readonly FakeKickChannel[];
}

/** How the channel API answers. */
export type LookupMode = 'ok' | 'cloudflare' | 'not_found';

/** One client connection, as the server sees it. */
export class FakeKickConnection {
  readonly socketId: string;
  /** Channels subscribed. */
  readonly subscribed = new Set<string>();
  /** Every frame the client sent, parsed. */
  readonly received: { event: string; data: unknown }[] = [];
  /** Frames sent to this client. */
  framesSent = 0;
  /** `pusher:ping`s from the client, and the `pusher:pong`s it sent back to server pings. */
  pings = 0;
  pongs = 0;
  /** Silent: nothing is sent and nothing answered, but the socket stays open. */
  silent = false;
  closed = false;
  /** The close code the server sent, if it closed the connection. */
  closeCode: number | undefined;
  readonly openedAt = performance.now();

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly appKey: string,
  ) {
    this.socketId = `${100_000 + id}.${200_000 + id * 7}`;
  }
}

/** The fake server. Create with {@link FakeKickServer.start}; stop with {@link FakeKickServer.close}. */
export class FakeKickServer {
  readonly connections: FakeKickConnection[] = [];
  /** Channel API requests, by path. */
  readonly lookups: string[] = [];
  lookupMode: LookupMode = 'ok';
  /** Upgrades refused so far, and how many more to refuse. */
  refused = 0;
  #refuseNext = 0;
  framesSent = 0;
  readonly #channels: readonly FakeKickChannel[];
  readonly #appKeys: ReadonlySet<string>;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly options: FakeKickOptions,
  ) {
    this.#channels = options.channels ?? [{ slug: 'samplechannel', channelId: 676, chatroomId: 668 }];
    this.#appKeys = new Set(options.appKeys ?? [FAKE_KICK_APP_KEY]);
    http.on('request', (req, res) => this.#request(req, res));
    http.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
  }

  static async start(options: FakeKickOptions = {}): Promise<FakeKickServer> {
    const http = createServer();
    const wss = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    });
    return new FakeKickServer(http, wss, options);
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** `ws://127.0.0.1:<port>`, for the source's `ws_url`. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** `http://127.0.0.1:<port>`, for the source's `api_base_url`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open connections. */
  get open(): FakeKickConnection[] {
    return this.connections.filter((c) => !c.closed);
  }

  /** Open connections subscribed to `channel`. */
  subscribers(channel: string): FakeKickConnection[] {
    return this.open.filter((c) => c.subscribed.has(channel));
  }

  /** Refuse the next `count` WebSocket upgrades with HTTP 503. */
  refuseNext(count: number): void {
    this.#refuseNext = count;
  }

  /** Sends a raw text frame to one client; false when it is closed or silent. */
  send(conn: FakeKickConnection, frame: string): boolean {
    if (conn.closed || conn.silent || conn.ws.readyState !== conn.ws.OPEN) return false;
    conn.ws.send(frame);
    conn.framesSent += 1;
    this.framesSent += 1;
    return true;
  }

  /** Publishes an event (its `data` JSON-encoded as a string) to every subscriber of `channel`. */
  publish(channel: string, event: string, data: unknown): FakeKickConnection[] {
    return this.publishFrame(channel, kickFrame(event, data, channel));
  }

  /** Sends a ready-made frame to every subscriber of `channel`; returns who got it. */
  publishFrame(channel: string, frame: string): FakeKickConnection[] {
    const to = this.subscribers(channel).filter((c) => !c.silent);
    for (const conn of to) this.send(conn, frame);
    return to;
  }

  /**
   * Replays every captured server event frame of kick-samples.json on `channel` (Pusher's own
   * frames left out), each as captured but addressed to `channel`; returns the frames sent.
   */
  replaySamples(channel: string): string[] {
    const frames: string[] = [];
    for (const sample of loadKickSamples()) {
      if (sample.direction === 'client->server') continue;
      const outer = JSON.parse(sample.frame) as { event: string; channel?: string };
      if (outer.event.startsWith('pusher')) continue;
      const frame = JSON.stringify({ ...outer, channel });
      this.publishFrame(channel, frame);
      frames.push(frame);
    }
    return frames;
  }

  /** Sends the client a `pusher:ping`; its `pusher:pong` is counted in `pongs`. */
  ping(conn: FakeKickConnection): boolean {
    return this.send(conn, '{"event":"pusher:ping","data":"{}"}');
  }

  /** Closes a connection with a close frame carrying `code` (after a `pusher:error` for 4xxx codes, as Pusher does). */
  closeWith(conn: FakeKickConnection, code: number, reason = ''): void {
    if (conn.closed) return;
    if (code >= 4000) this.send(conn, JSON.stringify({ event: 'pusher:error', data: { code, message: reason } }));
    conn.closed = true;
    conn.closeCode = code;
    conn.ws.close(code, reason);
  }

  /** Drops a connection without a close frame (the client sees 1006). */
  terminate(conn: FakeKickConnection): void {
    conn.closed = true;
    conn.ws.terminate();
  }

  /** Keeps a connection open but sends and answers nothing from now on. */
  silence(conn: FakeKickConnection): void {
    conn.silent = true;
  }

  async close(): Promise<void> {
    for (const conn of this.connections) {
      conn.closed = true;
      conn.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/api\/v2\/channels\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || match === null) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not found"}');
      return;
    }
    this.lookups.push(url.pathname);
    const slug = decodeURIComponent(match[1] as string).toLowerCase();
    if (this.lookupMode === 'cloudflare') {
      // What Cloudflare's bot challenge answers a program with.
      res
        .writeHead(403, { 'content-type': 'text/html; charset=UTF-8', server: 'cloudflare', 'cf-mitigated': 'challenge' })
        .end('<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>');
      return;
    }
    const channel = this.#channels.find((c) => c.slug === slug);
    if (this.lookupMode === 'not_found' || channel === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Channel not found"}');
      return;
    }
    // The shape of the captured answer (kick-samples.json, channel-lookup-excerpt).
    const body = {
      id: channel.channelId,
      user_id: channel.channelId + 1,
      slug: channel.slug,
      is_banned: false,
      chatroom: { id: channel.chatroomId, chatable_type: 'App\\Models\\Channel', channel_id: channel.channelId, slow_mode: false },
      livestream: null,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/app\/([^/]+)$/.exec(url.pathname);
    if (match === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (this.#refuseNext > 0) {
      this.#refuseNext -= 1;
      this.refused += 1;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    const appKey = decodeURIComponent(match[1] as string);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, appKey, url.searchParams.get('protocol')));
  }

  #accept(ws: WebSocket, appKey: string, protocol: string | null): void {
    const conn = new FakeKickConnection(this.connections.length + 1, ws, appKey);
    this.connections.push(conn);
    ws.on('close', () => {
      conn.closed = true;
    });
    ws.on('error', () => undefined);
    if (protocol !== '7') {
      this.closeWith(conn, 4007, 'Unsupported protocol version');
      return;
    }
    if (!this.#appKeys.has(appKey)) {
      this.closeWith(conn, 4001, `App key ${appKey} not in this cluster. Did you forget to specify the cluster?`);
      return;
    }
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let frame: { event?: unknown; data?: unknown };
      try {
        frame = JSON.parse(raw.toString());
      } catch {
        return;
      }
      if (typeof frame.event !== 'string') return;
      conn.received.push({ event: frame.event, data: frame.data });
      this.#onClientFrame(conn, frame.event, frame.data);
    });
    this.send(
      conn,
      JSON.stringify({
        event: 'pusher:connection_established',
        data: JSON.stringify({ socket_id: conn.socketId, activity_timeout: this.options.activityTimeout ?? 120 }),
      }),
    );
  }

  #onClientFrame(conn: FakeKickConnection, event: string, data: unknown): void {
    if (conn.silent) return;
    const channel = typeof data === 'object' && data !== null ? (data as { channel?: unknown }).channel : undefined;
    switch (event) {
      case 'pusher:subscribe':
        if (typeof channel !== 'string') return;
        conn.subscribed.add(channel);
        this.send(conn, JSON.stringify({ event: 'pusher_internal:subscription_succeeded', data: '{}', channel }));
        return;
      case 'pusher:unsubscribe':
        if (typeof channel === 'string') conn.subscribed.delete(channel);
        return;
      case 'pusher:ping':
        conn.pings += 1;
        this.send(conn, '{"event":"pusher:pong","data":"{}"}');
        return;
      case 'pusher:pong':
        conn.pongs += 1;
        return;
      default:
        return;
    }
  }
}
