/**
 * `twitch`: Twitch chat over IRC-over-WebSocket (tmi.js), normalized from the raw tags into
 * chat and platform events, with a connection that reports its health and notices when it dies.
 */
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { type PipelineError, SourceDisconnectedError, SourceFatalError } from '../../core/errors.js';
import { ownMessages } from '../shared/ownMessages.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type DropCounter, NO_DROPS, type SourceHealth } from '../../core/metrics.js';
import {
  type TwitchConnection,
  type TwitchConnector,
  tmiConnector,
  twitchEndpoint,
} from './client.js';
import type { TwitchConfig } from './config.js';
import { createTwitchNodeState, gateTwitchEvent, type TwitchNodeState } from './session.js';
import { type LineOutcome, normalizeTwitchLine, type TwitchEmit } from './normalize.js';
import { type IrcMessage, rawTag } from './tags.js';
import { HealthReport } from '../shared/healthReport.js';


/** What {@link twitchChat} needs besides its config; a pipeline's `ComponentContext` fits. */
export interface TwitchDeps {
  /** Node id, for errors. */
  readonly id: string;
  readonly logger?: Logger;
  /** Timers (keepalive, timeouts). */
  readonly scheduler?: SchedulerLike;
  /** Monotonic clock for `receivedAt` and for measuring silence. */
  readonly clock?: () => number;
  /** Wall clock (epoch ms) for lines without `tmi-sent-ts`. The context's `wallClock`. */
  readonly now: () => number;
  /** Counts dropped lines and events by reason. */
  readonly metrics?: DropCounter;
  readonly setHealth?: (health: SourceHealth) => void;
  /** Where `token_env` is looked up; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Opens connections; defaults to tmi.js. */
  readonly connector?: TwitchConnector;
  /** Recent ids and room settings kept across re-subscriptions; one per node. */
  readonly state?: TwitchNodeState;
}

/** One tmi.js connection and what the source knows about it. */
interface Session {
  readonly connection: TwitchConnection;
  readonly joined: Set<string>;
  readonly unavailable: Set<string>;
  loggedIn: boolean;
  live: boolean;
  closed: boolean;
  /** Replaced after a RECONNECT: still read for {@link RETIRE_AFTER_MS}, then closed. */
  retiring: boolean;
  stale: boolean;
  /** Clock reading of the last line received. */
  lastTraffic: number;
  /** Clock reading when the outstanding keepalive PING was sent. */
  pingSentAt: number | undefined;
  timer: Subscription | undefined;
}

/** Texts of the NOTICEs Twitch sends when a login is refused (then it closes the socket). */
const LOGIN_FAILURES = ['Login authentication failed', 'Improperly formatted auth', 'Login unsuccessful', 'Error logging in', 'Invalid NICK'];
/** NOTICE `msg-id`s saying a channel cannot be joined at all. */
const CHANNEL_UNAVAILABLE = new Set(['msg_channel_suspended', 'msg_room_not_found', 'tos_ban', 'msg_channel_blocked']);
/** How long the old connection of a RECONNECT is still read once the new one is live. */
const RETIRE_AFTER_MS = 2000;
/** Longest line quoted in a debug log. */
const LOGGED_LINE = 300;

/**
 * Reads Twitch chat from every configured channel as chat and platform events.
 *
 * ```text
 * channels: [one, two]
 * lines:    376 ── ROOMSTATE #one ── ROOMSTATE #two ── PRIVMSG #one "hi"
 * health:   connecting ─────────────────────────────── live
 * result:   ─────── room_state ────── room_state ────── chat "hi"
 * ```
 *
 * Each subscription opens one tmi.js connection (its own reconnect off) and reports health:
 * `connecting` (or `reconnecting` when re-subscribed), `live` once every channel is joined,
 * `stale` while a keepalive PING is overdue, `failed` on a refused login. Failures end the
 * stream and the runtime restarts the source with capped exponential backoff:
 *
 * - a socket that closes, a login that does not finish within `connect_timeout`, no channel
 *   joined within `join_timeout`, or no answer to a PING within `ping_timeout` after
 *   `ping_interval` of silence → {@link SourceDisconnectedError};
 * - a refused login, a missing token, no channels, or channels Twitch says cannot be joined
 *   → {@link SourceFatalError} naming the setting to fix (not retried).
 *
 * A server `RECONNECT` is honoured without a gap: a second connection is opened and joined,
 * then the first is closed (2 s later, so nothing it still holds is lost; or when the server
 * closes it); events both deliver during the overlap are emitted once, because
 * every chat and platform event id is checked against the node's recent ids (bounded, kept
 * across re-subscriptions in `state`).
 *
 * @param config Parsed config.
 * @param deps Node id, logger, scheduler, clocks, drop counter, health, env, connector, state.
 * @see replay, which plays back what a `file` sink recorded from this source.
 */
export function twitchChat(config: TwitchConfig, deps: TwitchDeps): Observable<ChatEvent | PlatformEvent> {
  const {
    id,
    logger: log = silentLogger(),
    scheduler = asyncScheduler,
    clock = () => performance.now(),
    now,
    metrics = NO_DROPS,
    setHealth = () => undefined,
    env = process.env,
    connector = tmiConnector,
  } = deps;
  const state = deps.state ?? createTwitchNodeState();
  const endpoint = twitchEndpoint(config.server);
  const { channels, shared_chat: sharedChat } = config;
  const pingInterval = config.ping_interval;
  const pingTimeout = config.ping_timeout;

  return new Observable<ChatEvent | PlatformEvent>((subscriber) => {
    state.subscriptions += 1;
    const health = new HealthReport(setHealth);
    const report = health.report;
    report(state.subscriptions > 1 ? 'reconnecting' : 'connecting');

    let stopped = false;
    let current: Session | undefined;
    let replacement: Session | undefined;
    const sessions = new Set<Session>();

    const closeSession = (session: Session) => {
      if (session.closed) return;
      session.closed = true;
      session.timer?.unsubscribe();
      session.timer = undefined;
      sessions.delete(session);
      session.connection.close();
    };
    const stop = () => {
      stopped = true;
      for (const session of [...sessions]) closeSession(session);
    };
    const fail = (err: PipelineError) => {
      if (stopped) return;
      stop();
      if (err instanceof SourceFatalError) {
        report('failed');
        log.error({ err }, 'Twitch chat failed; not retrying.');
      } else {
        log.warn({ err }, 'Twitch chat connection lost.');
      }
      subscriber.error(err);
    };
    const disconnected = (reason: string) =>
      new SourceDisconnectedError(id, { cause: new Error(reason) });

    if (typeof endpoint === 'string') {
      fail(new SourceFatalError(id, `Invalid \`server\` "${config.server}": ${endpoint}.`));
      return stop;
    }
    if (channels.length === 0) {
      fail(new SourceFatalError(id, 'No channel to join: set `channels` (for example `channels: [mychannel]`).'));
      return stop;
    }
    let identity: { username: string; token: string } | undefined;
    if (config.username !== undefined) {
      const token = env[config.token_env]?.trim();
      if (!token) {
        fail(
          new SourceFatalError(
            id,
            `The environment variable ${config.token_env} (named by \`token_env\`) is not set: it must hold the OAuth token of \`username\` "${config.username}".`,
          ),
        );
        return stop;
      }
      identity = { username: config.username, token };
    }

    /** The events of a line go through the gate (dedupe, Shared Chat, room settings) to the subscriber. */
    const own = ownMessages(config.bot_login ?? config.username);
    const emit: TwitchEmit = (event, sharedId) => {
      const out = gateTwitchEvent(event, sharedId, state, sharedChat, metrics);
      if (out !== undefined) subscriber.next(out.kind === 'chat' ? own(out) : out);
    };

    const goLive = (session: Session) => {
      if (session.live || session.closed) return;
      session.live = true;
      session.timer?.unsubscribe();
      session.timer = undefined;
      if (session === replacement) {
        const old = current;
        current = session;
        replacement = undefined;
        if (old !== undefined) retire(old);
        log.info({ channels: [...session.joined] }, 'Twitch connection replaced after RECONNECT.');
      } else {
        log.info({ channels: [...session.joined], nick: session.connection.nick() }, 'Twitch chat live.');
      }
      report('live');
      keepalive(session);
    };

    /**
     * The old connection of a RECONNECT keeps delivering for a short while after the new one is
     * live (lines it already holds are not lost; copies are dropped as duplicates), then closes.
     */
    const retire = (session: Session) => {
      session.retiring = true;
      session.timer?.unsubscribe();
      session.timer = scheduler.schedule(() => closeSession(session), RETIRE_AFTER_MS);
    };

    const checkJoined = (session: Session) => {
      if (session.live || !session.loggedIn) return;
      if (session.joined.size + session.unavailable.size < channels.length) return;
      if (session.joined.size === 0) {
        fail(
          new SourceFatalError(
            id,
            `None of the channels in \`channels\` can be joined (${[...session.unavailable].join(', ')}): Twitch says they are suspended, banned or do not exist.`,
          ),
        );
        return;
      }
      goLive(session);
    };

    /** After `ping_interval` of silence, PING; `stale` at half of `ping_timeout`; dead at all of it. */
    const keepalive = (session: Session) => {
      const check = () => {
        session.timer = undefined;
        if (session.closed || stopped) return;
        const at = clock();
        if (session.pingSentAt !== undefined && session.lastTraffic >= session.pingSentAt) session.pingSentAt = undefined;
        if (session.pingSentAt === undefined) {
          const idle = at - session.lastTraffic;
          if (idle < pingInterval) {
            session.timer = scheduler.schedule(check, pingInterval - idle);
            return;
          }
          session.connection.send('PING');
          session.pingSentAt = at;
          session.timer = scheduler.schedule(check, pingTimeout / 2);
          return;
        }
        const waited = at - session.pingSentAt;
        if (waited >= pingTimeout) {
          fail(disconnected(`No answer to PING within ${pingTimeout}ms (ping_timeout)`));
          return;
        }
        if (!session.stale && session === current) {
          session.stale = true;
          report('stale');
          log.warn({ waitedMs: Math.round(waited) }, 'Twitch connection stale: PING not answered yet.');
        }
        session.timer = scheduler.schedule(check, pingTimeout - waited);
      };
      session.timer?.unsubscribe();
      session.timer = scheduler.schedule(check, pingInterval);
    };

    const onControl = (session: Session, msg: IrcMessage) => {
      switch (msg.command) {
        case '376': {
          if (session.loggedIn) return;
          session.loggedIn = true;
          session.timer?.unsubscribe();
          const waitMs = config.join_timeout + config.join_interval * (channels.length - 1);
          session.timer = scheduler.schedule(() => {
            session.timer = undefined;
            if (session.live || session.closed || stopped) return;
            const missing = channels.filter((c) => !session.joined.has(c) && !session.unavailable.has(c));
            if (session.joined.size === 0) {
              fail(disconnected(`No channel joined within ${waitMs}ms (join_timeout): ${missing.join(', ')}`));
              return;
            }
            log.warn({ missing }, 'Twitch channels not joined in time; going live without them.');
            goLive(session);
          }, waitMs);
          checkJoined(session);
          return;
        }
        case 'NOTICE': {
          const text = msg.params[1] ?? '';
          if (msg.params[0] === '*' && LOGIN_FAILURES.some((failure) => text.includes(failure))) {
            fail(loginFailure(id, config, text));
            return;
          }
          const msgId = rawTag(msg, 'msg-id');
          const channel = msg.params[0]?.slice(1) ?? '';
          if (typeof msgId === 'string' && CHANNEL_UNAVAILABLE.has(msgId) && channels.includes(channel)) {
            if (!session.unavailable.has(channel)) {
              session.unavailable.add(channel);
              log.warn({ channel, notice: msgId }, 'Twitch channel cannot be joined.');
              checkJoined(session);
            }
          }
          return;
        }
        case 'RECONNECT':
          if (session === current && replacement === undefined && !stopped) {
            log.info({ channels }, 'Twitch asked to reconnect; opening a second connection first.');
            replacement = open();
          }
          return;
        default:
          return;
      }
    };

    const onLine = (session: Session, msg: IrcMessage) => {
      if (session.closed) return;
      const receivedAt = clock();
      session.lastTraffic = receivedAt;
      if (session.stale) {
        session.stale = false;
        if (session === current) report('live');
      }
      let outcome: LineOutcome;
      try {
        if (msg.command === 'ROOMSTATE') {
          const channel = msg.params[0]?.slice(1) ?? '';
          if (!session.joined.has(channel) && channels.includes(channel)) {
            session.joined.add(channel);
            checkJoined(session);
          }
        }
        outcome = normalizeTwitchLine(msg, receivedAt, now, emit, state.badges);
      } catch (err) {
        metrics.drop('malformed_line', false);
        log.debug({ err, event: { line: msg.raw.slice(0, LOGGED_LINE) } }, 'Twitch line could not be normalized; dropped.');
        return;
      }
      switch (outcome) {
        case 'events':
          return;
        case 'control':
          onControl(session, msg);
          return;
        case 'unsupported':
          metrics.drop('unsupported_line');
          log.trace({ event: { command: msg.command, msgId: rawTag(msg, 'msg-id') } }, 'Twitch line of an unsupported kind; dropped.');
          return;
        case 'malformed':
          metrics.drop('malformed_line', false);
          log.debug({ event: { line: msg.raw.slice(0, LOGGED_LINE) } }, 'Twitch line malformed; dropped.');
          return;
      }
    };

    const open = (): Session => {
      // The handlers run once the connection exists (tmi.js reports nothing synchronously).
      let opened: Session | undefined;
      const connection = connector(
        {
          endpoint,
          channels,
          ...(identity === undefined ? {} : { identity }),
          joinIntervalMs: config.join_interval,
          pingTimeoutMs: pingTimeout,
          logger: log,
        },
        {
          line: (msg) => {
            if (opened !== undefined && !stopped) onLine(opened, msg);
          },
          malformed: (raw) => {
            metrics.drop('malformed_line', false);
            log.debug({ event: { line: raw.slice(0, LOGGED_LINE) } }, 'Twitch line malformed; dropped.');
          },
          closed: (reason) => {
            if (opened !== undefined) onClosed(opened, reason);
          },
        },
      );
      const session: Session = {
        connection,
        joined: new Set(),
        unavailable: new Set(),
        loggedIn: false,
        live: false,
        closed: false,
        retiring: false,
        stale: false,
        lastTraffic: clock(),
        pingSentAt: undefined,
        timer: undefined,
      };
      opened = session;
      sessions.add(session);
      session.timer = scheduler.schedule(() => {
        session.timer = undefined;
        if (!session.loggedIn && !session.closed && !stopped) {
          fail(disconnected(`Login not finished within ${config.connect_timeout}ms (connect_timeout)`));
        }
      }, config.connect_timeout);
      return session;
    };

    const onClosed = (session: Session, reason: string) => {
      if (stopped || session.closed) return;
      closeSession(session);
      if (session.retiring) return;
      if (session === current && replacement !== undefined) {
        // The RECONNECT overlap ended before the new connection was up: wait for it.
        current = undefined;
        report('reconnecting');
        return;
      }
      fail(disconnected(reason === '' ? 'Connection closed' : reason));
    };

    log.info({ channels, anonymous: identity === undefined }, 'Connecting to Twitch chat.');
    current = open();
    return stop;
  });
}

/** The error for a refused login, naming what to fix. */
function loginFailure(id: string, config: TwitchConfig, notice: string): SourceFatalError {
  const cause = new Error(notice);
  if (config.username === undefined) {
    return new SourceFatalError(
      id,
      `Twitch refused the anonymous login ("${notice}"). Check \`server\` (${config.server}): it must be a Twitch chat server.`,
      { cause },
    );
  }
  const what = notice.includes('Improperly formatted')
    ? 'is not a well-formed OAuth token'
    : notice.includes('Invalid NICK')
      ? 'was refused together with the login name'
      : 'was refused (expired, revoked, or issued to another account)';
  return new SourceFatalError(
    id,
    `Twitch refused the login of \`username\` "${config.username}" ("${notice}"): the token in the environment variable ${config.token_env} (named by \`token_env\`) ${what}. Put a valid chat token for that user in ${config.token_env}, or remove \`username\` to read anonymously.`,
    { cause },
  );
}
