/**
 * A fake Twitch EventSub WebSocket (twitch-eventsub.md §8), attached to the fake Twitch OAuth +
 * Helix of twitchHelix.ts on its port: twurple 7.4's `mockServerPort` sends Helix calls to
 * `http://localhost:<port>/mock/…` and `EventSubWsListener` to `ws://127.0.0.1:<port>/ws`, so
 * both must be one server. The Helix fake serves the subscriptions (`POST` 202/400/403/409,
 * `GET`, `DELETE`: its tokens, scopes and sessions decide) and the redemption status `PATCH`
 * (200/404/403, 429 mode); this file serves only the socket and tells the Helix fake which
 * sessions are connected, and sends a `…redemption.update` when the Helix fake settles one.
 *
 * - `/ws`: `session_welcome` at once (fresh session id, `reconnect_url: null`), `session_keepalive`
 *   whenever nothing else went out for the keepalive time, WebSocket pings; any data frame from
 *   the client is answered with a close 4001; optionally 4003 when no subscription arrives in time.
 * - A session that closes (other than by the reconnect handover) disables its subscriptions, so
 *   the client has to subscribe again on its next session.
 * - Test hooks: {@link FakeEventSub.notify} (a new message id each time, stamped now),
 *   {@link FakeEventSub.resend} (same message id), {@link FakeEventSub.revoke},
 *   {@link FakeEventSub.reconnect} (session_reconnect → a second socket takes the subscriptions
 *   over, the old one is closed 4004 after the grace time unless the client closed it),
 *   {@link FakeEventSub.close} (any close code), {@link FakeEventSub.silence} (no keepalives),
 *   {@link FakeEventSub.drop} (the socket vanishes without a close frame).
 *
 * A redemption notified here is also known to the Helix fake (so it can be settled), owned by
 * the fake's client id unless its reward is in `foreignRewards` (then a PATCH is refused 403).
 * The keepalive time may be set below Twitch's 10 s minimum (`keepaliveSeconds`) so that a
 * timeout test takes a second, not twelve.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { loadEventSubSamples } from './twitchEventSubSamples.js';
import { FAKE_CLIENT_ID, type FakeRedemption, type FakeSubscription, FakeTwitchHelix } from './twitchHelix.js';

export type { FakeSubscription } from './twitchHelix.js';

export interface FakeEventSubOptions {
  /** `keepalive_timeout_seconds` of the welcome; default 10 (or the client's query, clamped). */
  readonly keepaliveSeconds?: number;
  /** How long after `session_reconnect` the old socket is closed with 4004; default 30 s. */
  readonly reconnectGraceMs?: number;
  /** Close 4003 when no subscription arrives this long after the welcome; default never. */
  readonly unusedCloseMs?: number;
  /** Reward ids "created by another client id": their redemptions cannot be updated (403). */
  readonly foreignRewards?: readonly string[];
  /** The fake Twitch to attach to; default a new one, closed by {@link FakeEventSub.stop}. */
  readonly helix?: FakeTwitchHelix;
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

/** RFC 3339 with nanoseconds, as Twitch writes timestamps. */
export function nanoTimestamp(ms = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '000000Z');
}

export class FakeEventSub {
  readonly sessions: FakeEventSubSession[] = [];
  /** The redemption events notified, by id (for the `…update` notification once settled). */
  readonly #redemptionEvents = new Map<string, Record<string, unknown>>();
  readonly #frames = new Map<string, string>();
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #options: FakeEventSubOptions;
  readonly #owned: boolean;
  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head);
  #count = 0;

  private constructor(
    /** The fake Twitch OAuth + Helix whose port this shares. */
    readonly helix: FakeTwitchHelix,
    options: FakeEventSubOptions,
  ) {
    this.#options = options;
    this.#owned = options.helix === undefined;
    helix.server.on('upgrade', this.#onUpgrade);
    helix.eventSub = {
      isConnected: (sessionId) => this.sessions.some((s) => s.id === sessionId && s.welcomed && !s.closed),
      redemptionUpdated: (redemption) => this.#redemptionUpdated(redemption),
    };
  }

  static async start(options: FakeEventSubOptions = {}): Promise<FakeEventSub> {
    return new FakeEventSub(options.helix ?? (await FakeTwitchHelix.start()), options);
  }

  get port(): number {
    return this.helix.port;
  }

  /** Every subscription the Helix fake holds, in creation order. */
  get subscriptions(): FakeSubscription[] {
    return [...this.helix.subscriptions.values()];
  }

  /** Redemption status updates the Helix fake was asked for: ids, reward, status and its answer. */
  get patches(): readonly { ids: string[]; rewardId: string; status: string; answer: number }[] {
    return this.helix.patches;
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
    if (type === 'channel.channel_points_custom_reward_redemption.add' && typeof event.id === 'string') this.#redeemed(event);
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
    const url = `ws://127.0.0.1:${this.port}/ws?reconnect_id=${encodeURIComponent(session.id)}`;
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

  /** Closes every socket and detaches from the Helix fake (closing it too when this started it). */
  async stop(): Promise<void> {
    for (const session of this.sessions) {
      clearTimeout(session.keepaliveTimer);
      clearInterval(session.pingTimer);
      session.ws.terminate();
    }
    this.#wss.close();
    this.helix.server.off('upgrade', this.#onUpgrade);
    this.helix.eventSub = undefined;
    if (this.#owned) await this.helix.close();
  }

  /** A viewer redeemed: the Helix fake knows the redemption, UNFULFILLED unless the event says otherwise. */
  #redeemed(event: Record<string, unknown>): void {
    const id = String(event.id);
    this.#redemptionEvents.set(id, event);
    if (this.helix.redemptions.has(id)) return;
    const reward = event.reward as { id: string; title: string; prompt: string; cost: number };
    this.helix.addRedemption({
      id,
      broadcaster_id: String(event.broadcaster_user_id),
      user_id: String(event.user_id),
      user_login: String(event.user_login),
      user_name: String(event.user_name),
      user_input: String(event.user_input ?? ''),
      status: String(event.status ?? 'unfulfilled').toUpperCase() as FakeRedemption['status'],
      redeemed_at: String(event.redeemed_at),
      reward,
      rewardOwner: this.#options.foreignRewards?.includes(reward.id) ? 'another-apps-client-id' : FAKE_CLIENT_ID,
    });
  }

  /** The Helix fake settled a redemption: Twitch then sends `…redemption.update`. */
  #redemptionUpdated(redemption: FakeRedemption): void {
    const event = this.#redemptionEvents.get(redemption.id);
    if (event === undefined) return;
    // After the PATCH's answer, as on Twitch.
    setImmediate(() =>
      this.notify('channel.channel_points_custom_reward_redemption.update', { ...event, status: redemption.status.toLowerCase() }),
    );
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
