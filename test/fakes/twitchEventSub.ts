/**
 * A fake Twitch EventSub: the WebSocket transport and the Helix calls a twurple client makes for
 * it, on one random port (all interfaces, so both `localhost` and `127.0.0.1` reach it), following
 * twitch-eventsub.md §8. Point twurple at it with `new ApiClient({ authProvider, mockServerPort })`:
 * Helix then goes to `http://localhost:<port>/mock/…` (`/eventsub/subscriptions` without `/mock`)
 * and `EventSubWsListener` to `ws://127.0.0.1:<port>/ws`.
 *
 * - `/ws`: `session_welcome` at once (fresh session id, `reconnect_url: null`), `session_keepalive`
 *   whenever nothing else went out for the keepalive time, WebSocket pings; any data frame from
 *   the client is answered with a close 4001; optionally 4003 when no subscription arrives in time.
 * - `POST /eventsub/subscriptions` (also `/helix/…`, `/mock/…`): needs `Authorization: Bearer` and
 *   `Client-Id`, `transport.method: websocket` and a connected `session_id`; 409 for a duplicate
 *   on the same session, 403 for a type the token "lacks the scope" for; 202 with the websocket shape
 *   and the id every notification for it then carries. `GET` lists, `DELETE ?id=` 204/404.
 * - A session that closes (other than by the reconnect handover) disables its subscriptions, so
 *   the client has to subscribe again on its next session.
 * - `PATCH /mock/channel_points/custom_rewards/redemptions`: 200 (then a `…redemption.update`
 *   notification), 404 when the redemption is not UNFULFILLED, 403 for a reward "created by
 *   another client id"; `Ratelimit-*` headers on every Helix answer; a 429 mode.
 * - Test hooks: {@link FakeEventSub.notify} (a new message id each time, stamped now),
 *   {@link FakeEventSub.resend} (same message id), {@link FakeEventSub.revoke},
 *   {@link FakeEventSub.reconnect} (session_reconnect → a second socket takes the subscriptions
 *   over, the old one is closed 4004 after the grace time unless the client closed it),
 *   {@link FakeEventSub.close} (any close code), {@link FakeEventSub.silence} (no keepalives),
 *   {@link FakeEventSub.drop} (the socket vanishes without a close frame).
 *
 * The keepalive time may be set below Twitch's 10 s minimum (`keepaliveSeconds`) so that a
 * timeout test takes a second, not twelve.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { loadEventSubSamples } from './twitchEventSubSamples.js';

export interface FakeEventSubOptions {
  /** `keepalive_timeout_seconds` of the welcome; default 10 (or the client's query, clamped). */
  readonly keepaliveSeconds?: number;
  /** How long after `session_reconnect` the old socket is closed with 4004; default 30 s. */
  readonly reconnectGraceMs?: number;
  /** Close 4003 when no subscription arrives this long after the welcome; default never. */
  readonly unusedCloseMs?: number;
  /** Subscription types answered 403 (a token without the scope). */
  readonly forbiddenTypes?: readonly string[];
  /** Reward ids "created by another client id": their redemptions cannot be updated (403). */
  readonly foreignRewards?: readonly string[];
}

/** A subscription as the fake stores it (the websocket response shape). */
export interface FakeSubscription {
  readonly id: string;
  status: string;
  readonly type: string;
  readonly version: string;
  readonly condition: Record<string, string>;
  readonly created_at: string;
  transport: { method: 'websocket'; session_id: string; connected_at: string };
  readonly cost: number;
}

/** One client socket. */
export class FakeEventSubSession {
  readonly id: string;
  welcomed = false;
  closed = false;
  /** The close code the server sent, or the client's, once closed. */
  closeCode: number | undefined;
  /** False: no keepalives (a timeout test). */
  keepalive = true;
  keepaliveTimer: NodeJS.Timeout | undefined;
  pingTimer: NodeJS.Timeout | undefined;
  keepaliveMs = 10_000;
  /** Data frames the client sent (it never should). */
  inbound = 0;
  /** Frames sent, parsed. */
  readonly sent: { metadata: Record<string, unknown>; payload: Record<string, unknown> }[] = [];

  constructor(
    readonly ws: WebSocket,
    readonly connectedAt: string,
    n: number,
  ) {
    this.id = `${randomUUID().slice(0, 8)}_${String(n).padStart(8, '0')}`;
  }
}

/** A redemption the fake's Helix knows, by id. */
interface FakeRedemption {
  readonly event: Record<string, unknown>;
  status: 'UNFULFILLED' | 'FULFILLED' | 'CANCELED';
}

/** RFC 3339 with nanoseconds, as Twitch writes timestamps. */
export function nanoTimestamp(ms = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '000000Z');
}

export class FakeEventSub {
  readonly sessions: FakeEventSubSession[] = [];
  readonly subscriptions: FakeSubscription[] = [];
  /** Every Helix request: method, path (without query) and status answered. */
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** Redemption status updates: the ids, reward and status asked for, and the answer. */
  readonly patches: { ids: string[]; rewardId: string; status: string; answer: number }[] = [];
  /** Answer the next N Helix calls with 429. */
  rateLimited = 0;
  readonly #redemptions = new Map<string, FakeRedemption>();
  readonly #frames = new Map<string, string>();
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #options: FakeEventSubOptions;
  #port = 0;
  #count = 0;

  private constructor(options: FakeEventSubOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      this.#http(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
  }

  static async start(options: FakeEventSubOptions = {}): Promise<FakeEventSub> {
    const fake = new FakeEventSub(options);
    await new Promise<void>((resolve) => fake.#server.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
    fake.#port = (fake.#server.address() as AddressInfo).port;
    return fake;
  }

  get port(): number {
    return this.#port;
  }

  /** The session that owns enabled subscriptions now (the newest welcomed one). */
  get current(): FakeEventSubSession | undefined {
    return [...this.sessions].reverse().find((s) => s.welcomed && !s.closed);
  }

  enabled(type?: string): FakeSubscription[] {
    return this.subscriptions.filter((s) => s.status === 'enabled' && (type === undefined || s.type === type));
  }

  /**
   * Sends `event` as a notification of the enabled subscription of `type` to the session that
   * owns it; returns the message id, or undefined when nothing is subscribed to `type`.
   */
  notify(type: string, event: Record<string, unknown>): string | undefined {
    // The newest session's subscription: a silenced (dead) session's is left alone.
    const sub = this.enabled(type)
      .reverse()
      .find((s) => this.sessions.some((session) => session.id === s.transport.session_id && !session.closed && session.keepalive));
    if (sub === undefined) return undefined;
    const session = this.sessions.find((s) => s.id === sub.transport.session_id) as FakeEventSubSession;
    if (type === 'channel.channel_points_custom_reward_redemption.add' && typeof event.id === 'string') {
      this.#redemptions.set(event.id, { event, status: 'UNFULFILLED' });
    }
    const messageId = randomUUID();
    const frame = JSON.stringify({
      metadata: {
        message_id: messageId,
        message_type: 'notification',
        message_timestamp: nanoTimestamp(),
        subscription_type: sub.type,
        subscription_version: sub.version,
      },
      payload: { subscription: sub, event },
    });
    this.#frames.set(messageId, frame);
    this.#send(session, frame);
    return messageId;
  }

  /**
   * Frames for `events` of `type` (new message ids, stamped now) without sending them, and the
   * session to send them on: for a benchmark, so that building frames is not what it measures.
   */
  prepare(type: string, events: readonly Record<string, unknown>[]): { frames: string[]; session: FakeEventSubSession } {
    const sub = this.enabled(type).at(-1);
    const session = this.sessions.find((s) => s.id === sub?.transport.session_id && !s.closed);
    if (sub === undefined || session === undefined) throw new Error(`nothing subscribed to ${type}`);
    const metadata = { message_type: 'notification', message_timestamp: nanoTimestamp(), subscription_type: sub.type, subscription_version: sub.version };
    const frames = events.map((event) => JSON.stringify({ metadata: { message_id: randomUUID(), ...metadata }, payload: { subscription: sub, event } }));
    return { frames, session };
  }

  /** The sample event of `sampleId` (twitch-eventsub-samples*.json), sent as {@link notify} does. */
  notifySample(sampleId: string, patch: Record<string, unknown> = {}): string | undefined {
    const sample = loadEventSubSamples().find((s) => s.id === sampleId);
    if (sample === undefined) throw new Error(`no sample ${sampleId}`);
    const { subscription_type: type } = sample.message.metadata;
    return this.notify(String(type), { ...(sample.message.payload.event as Record<string, unknown>), ...patch });
  }

  /** Sends the frame of `messageId` again, same id (an at-least-once redelivery), to the current session. */
  resend(messageId: string): void {
    const frame = this.#frames.get(messageId);
    const session = this.current;
    if (frame === undefined || session === undefined) throw new Error('nothing to resend');
    this.#send(session, frame);
  }

  /** Revokes the subscription of `type`: one revocation frame, then it is disabled. */
  revoke(type: string, status = 'authorization_revoked'): void {
    const sub = this.enabled(type)[0];
    if (sub === undefined) throw new Error(`no enabled subscription of ${type}`);
    sub.status = status;
    const session = this.sessions.find((s) => s.id === sub.transport.session_id && !s.closed);
    if (session === undefined) return;
    this.#send(
      session,
      JSON.stringify({
        metadata: {
          message_id: randomUUID(),
          message_type: 'revocation',
          message_timestamp: nanoTimestamp(),
          subscription_type: sub.type,
          subscription_version: sub.version,
        },
        payload: { subscription: sub },
      }),
    );
  }

  /**
   * `session_reconnect` on the current session: the client is to open `reconnect_url`, whose
   * welcome carries the same subscriptions; the old socket is closed 4004 after the grace time.
   */
  reconnect(): FakeEventSubSession {
    const session = this.current;
    if (session === undefined) throw new Error('no session to reconnect');
    const url = `ws://127.0.0.1:${this.#port}/ws?reconnect_id=${encodeURIComponent(session.id)}`;
    this.#send(
      session,
      JSON.stringify({
        metadata: { message_id: randomUUID(), message_type: 'session_reconnect', message_timestamp: nanoTimestamp() },
        payload: {
          session: { id: session.id, status: 'reconnecting', keepalive_timeout_seconds: null, reconnect_url: url, connected_at: session.connectedAt },
        },
      }),
    );
    const grace = setTimeout(() => {
      if (!session.closed) this.#closeSession(session, 4004, 'Reconnect grace time expired');
    }, this.#options.reconnectGraceMs ?? 30_000);
    grace.unref();
    return session;
  }

  /** Closes the current session (or `session`) with `code`; its subscriptions are disabled. */
  close(code: number, session = this.current): void {
    if (session === undefined) throw new Error('no session to close');
    this.#closeSession(session, code, CLOSE_REASONS[code] ?? 'closed');
  }

  /** No more keepalives on the current session (the client should time out). */
  silence(session = this.current): void {
    if (session === undefined) throw new Error('no session to silence');
    session.keepalive = false;
    clearTimeout(session.keepaliveTimer);
    clearInterval(session.pingTimer);
  }

  /** The socket vanishes: no close frame (the client sees 1006). */
  drop(session = this.current): void {
    if (session === undefined) throw new Error('no session to drop');
    this.#ended(session, 1006);
    session.ws.terminate();
  }

  async stop(): Promise<void> {
    for (const session of this.sessions) {
      clearTimeout(session.keepaliveTimer);
      clearInterval(session.pingTimer);
      session.ws.terminate();
    }
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #send(session: FakeEventSubSession, frame: string): void {
    if (session.closed) return;
    session.ws.send(frame);
    session.sent.push(JSON.parse(frame));
    if (session.welcomed) this.#armKeepalive(session);
  }

  #keepaliveSeconds(req: IncomingMessage): number {
    if (this.#options.keepaliveSeconds !== undefined) return this.#options.keepaliveSeconds;
    const asked = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('keepalive_timeout_seconds'));
    return Number.isFinite(asked) && asked > 0 ? Math.min(600, Math.max(10, Math.round(asked))) : 10;
  }

  #armKeepalive(session: FakeEventSubSession): void {
    clearTimeout(session.keepaliveTimer);
    if (!session.keepalive || session.closed) return;
    session.keepaliveTimer = setTimeout(() => {
      this.#send(
        session,
        JSON.stringify({
          metadata: { message_id: randomUUID(), message_type: 'session_keepalive', message_timestamp: nanoTimestamp() },
          payload: {},
        }),
      );
    }, session.keepaliveMs);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/ws') {
      socket.destroy();
      return;
    }
    const keepaliveSeconds = this.#keepaliveSeconds(req);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new FakeEventSubSession(ws, nanoTimestamp(), ++this.#count);
      session.keepaliveMs = keepaliveSeconds * 1000;
      this.sessions.push(session);
      const previousId = url.searchParams.get('reconnect_id');
      const previous = previousId === null ? undefined : this.sessions.find((s) => s.id === previousId);
      ws.on('message', () => {
        session.inbound += 1;
        this.#closeSession(session, 4001, 'Client sent inbound traffic');
      });
      ws.on('close', (code) => this.#ended(session, code));
      session.pingTimer = setInterval(() => {
        if (!session.closed) ws.ping();
      }, 5000);
      session.pingTimer.unref();
      if (previousId !== null) {
        if (previous === undefined || previous.closed) {
          this.#closeSession(session, 4007, 'Invalid reconnect');
          return;
        }
        // The handover: the subscriptions move to the new session, still enabled.
        for (const sub of this.subscriptions) {
          if (sub.transport.session_id === previous.id && sub.status === 'enabled') {
            sub.transport = { method: 'websocket', session_id: session.id, connected_at: session.connectedAt };
          }
        }
        // The old session owns nothing now: its close (by the client, or 4004) disables nothing.
      }
      session.welcomed = true;
      this.#send(
        session,
        JSON.stringify({
          metadata: { message_id: randomUUID(), message_type: 'session_welcome', message_timestamp: nanoTimestamp() },
          payload: {
            session: { id: session.id, status: 'connected', connected_at: session.connectedAt, keepalive_timeout_seconds: keepaliveSeconds, reconnect_url: null },
          },
        }),
      );
      const unused = this.#options.unusedCloseMs;
      if (unused !== undefined) {
        setTimeout(() => {
          if (!session.closed && !this.subscriptions.some((s) => s.transport.session_id === session.id)) {
            this.#closeSession(session, 4003, 'Connection unused');
          }
        }, unused).unref();
      }
    });
  }

  #closeSession(session: FakeEventSubSession, code: number, reason: string): void {
    if (session.closed) return;
    this.#ended(session, code);
    session.ws.close(code, reason);
  }

  /** A session is gone: the subscriptions it still owns (none after a handover) are disabled. */
  #ended(session: FakeEventSubSession, code: number): void {
    if (session.closed) return;
    session.closed = true;
    session.closeCode = code;
    clearTimeout(session.keepaliveTimer);
    clearInterval(session.pingTimer);
    for (const sub of this.subscriptions) {
      if (sub.transport.session_id === session.id && sub.status === 'enabled') sub.status = DISABLED_BY_CLOSE[code] ?? 'websocket_disconnected';
    }
  }

  async #http(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/(helix|mock)\//, '/');
    const method = req.method ?? 'GET';
    const answer = (status: number, body?: unknown) => {
      this.requests.push({ method, path, status });
      res.statusCode = status;
      res.setHeader('Ratelimit-Limit', '800');
      res.setHeader('Ratelimit-Remaining', status === 429 ? '0' : '799');
      res.setHeader('Ratelimit-Reset', String(Math.ceil(Date.now() / 1000) + 1));
      if (body === undefined) {
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(body));
    };
    const error = (status: number, message: string) => answer(status, { error: REASONS[status] ?? 'Error', status, message });
    const raw = await readBody(req);
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
      error(401, 'Missing OAuth token');
      return;
    }
    if (!req.headers['client-id']) {
      error(401, 'Missing Client ID');
      return;
    }
    if (this.rateLimited > 0) {
      this.rateLimited -= 1;
      error(429, 'Too Many Requests');
      return;
    }
    if (path === '/eventsub/subscriptions') {
      this.#subscriptions(method, url, raw, answer, error);
      return;
    }
    if (path === '/channel_points/custom_rewards/redemptions' && method === 'PATCH') {
      this.#patch(url, raw, answer, error);
      return;
    }
    error(404, `Not found: ${method} ${path}`);
    return;
  }

  #subscriptions(
    method: string,
    url: URL,
    raw: string,
    answer: (status: number, body?: unknown) => void,
    error: (status: number, message: string) => void,
  ): void {
    if (method === 'GET') {
      const data = this.subscriptions;
      answer(200, { total: data.length, data, total_cost: 0, max_total_cost: 10, pagination: {} });
      return;
    }
    if (method === 'DELETE') {
      const id = url.searchParams.get('id');
      const index = this.subscriptions.findIndex((s) => s.id === id);
      if (index === -1) {
        error(404, 'subscription not found');
        return;
      }
      this.subscriptions.splice(index, 1);
      answer(204);
      return;
    }
    if (method !== 'POST') {
      error(405, 'Method not allowed');
      return;
    }
    let body: { type?: unknown; version?: unknown; condition?: unknown; transport?: { method?: unknown; session_id?: unknown } };
    try {
      body = JSON.parse(raw);
    } catch {
      error(400, 'error validating json');
      return;
    }
    const { type, version, condition, transport } = body;
    if (typeof type !== 'string' || typeof version !== 'string' || typeof condition !== 'object' || condition === null) {
      error(400, 'type, version and condition are required');
      return;
    }
    if (transport?.method !== 'websocket') {
      error(400, 'transport.method must be websocket');
      return;
    }
    const session = this.sessions.find((s) => s.id === transport.session_id);
    if (session === undefined || session.closed) {
      error(400, 'websocket transport session does not exist or has already disconnected');
      return;
    }
    if (this.#options.forbiddenTypes?.includes(type)) {
      error(403, 'subscription missing proper authorization');
      return;
    }
    const key = JSON.stringify(condition);
    // A duplicate is the same type, version and condition on the same session (twitch-cli's rule).
    const duplicate = (s: FakeSubscription) =>
      s.status === 'enabled' && s.transport.session_id === session.id && s.type === type && s.version === version && JSON.stringify(s.condition) === key;
    if (this.subscriptions.some(duplicate)) {
      error(409, 'subscription already exists');
      return;
    }
    const sub: FakeSubscription = {
      id: randomUUID(),
      status: 'enabled',
      type,
      version,
      condition: condition as Record<string, string>,
      created_at: nanoTimestamp(),
      transport: { method: 'websocket', session_id: session.id, connected_at: session.connectedAt },
      cost: 0,
    };
    this.subscriptions.push(sub);
    const total = this.enabled().length;
    answer(202, { data: [sub], total, total_cost: 0, max_total_cost: 10 });
  }

  #patch(url: URL, raw: string, answer: (status: number, body?: unknown) => void, error: (status: number, message: string) => void): void {
    const ids = url.searchParams.getAll('id');
    const rewardId = url.searchParams.get('reward_id') ?? '';
    let status = '';
    try {
      status = String((JSON.parse(raw) as { status?: unknown }).status ?? '');
    } catch {
      error(400, 'Malformed body');
      return;
    }
    const record = (code: number) => this.patches.push({ ids, rewardId, status, answer: code });
    if (this.#options.foreignRewards?.includes(rewardId)) {
      record(403);
      error(403, 'The ID in header Client-Id must match the client ID used to create the custom reward.');
      return;
    }
    const found = ids.map((id) => this.#redemptions.get(id));
    if (found.some((r) => r === undefined || r.status !== 'UNFULFILLED') || (status !== 'FULFILLED' && status !== 'CANCELED')) {
      record(404);
      error(404, 'No redemptions found');
      return;
    }
    record(200);
    const data = (found as FakeRedemption[]).map((r) => {
      r.status = status as 'FULFILLED' | 'CANCELED';
      const e = r.event;
      return {
        broadcaster_id: e.broadcaster_user_id,
        broadcaster_login: e.broadcaster_user_login,
        broadcaster_name: e.broadcaster_user_name,
        id: e.id,
        user_id: e.user_id,
        user_login: e.user_login,
        user_name: e.user_name,
        user_input: e.user_input,
        status,
        redeemed_at: e.redeemed_at,
        reward: e.reward,
      };
    });
    answer(200, { data });
    for (const r of found as FakeRedemption[]) {
      this.notify('channel.channel_points_custom_reward_redemption.update', { ...r.event, status: status.toLowerCase() });
    }
  }
}

const CLOSE_REASONS: Record<number, string> = {
  4000: 'Internal server error',
  4001: 'Client sent inbound traffic',
  4002: 'Client failed ping-pong',
  4003: 'Connection unused',
  4004: 'Reconnect grace time expired',
  4005: 'Network timeout',
  4006: 'Network error',
  4007: 'Invalid reconnect',
};

/** Subscription status after a close, as twitch-cli maps it. */
const DISABLED_BY_CLOSE: Record<number, string> = {
  1000: 'websocket_disconnected',
  1006: 'websocket_disconnected',
  4000: 'websocket_internal_error',
  4001: 'websocket_received_inbound_traffic',
  4002: 'websocket_failed_ping_pong',
  4003: 'websocket_connection_unused',
  4005: 'websocket_network_timeout',
  4006: 'websocket_network_error',
  4007: 'websocket_disconnected',
};

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 429: 'Too Many Requests' };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
