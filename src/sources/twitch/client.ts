/**
 * The `twitch` source's one door to tmi.js: a connection that hands every parsed IRC line to
 * the source before tmi.js sees it, and never reconnects by itself (the source owns reconnects).
 */
import { createRequire } from 'node:module';
import tmi from 'tmi.js';
import type { Logger } from '../../core/logger.js';
import { parseIrcLine } from './line.js';
import type { IrcMessage, IrcTags } from './tags.js';

/** Where to connect, as tmi.js wants it (it builds `ws[s]://server:port/`). */
export interface TwitchEndpoint {
  readonly server: string;
  readonly port: number;
  readonly secure: boolean;
}

/** Twitch's chat endpoint; plain `ws://` on port 80 was switched off in August 2025. */
export const TWITCH_SERVER = 'wss://irc-ws.chat.twitch.tv:443';

/**
 * Where a `server` URL points, as tmi.js takes it, or the reason it cannot be used. tmi.js
 * forces port 443 whenever the connection is secure, so `wss://` works on 443 only.
 */
export function twitchEndpoint(url: string): TwitchEndpoint | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'Expected a WebSocket URL such as "wss://irc-ws.chat.twitch.tv:443" or "ws://127.0.0.1:6667"';
  }
  const secure = parsed.protocol === 'wss:';
  if (!secure && parsed.protocol !== 'ws:') return `Expected a ws:// or wss:// URL, not ${parsed.protocol}//`;
  if (parsed.hostname === '') return 'The URL names no host';
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '' || parsed.username !== '') {
    return 'Give only the scheme, host and port (tmi.js connects to the root path)';
  }
  const port = parsed.port === '' ? (secure ? 443 : 80) : Number(parsed.port);
  if (secure && port !== 443) return 'tmi.js can only use wss:// on port 443; use ws:// for a local server on another port';
  return { server: parsed.hostname, port, secure };
}

export interface TwitchConnectionOptions {
  readonly endpoint: TwitchEndpoint;
  /** Channel logins without `#`. */
  readonly channels: readonly string[];
  /** Left out: anonymous, read-only (`justinfan…`). */
  readonly identity?: { readonly username: string; readonly token: string };
  /** Pause between two JOINs (tmi.js's `joinInterval`; it will not go below 300 ms). */
  readonly joinIntervalMs: number;
  /** tmi.js's own ping timeout, for its once-a-minute PING. */
  readonly pingTimeoutMs: number;
  /** tmi.js's log lines go here, at debug level. */
  readonly logger: Logger;
}

/** What a connection reports. Handlers must not throw. */
export interface TwitchConnectionHandlers {
  /** Every parsed line, before tmi.js handles it. */
  line(message: IrcMessage): void;
  /** A line tmi.js's parser rejects, or a binary frame. */
  malformed(raw: string): void;
  /** The socket closed without {@link TwitchConnection.close} being called. */
  closed(reason: string): void;
}

/** One connection to Twitch chat: login, JOIN of every channel, then lines until it closes. */
export interface TwitchConnection {
  /** The nick the connection logged in with. */
  readonly nick: () => string;
  /** Sends one raw line when the socket is open; false when it is not. */
  send(line: string): boolean;
  /** Closes the socket; no `closed` report follows. Idempotent. */
  close(): void;
}

/** Opens a connection; unit tests can hand the source another implementation. */
export type TwitchConnector = (options: TwitchConnectionOptions, handlers: TwitchConnectionHandlers) => TwitchConnection;

/** The parts of a tmi.js client the adapter touches that its types do not describe. */
interface TmiInternals {
  ws: { readyState: number; send(data: string): void } | null;
  username: string;
  _onMessage: (event: { data: unknown }) => void;
  /** Reads a parsed line; it rewrites the line's `tags` object in place (badges, booleans, unescaping). */
  handleMessage(message: IrcMessage): void;
}

/** tmi.js's own line parser (its `tags` are the form {@link IrcTags} describes). */
const tmiParser = createRequire(import.meta.url)('tmi.js/lib/parser.js') as {
  msg(line: string): IrcMessage | null;
};

/** The source's line parser (tags as IRCv3 says), for tests and tools. */
export { parseIrcLine };

const OPEN = 1;

/**
 * Commands tmi.js only turns into events of its own (no connection state): the source
 * normalizes them itself, so they are not handed to tmi.js at all. That saves tmi.js's
 * per-message work (unescaping every tag, badge and emote objects, log strings) on the hot
 * path. Everything else (numerics, CAP, PING/PONG, JOIN/PART, NOTICE, USERSTATE, ROOMSTATE…)
 * still drives tmi.js's session.
 */
const SOURCE_ONLY = new Set(['PRIVMSG', 'USERNOTICE', 'CLEARCHAT', 'CLEARMSG', 'WHISPER', 'HOSTTARGET', 'RECONNECT']);

/** How {@link createTmiConnector}'s connections share lines with tmi.js. */
export interface TmiConnectorOptions {
  /**
   * Lets tmi.js read and handle every line as a bare tmi.js client would (its own parser, its
   * `message` events and the rest; a `RECONNECT` excepted), the source reading the same parse;
   * called with each connection's client, to listen to its events. Left out (what the source
   * ships): the source's own parser, and tmi.js handles the session lines only.
   */
  readonly tmiHandlesEveryLine?: (client: tmi.Client) => void;
}

/**
 * Opens a tmi.js client with its reconnect off and `skipUpdatingEmotesets`, replacing its
 * frame handler so that every line reaches `handlers.line` first. One parse serves both: tmi.js
 * then handles the session lines only, from the same parsed line (after `handlers.line`, as it
 * rewrites the tags): chat and event lines are the source's alone, and a server `RECONNECT` is
 * not passed on (tmi.js would reconnect by itself). A line or frame tmi.js chokes on is
 * reported as malformed instead of throwing out of the socket's event handler.
 */
export function createTmiConnector(connectorOptions: TmiConnectorOptions = {}): TwitchConnector {
  const everyLine = connectorOptions.tmiHandlesEveryLine;
  const parse: (line: string) => IrcMessage | null = everyLine === undefined ? parseIrcLine : tmiParser.msg;
  const handledByTmi = (command: string | null) =>
    everyLine === undefined ? !SOURCE_ONLY.has(command as string) : command !== 'RECONNECT';
  return (options, handlers) => {
    const { endpoint, identity, logger } = options;
    const said = (message: unknown) => logger.debug({ tmi: String(message) }, 'tmi.js reported.');
    const quiet = () => undefined;
    const client = new tmi.Client({
      options: {
        skipUpdatingEmotesets: true,
        joinInterval: options.joinIntervalMs,
        messagesLogLevel: 'trace',
      },
      connection: {
        server: endpoint.server,
        port: endpoint.port,
        secure: endpoint.secure,
        reconnect: false,
        timeout: options.pingTimeoutMs,
      },
      ...(identity === undefined ? {} : { identity: { username: identity.username, password: identity.token } }),
      channels: [...options.channels],
      logger: { trace: quiet, debug: said, info: said, warn: said, error: said, fatal: said, setLevel: quiet } as never,
    });
    everyLine?.(client);
    const internals = client as unknown as TmiInternals;
    let closedByUs = false;
    let reported = false;

    internals._onMessage = (event) => {
      const data = event.data;
      if (typeof data !== 'string') {
        handlers.malformed('(binary frame)');
        return;
      }
      for (const line of data.trim().split('\r\n')) {
        if (line === '') continue;
        const message = parse(line);
        if (message === null) {
          handlers.malformed(line);
          continue;
        }
        handlers.line(message);
        if (closedByUs || !handledByTmi(message.command)) continue;
        try {
          internals.handleMessage(message);
        } catch (err) {
          logger.debug({ err }, 'tmi.js failed on a line; ignored.');
        }
      }
    };
    client.on('disconnected', (reason: string) => {
      if (closedByUs || reported) return;
      reported = true;
      handlers.closed(reason);
    });
    client.connect().catch(() => undefined);

    return {
      nick: () => internals.username,
      send: (line) => {
        const ws = internals.ws;
        if (ws === null || ws.readyState !== OPEN) return false;
        ws.send(line);
        return true;
      },
      close: () => {
        if (closedByUs) return;
        closedByUs = true;
        if (internals.ws !== null) client.disconnect().catch(() => undefined);
      },
    };
  };
}

/** The connector the source ships with ({@link createTmiConnector} without options). */
export const tmiConnector: TwitchConnector = createTmiConnector();
