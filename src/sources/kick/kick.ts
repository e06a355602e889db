/**
 * `kick`: Kick chat over Pusher Channels (protocol 7, the `ws` package), read anonymously the
 * way Kick's own web client does, normalized into chat and platform events, with a connection
 * that follows Pusher's close codes, keeps itself alive with pings and reports its health.
 */
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { type PipelineError, SourceDisconnectedError, SourceFatalError } from '../../core/errors.js';
import { ownMessages } from '../shared/ownMessages.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type DropCounter, NO_DROPS, type SourceHealth } from '../../core/metrics.js';
import { fetchLookup, type KickConnector, type KickLookup, type KickSocket, wsConnector } from './client.js';
import { type KickConfig, SLUG } from './config.js';
import {
  channelEventsChannel,
  chatroomChannel,
  classifyClose,
  type CloseClass,
  connectionEstablished,
  decodePusherFrame,
  PING_FRAME,
  PONG_FRAME,
  pusherError,
  pusherUrl,
  reconnectDelay,
  subscribeFrame,
} from './pusher.js';
import { type KickChannelInfo, parseChannelLookup } from './lookup.js';
import { type KickOutcome, normalizeKickEvent } from './normalize.js';
import { createKickNodeState, gateKickEvent, type KickNodeState } from './session.js';
import { HealthReport } from '../shared/healthReport.js';


/** The node's metrics as the source uses them: drops, and the `lag_ms` gauge. */
export interface KickMetrics extends DropCounter {
  gauge?(name: string, value: number): void;
}

/** What {@link kickChat} needs besides its config; a pipeline's `ComponentContext` fits. */
export interface KickDeps {
  /** Node id, for errors. */
  readonly id: string;
  readonly logger?: Logger;
  /** Timers (keepalive, timeouts, reconnects). */
  readonly scheduler?: SchedulerLike;
  /** Monotonic clock for `receivedAt` and for measuring silence. */
  readonly clock?: () => number;
  /**
   * Wall clock (epoch ms): event times without a timestamp, and the lag of chat behind
   * `created_at`. The context's `wallClock`.
   */
  readonly now: () => number;
  /** Counts dropped frames and events by reason; `lag_ms` goes to its gauge. */
  readonly metrics?: KickMetrics;
  readonly setHealth?: (health: SourceHealth) => void;
  /** Opens sockets; defaults to the `ws` package. */
  readonly connector?: KickConnector;
  /** Asks the channel API; defaults to fetch. */
  readonly lookup?: KickLookup;
  /** Jitter of the reconnect delays (0.5 = none). */
  readonly random?: () => number;
  /** Recent ids and the looked-up chatroom, kept across re-subscriptions; one per node. */
  readonly state?: KickNodeState;
}

/** Where to read: the channels to subscribe to and the name events carry. */
interface Target {
  /** `channel` of the events: the slug, or the chatroom id when no slug is known. */
  readonly name: string;
  readonly chatroom: string;
  readonly channels: readonly string[];
}

/** One socket and what the source knows about it. */
interface Session {
  readonly socket: KickSocket;
  established: boolean;
  live: boolean;
  closed: boolean;
  stale: boolean;
  /** The ping interval: the shorter of `activity_timeout` and the server's. */
  activityMs: number;
  /** Clock reading of the last frame received. */
  lastTraffic: number;
  /** Clock reading when the session went live. */
  liveAt: number;
  /** Clock reading when the outstanding `pusher:ping` was sent. */
  pingSentAt: number | undefined;
  timer: Subscription | undefined;
}

/** A connection live this long counts as stable: the next reconnect starts the backoff over. */
const STABLE_AFTER_MS = 10_000;
/** Longest frame quoted in a debug log. */
const LOGGED_FRAME = 300;
/** Pusher close codes with a known meaning, for the error of a refused connection. */
const FATAL_HINTS: Readonly<Record<number, string>> = {
  4001: 'the app key is unknown to this cluster: Kick may have changed its Pusher key; set `app_key` (and `cluster`) to the current one (see docs/kick.md)',
  4003: 'the Pusher app is disabled: Kick may have moved to another app key; set `app_key`',
  4005: 'the path was not found: check `ws_url`',
  4006: 'the protocol version is malformed',
  4007: 'the protocol version is not supported',
  4008: 'no protocol version was sent',
  4009: 'the connection is unauthorized',
};

/**
 * Reads one Kick channel's chat as chat and platform events.
 *
 * ```text
 * channel: xqc          (lookup → chatroom 668)
 * frames:   connection_established ── subscription_succeeded ── ChatMessageEvent "mhm"
 * sent:     ─────────── subscribe chatrooms.668.v2 ──────────────────────────────────────
 * health:   connecting ───────────── live
 * result:   ──────────────────────────────────────────────────── chat "mhm"
 * ```
 *
 * The chatroom id comes from `chatroom_id`, or from the channel API for `channel` (once per
 * node); a refused lookup (HTTP 403 from Cloudflare) fails the node with a message saying to
 * set `chatroom_id`. The socket follows Pusher's close codes by itself, with timers from the
 * scheduler: 4000–4099 fail the node ({@link SourceFatalError}, not retried), 4100–4199
 * reconnect after at least a second, 4200–4299 at once, anything else (1006…) after a capped
 * exponential backoff; every channel is subscribed again. After `activity_timeout` of silence
 * it sends `pusher:ping`; no answer within `pong_timeout` replaces the connection (`stale` from
 * half of it). Health: `connecting` (`reconnecting` after a close) until the chatroom
 * subscription succeeds, then `live`. A chat or platform event seen before (a repeated
 * delivery) is emitted once: ids are checked against the node's recent ids (bounded, kept
 * across re-subscriptions in `state`). Each chat message sets the `lag_ms` gauge: receipt
 * (wall clock) minus its `created_at`.
 *
 * @param config Parsed config.
 * @param deps Node id, logger, scheduler, clocks, metrics, health, connector, lookup, state.
 * @see twitch, the same for Twitch chat.
 */
export function kickChat(config: KickConfig, deps: KickDeps): Observable<ChatEvent | PlatformEvent> {
  const {
    id,
    logger: log = silentLogger(),
    scheduler = asyncScheduler,
    clock = () => performance.now(),
    now,
    metrics = NO_DROPS as KickMetrics,
    setHealth = () => undefined,
    connector = wsConnector,
    lookup = fetchLookup,
    random = Math.random,
  } = deps;
  const state = deps.state ?? createKickNodeState();
  const url = pusherUrl(config.app_key, config.cluster, config.ws_url);
  const policy = { initialMs: config.reconnect_initial, maxMs: config.reconnect_max, jitter: 0.2 };

  return new Observable<ChatEvent | PlatformEvent>((subscriber) => {
    state.subscriptions += 1;
    const health = new HealthReport(setHealth);
    const report = health.report;
    report(state.subscriptions > 1 ? 'reconnecting' : 'connecting');

    let stopped = false;
    let session: Session | undefined;
    let retry: Subscription | undefined;
    /** Reconnects since the last stable connection. */
    let attempts = 0;

    const closeSession = (s: Session) => {
      if (s.closed) return;
      s.closed = true;
      s.timer?.unsubscribe();
      s.timer = undefined;
      s.socket.close();
    };
    const stop = () => {
      stopped = true;
      retry?.unsubscribe();
      retry = undefined;
      if (session !== undefined) closeSession(session);
    };
    const fail = (err: PipelineError) => {
      if (stopped) return;
      stop();
      if (err instanceof SourceFatalError) {
        report('failed');
        log.error({ err }, 'Kick chat failed; not retrying.');
      } else {
        log.warn({ err }, 'Kick chat connection lost.');
      }
      subscriber.error(err);
    };

    const own = ownMessages(config.bot_login);
    const emit = (event: ChatEvent | PlatformEvent) => {
      const out = gateKickEvent(event, state, metrics);
      if (out === undefined) return;
      if (out.kind === 'chat') {
        metrics.gauge?.('lag_ms', Math.max(0, now() - out.ts));
        subscriber.next(own(out));
      } else subscriber.next(out);
    };

    const start = (target: Target) => {
      log.info({ channel: target.name, chatroom: target.chatroom, channels: target.channels }, 'Connecting to Kick chat.');
      session = open(target);
    };

    const open = (target: Target): Session => {
      let opened: Session | undefined;
      const socket = connector(
        url,
        {
          message: (text) => {
            if (opened !== undefined && !stopped) onFrame(opened, target, text);
          },
          binary: () => {
            metrics.drop('malformed_frame', false);
          },
          closed: (code, reason) => {
            if (opened !== undefined) onClosed(opened, target, code, reason);
          },
        },
        { handshakeTimeoutMs: config.connect_timeout },
      );
      const s: Session = {
        socket,
        established: false,
        live: false,
        closed: false,
        stale: false,
        activityMs: config.activity_timeout,
        lastTraffic: clock(),
        liveAt: 0,
        pingSentAt: undefined,
        timer: undefined,
      };
      opened = s;
      s.timer = scheduler.schedule(() => {
        s.timer = undefined;
        if (s.live || s.closed || stopped) return;
        const why = s.established
          ? `Chatroom subscription not confirmed within ${config.connect_timeout}ms (connect_timeout)`
          : `No pusher:connection_established within ${config.connect_timeout}ms (connect_timeout)`;
        lost(s, target, 'abnormal', 0, why);
      }, config.connect_timeout);
      return s;
    };

    /** The session is gone (closed by the server, or found dead): reconnect or fail, per the close class. */
    const lost = (s: Session, target: Target, closeClass: CloseClass, code: number, reason: string) => {
      if (stopped || s.closed) return;
      const wasStable = s.live && clock() - s.liveAt >= STABLE_AFTER_MS;
      closeSession(s);
      if (closeClass === 'fatal') {
        const hint = FATAL_HINTS[code] ?? 'Pusher says not to reconnect unchanged';
        fail(
          new SourceFatalError(
            id,
            `Kick's Pusher server refused the connection with code ${code}${reason === '' ? '' : ` ("${reason}")`}: ${hint}. Not reconnecting.`,
            { cause: new Error(`close ${code} ${reason}`) },
          ),
        );
        return;
      }
      if (wasStable) attempts = 0;
      attempts += 1;
      const delayMs = reconnectDelay(closeClass, attempts, policy, random);
      report('reconnecting');
      log.warn({ code, reason, closeClass, attempt: attempts, delayMs }, 'Kick connection closed; reconnecting.');
      retry = scheduler.schedule(() => {
        retry = undefined;
        if (!stopped) session = open(target);
      }, delayMs);
    };

    const onClosed = (s: Session, target: Target, code: number, reason: string) => {
      lost(s, target, classifyClose(code), code, reason);
    };

    const goLive = (s: Session, target: Target) => {
      if (s.live || s.closed) return;
      s.live = true;
      s.liveAt = clock();
      s.timer?.unsubscribe();
      s.timer = undefined;
      report('live');
      log.info({}, 'Kick chat live.');
      keepalive(s, target);
    };

    /** After the activity timeout of silence, ping; `stale` at half of `pong_timeout`; dead at all of it. */
    const keepalive = (s: Session, target: Target) => {
      const check = () => {
        s.timer = undefined;
        if (s.closed || stopped) return;
        const at = clock();
        if (s.pingSentAt !== undefined && s.lastTraffic >= s.pingSentAt) s.pingSentAt = undefined;
        if (s.pingSentAt === undefined) {
          const idle = at - s.lastTraffic;
          if (idle < s.activityMs) {
            s.timer = scheduler.schedule(check, s.activityMs - idle);
            return;
          }
          s.pingSentAt = at;
          s.socket.send(PING_FRAME);
          s.timer = scheduler.schedule(check, config.pong_timeout / 2);
          return;
        }
        const waited = at - s.pingSentAt;
        if (waited >= config.pong_timeout) {
          lost(s, target, 'immediate', 4201, `No pusher:pong within ${config.pong_timeout}ms (pong_timeout)`);
          return;
        }
        if (!s.stale) {
          s.stale = true;
          report('stale');
          log.warn({ waitedMs: Math.round(waited) }, 'Kick ping unanswered; connection stale.');
        }
        s.timer = scheduler.schedule(check, config.pong_timeout - waited);
      };
      s.timer = scheduler.schedule(check, s.activityMs);
    };

    const onFrame = (s: Session, target: Target, raw: string) => {
      if (s.closed) return;
      const receivedAt = clock();
      s.lastTraffic = receivedAt;
      if (s.stale) {
        s.stale = false;
        s.pingSentAt = undefined;
        if (s.live) report('live');
      }
      const frame = decodePusherFrame(raw);
      if (frame === undefined) {
        metrics.drop('malformed_frame', false);
        log.debug({ event: { frame: raw.slice(0, LOGGED_FRAME) } }, 'Kick frame malformed; dropped.');
        return;
      }
      switch (frame.event) {
        case 'pusher:connection_established': {
          const established = connectionEstablished(frame.data);
          if (established === undefined) {
            metrics.drop('malformed_frame', false);
            return;
          }
          s.established = true;
          if (established.activityTimeoutMs !== undefined) {
            s.activityMs = Math.min(config.activity_timeout, established.activityTimeoutMs);
          }
          for (const channel of target.channels) s.socket.send(subscribeFrame(channel));
          log.debug({ socketId: established.socketId, activityMs: s.activityMs }, 'Kick socket established; subscribing.');
          return;
        }
        case 'pusher_internal:subscription_succeeded':
        case 'pusher:subscription_succeeded':
          if (frame.channel === chatroomChannel(target.chatroom)) goLive(s, target);
          return;
        case 'pusher:ping':
          s.socket.send(PONG_FRAME);
          return;
        case 'pusher:pong':
          return;
        case 'pusher:error': {
          const { code, message } = pusherError(frame.data);
          if (code !== undefined && classifyClose(code) === 'fatal') {
            lost(s, target, 'fatal', code, message);
            return;
          }
          log.warn({ code, pusherMessage: message }, 'Kick Pusher server reported an error.');
          return;
        }
        default:
          break;
      }
      if (frame.event.startsWith('pusher:') || frame.event.startsWith('pusher_internal:')) return;
      let outcome: KickOutcome;
      try {
        outcome = normalizeKickEvent(frame.event, frame.data, target.name, receivedAt, now, emit);
      } catch (err) {
        metrics.drop('malformed_frame', false);
        log.debug({ err, event: { frame: raw.slice(0, LOGGED_FRAME) } }, 'Kick event could not be normalized; dropped.');
        return;
      }
      switch (outcome) {
        case 'events':
          return;
        case 'unsupported':
          metrics.drop('unsupported_event');
          log.trace({ event: { name: frame.event } }, 'Kick event of an unsupported kind; dropped.');
          return;
        case 'unknown':
          metrics.drop('unknown_event', false);
          log.debug({ event: { name: frame.event } }, 'Kick event of an unknown kind; dropped.');
          return;
        case 'malformed':
          metrics.drop('malformed_frame', false);
          log.debug({ event: { frame: raw.slice(0, LOGGED_FRAME) } }, 'Kick event malformed; dropped.');
          return;
      }
    };

    const targetOf = (info: { name: string; chatroom: string; channelId: string | undefined }): Target => {
      const channels = [chatroomChannel(info.chatroom)];
      if (info.channelId !== undefined) channels.push(channelEventsChannel(info.channelId));
      return { name: info.name, chatroom: info.chatroom, channels };
    };
    const begin = (target: Target) => start(target);

    if (config.chatroom_id !== undefined) {
      begin(
        targetOf({ name: config.channel ?? config.chatroom_id, chatroom: config.chatroom_id, channelId: config.channel_id }),
      );
      return stop;
    }
    const slug = config.channel;
    if (slug === undefined || !SLUG.test(slug)) {
      fail(
        new SourceFatalError(
          id,
          'No Kick channel to read: set `channel` to the channel slug (kick.com/<slug>), or `chatroom_id` to its chatroom id.',
        ),
      );
      return stop;
    }
    const resolved = (info: KickChannelInfo) =>
      begin(targetOf({ name: slug, chatroom: info.chatroomId, channelId: config.channel_id ?? info.channelId }));
    if (state.lookup !== undefined) {
      resolved(state.lookup);
      return stop;
    }
    const lookupUrl = `${config.api_base_url.replace(/\/+$/, '')}/api/v2/channels/${encodeURIComponent(slug)}`;
    log.info({ channel: slug }, 'Looking up the Kick chatroom id.');
    lookup(lookupUrl, config.connect_timeout).then(
      (result) => {
        if (stopped) return;
        if (!result.ok) {
          fail(lookupRefused(id, slug, lookupUrl, result.status, result.cloudflare));
          return;
        }
        const info = parseChannelLookup(result.body, slug);
        if (info === undefined) {
          fail(
            new SourceFatalError(
              id,
              `Kick's channel API answered for "${slug}" without a chatroom id (${lookupUrl}). Set \`chatroom_id\` instead; see docs/kick.md.`,
            ),
          );
          return;
        }
        state.lookup = info;
        log.info({ channel: slug, chatroom: info.chatroomId, channelId: info.channelId }, 'Kick chatroom id found.');
        resolved(info);
      },
      (err: unknown) => {
        fail(new SourceDisconnectedError(id, { cause: new Error(`Kick channel lookup failed: ${String(err)}`, { cause: err }) }));
      },
    );
    return stop;
  });
}

/** The error for a lookup the channel API refused. */
function lookupRefused(id: string, slug: string, url: string, status: number, cloudflare: boolean): PipelineError {
  const cause = new Error(`HTTP ${status} from ${url}`);
  if (status === 403 || status === 401) {
    return new SourceFatalError(
      id,
      `Kick's channel API refused to look up "${slug}" (HTTP ${status}${cloudflare ? ', Cloudflare' : ''}): it blocks most programs. Set \`chatroom_id\` in this node instead: open ${url} in a web browser and copy the number at "chatroom":{"id":…} (the top-level "id" is \`channel_id\`). See docs/kick.md.`,
      { cause },
    );
  }
  if (status === 404) {
    return new SourceFatalError(id, `There is no Kick channel "${slug}" (HTTP 404 from ${url}): check \`channel\` (the name in kick.com/<slug>).`, {
      cause,
    });
  }
  return new SourceDisconnectedError(id, { cause });
}
