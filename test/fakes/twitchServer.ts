/**
 * A fake Twitch chat server: IRC over WebSocket (subprotocol `irc`) on 127.0.0.1, playing the
 * handshake the way Twitch does (platform-protocols.md §1.9) so tmi.js cannot tell the
 * difference: CAP ACK, the welcome burst 001–004/375/372/376 (GLOBALUSERSTATE when logged in),
 * JOIN echoed with the client's own NICK, 353/366, USERSTATE when logged in, the full
 * ROOMSTATE well within tmi.js's 600 ms, PING/PONG both ways, RECONNECT, a login-failure NOTICE
 * then close, and several lines per frame. Faults: silence, abrupt terminate, clean close,
 * refused connections. It counts every line and frame it sends.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export const WELCOME_LINES = (nick: string): string[] => [
  `:tmi.twitch.tv 001 ${nick} :Welcome, GLHF!`,
  `:tmi.twitch.tv 002 ${nick} :Your host is tmi.twitch.tv`,
  `:tmi.twitch.tv 003 ${nick} :This server is rather new`,
  `:tmi.twitch.tv 004 ${nick} :-`,
  `:tmi.twitch.tv 375 ${nick} :-`,
  `:tmi.twitch.tv 372 ${nick} :You are in a maze of twisty passages, all alike.`,
  `:tmi.twitch.tv 376 ${nick} :>`,
];

const KNOWN_CAPS = new Set(['twitch.tv/tags', 'twitch.tv/commands', 'twitch.tv/membership']);

export type LoginFailure = 'Login authentication failed' | 'Improperly formatted auth';

export interface FakeTwitchOptions {
  /** Tokens (without `oauth:`) accepted for a logged-in NICK; left out: any token is accepted. */
  readonly validTokens?: readonly string[];
  /** The NOTICE sent for a refused token (then the socket closes). */
  readonly loginFailure?: LoginFailure;
  /** Delay between the JOIN echo and the ROOMSTATE, ms (tmi.js gives up after ~600). */
  readonly roomStateDelayMs?: number;
  /** Lines per WebSocket frame when broadcasting. */
  readonly linesPerFrame?: number;
  /** Channels that answer JOIN with `msg_channel_suspended` instead of joining. */
  readonly suspendedChannels?: readonly string[];
}

/** One client connection, as the server sees it. */
export class FakeConnection {
  nick = '';
  token = '';
  caps: string[] = [];
  loggedIn = false;
  /** Channels joined (from the JOIN echo on), without `#`. */
  readonly joined = new Set<string>();
  /** Channels the client asked to JOIN, with the time the JOIN arrived (performance.now()). */
  readonly joinAt = new Map<string, number>();
  /** Channels whose ROOMSTATE was sent, with the time it was (performance.now()). */
  readonly roomStateAt = new Map<string, number>();
  /** Every line the client sent. */
  readonly received: string[] = [];
  /** Lines and frames sent to this client. */
  linesSent = 0;
  framesSent = 0;
  /** PONGs the client sent (answers to server PINGs). */
  pongs = 0;
  /** Silent: nothing is sent and nothing answered, but the socket stays open. */
  silent = false;
  closed = false;
  readonly openedAt = performance.now();

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
  ) {}

  get anonymous(): boolean {
    return this.nick.startsWith('justinfan');
  }
}

/** The fake server. Create with {@link FakeTwitchServer.start}; stop with {@link FakeTwitchServer.close}. */
export class FakeTwitchServer {
  readonly connections: FakeConnection[] = [];
  /** Lines and frames sent to all clients. */
  linesSent = 0;
  framesSent = 0;
  /** Connections refused so far, and how many more to refuse. */
  refused = 0;
  #refuseNext = 0;
  readonly #rooms = new Map<string, Record<string, string>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly wss: WebSocketServer,
    readonly options: FakeTwitchOptions,
  ) {
    wss.on('connection', (ws) => this.#accept(ws));
  }

  static async start(options: FakeTwitchOptions = {}): Promise<FakeTwitchServer> {
    let server: FakeTwitchServer | undefined;
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (protocols) => (protocols.has('irc') ? 'irc' : false),
      verifyClient: (_info, done) => {
        if (server !== undefined && server.#refuseNext > 0) {
          server.#refuseNext -= 1;
          server.refused += 1;
          done(false, 503, 'Service Unavailable');
          return;
        }
        done(true);
      },
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    server = new FakeTwitchServer(wss, options);
    return server;
  }

  get port(): number {
    return (this.wss.address() as AddressInfo).port;
  }

  /** `ws://127.0.0.1:<port>`, for the source's `server`. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Open connections that finished logging in. */
  get live(): FakeConnection[] {
    return this.connections.filter((c) => !c.closed && c.loggedIn);
  }

  /** The room id of a channel (stable, made up). */
  roomId(channel: string): string {
    return this.#room(channel)['room-id'] as string;
  }

  /** Refuse the next `count` connection attempts with HTTP 503. */
  refuseNext(count: number): void {
    this.#refuseNext = count;
  }

  /**
   * Sends lines to one client, `linesPerFrame` to a frame (each line ends in CRLF). Nothing
   * goes to a closed or silent connection; returns whether it was sent.
   */
  send(conn: FakeConnection, lines: readonly string[], linesPerFrame = this.options.linesPerFrame ?? 3): boolean {
    if (conn.closed || conn.silent || conn.ws.readyState !== conn.ws.OPEN) return false;
    for (let i = 0; i < lines.length; i += linesPerFrame) {
      const frame = lines.slice(i, i + linesPerFrame);
      conn.ws.send(`${frame.join('\r\n')}\r\n`);
      conn.framesSent += 1;
      conn.linesSent += frame.length;
      this.framesSent += 1;
      this.linesSent += frame.length;
    }
    return true;
  }

  /** Sends lines to every live client joined to `channel`; returns the connections that got them. */
  broadcast(channel: string, lines: readonly string[]): FakeConnection[] {
    const to = this.live.filter((c) => c.joined.has(channel) && !c.silent);
    for (const conn of to) this.send(conn, lines);
    return to;
  }

  /** Sends lines to every live client, joined or not. */
  broadcastAll(lines: readonly string[]): FakeConnection[] {
    const to = this.live.filter((c) => !c.silent);
    for (const conn of to) this.send(conn, lines);
    return to;
  }

  /**
   * Sends `count` lines to one client as fast as the socket takes them (for benchmarks):
   * `linesPerFrame` lines to a frame, waiting whenever more than `highWater` bytes are queued.
   */
  async pump(
    conn: FakeConnection,
    line: (n: number) => string,
    count: number,
    linesPerFrame = 100,
    highWater = 4 * 1024 * 1024,
  ): Promise<void> {
    for (let n = 0; n < count; ) {
      let frame = '';
      const end = Math.min(count, n + linesPerFrame);
      conn.linesSent += end - n;
      for (; n < end; n++) frame += `${line(n)}\r\n`;
      if (conn.ws.bufferedAmount > highWater) {
        await new Promise<void>((resolve) => conn.ws.send(frame, () => resolve()));
      } else {
        conn.ws.send(frame);
      }
      conn.framesSent += 1;
      this.framesSent += 1;
    }
    this.linesSent += count;
  }

  /** Changes a room's settings and sends the partial ROOMSTATE to its clients. */
  setRoomState(channel: string, changes: Record<string, string>): void {
    const room = this.#room(channel);
    Object.assign(room, changes);
    const tags = Object.entries({ ...changes, 'room-id': room['room-id'] })
      .map(([k, v]) => `${k}=${v}`)
      .join(';');
    this.broadcast(channel, [`@${tags} :tmi.twitch.tv ROOMSTATE #${channel}`]);
  }

  /** Sends `:tmi.twitch.tv RECONNECT`, then closes the socket cleanly after `graceMs`. */
  reconnect(conn: FakeConnection, graceMs: number): void {
    this.send(conn, [':tmi.twitch.tv RECONNECT']);
    this.#later(() => this.closeClean(conn), graceMs);
  }

  /** Sends a server PING (`PING :tmi.twitch.tv`). */
  ping(conn: FakeConnection): void {
    this.send(conn, ['PING :tmi.twitch.tv']);
  }

  /** Stops sending and answering anything on this connection; the socket stays open. */
  silence(conn: FakeConnection): void {
    conn.silent = true;
  }

  /** Drops the TCP connection without a close frame. */
  terminate(conn: FakeConnection): void {
    conn.closed = true;
    conn.ws.terminate();
  }

  /** Closes with a close frame (1000). */
  closeClean(conn: FakeConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.ws.close(1000);
  }

  /** Waits until `check` holds, polling every 5 ms. */
  async waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!check()) {
      if (performance.now() > deadline) throw new Error(`Fake Twitch server: ${what} not met within ${timeoutMs}ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const conn of this.connections) {
      conn.closed = true;
      conn.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  #later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #room(channel: string): Record<string, string> {
    let room = this.#rooms.get(channel);
    if (room === undefined) {
      let hash = 7;
      for (const ch of channel) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) % 900_000_000;
      room = {
        'emote-only': '0',
        'followers-only': '-1',
        r9k: '0',
        'room-id': String(100_000_000 + hash),
        slow: '0',
        'subs-only': '0',
      };
      this.#rooms.set(channel, room);
    }
    return room;
  }

  #accept(ws: WebSocket): void {
    const conn = new FakeConnection(this.connections.length + 1, ws);
    this.connections.push(conn);
    ws.on('message', (data) => {
      if (conn.closed) return;
      for (const line of data.toString().split('\r\n')) {
        if (line === '') continue;
        conn.received.push(line);
        if (!conn.silent) this.#handle(conn, line);
      }
    });
    ws.on('close', () => {
      conn.closed = true;
    });
    ws.on('error', () => {
      conn.closed = true;
    });
  }

  #handle(conn: FakeConnection, line: string): void {
    const space = line.indexOf(' ');
    const command = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const rest = space === -1 ? '' : line.slice(space + 1);
    switch (command) {
      case 'CAP': {
        const caps = rest.replace(/^REQ :?/, '').split(' ').filter(Boolean);
        const unknown = caps.filter((c) => !KNOWN_CAPS.has(c));
        conn.caps = caps.filter((c) => KNOWN_CAPS.has(c));
        this.send(
          conn,
          unknown.length > 0
            ? [`:tmi.twitch.tv CAP * NAK :${unknown.join(' ')}`]
            : [`:tmi.twitch.tv CAP * ACK :${caps.join(' ')}`],
        );
        return;
      }
      case 'PASS':
        conn.token = rest.replace(/^oauth:/, '');
        return;
      case 'NICK': {
        conn.nick = rest.trim().toLowerCase();
        const { validTokens, loginFailure } = this.options;
        if (!conn.anonymous && validTokens !== undefined && !validTokens.includes(conn.token)) {
          this.send(conn, [`:tmi.twitch.tv NOTICE * :${loginFailure ?? 'Login authentication failed'}`]);
          this.#later(() => this.closeClean(conn), 20);
          return;
        }
        conn.loggedIn = true;
        const burst = WELCOME_LINES(conn.nick);
        if (!conn.anonymous) {
          burst.push(
            `@badge-info=;badges=;color=;display-name=${conn.nick};emote-sets=0;user-id=${100 + conn.id};user-type= :tmi.twitch.tv GLOBALUSERSTATE`,
          );
        }
        this.send(conn, burst, burst.length);
        return;
      }
      case 'JOIN':
        if (!conn.loggedIn) return;
        for (const target of rest.split(',')) this.#join(conn, target.trim().replace(/^#/, '').toLowerCase());
        return;
      case 'PART': {
        const channel = rest.trim().replace(/^#/, '').toLowerCase();
        conn.joined.delete(channel);
        this.send(conn, [`:${conn.nick}!${conn.nick}@${conn.nick}.tmi.twitch.tv PART #${channel}`]);
        return;
      }
      case 'PING':
        // Twitch answers a bare PING without a prefix; tmi.js accepts nothing else.
        this.send(
          conn,
          rest === '' || rest === ':tmi.twitch.tv' ? ['PONG :tmi.twitch.tv'] : [`:tmi.twitch.tv PONG tmi.twitch.tv ${rest}`],
        );
        return;
      case 'PONG':
        conn.pongs += 1;
        return;
      default:
        // PRIVMSG from the client is never echoed (Twitch sends USERSTATE instead); the rest is ignored.
        return;
    }
  }

  #join(conn: FakeConnection, channel: string): void {
    if (channel === '') return;
    conn.joinAt.set(channel, performance.now());
    if (this.options.suspendedChannels?.includes(channel)) {
      this.send(conn, [`@msg-id=msg_channel_suspended :tmi.twitch.tv NOTICE #${channel} :This channel does not exist or has been suspended.`]);
      return;
    }
    const { nick } = conn;
    conn.joined.add(channel);
    this.send(
      conn,
      [
        `:${nick}!${nick}@${nick}.tmi.twitch.tv JOIN #${channel}`,
        `:${nick}.tmi.twitch.tv 353 ${nick} = #${channel} :${nick}`,
        `:${nick}.tmi.twitch.tv 366 ${nick} #${channel} :End of /NAMES list`,
      ],
      3,
    );
    const room = this.#room(channel);
    this.#later(() => {
      const lines: string[] = [];
      if (!conn.anonymous) {
        lines.push(
          `@badge-info=;badges=;color=;display-name=${nick};emote-sets=0;mod=0;subscriber=0;user-type= :tmi.twitch.tv USERSTATE #${channel}`,
        );
      }
      const tags = Object.entries(room)
        .map(([k, v]) => `${k}=${v}`)
        .join(';');
      lines.push(`@${tags} :tmi.twitch.tv ROOMSTATE #${channel}`);
      if (this.send(conn, lines, lines.length)) conn.roomStateAt.set(channel, performance.now());
    }, this.options.roomStateDelayMs ?? 10);
  }
}

/** Options of {@link privmsgLine}. */
export interface PrivmsgSpec {
  readonly id: string;
  readonly text: string;
  readonly login?: string;
  readonly userId?: string;
  readonly roomId?: string;
  readonly ts?: number;
  /** Extra or overriding tags, unescaped values are the caller's business. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A realistic PRIVMSG line (tag set as Twitch sends it in 2024). */
export function privmsgLine(channel: string, spec: PrivmsgSpec): string {
  const login = spec.login ?? 'viewer';
  const tags: Record<string, string> = {
    'badge-info': '',
    badges: '',
    'client-nonce': '0123456789abcdef0123456789abcdef',
    color: '#1E90FF',
    'display-name': login,
    emotes: '',
    'first-msg': '0',
    flags: '',
    id: spec.id,
    mod: '0',
    'returning-chatter': '0',
    'room-id': spec.roomId ?? '11148817',
    subscriber: '0',
    'tmi-sent-ts': String(spec.ts ?? 1_700_000_000_000),
    turbo: '0',
    'user-id': spec.userId ?? '40286300',
    'user-type': '',
    ...spec.tags,
  };
  const tagText = Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  return `@${tagText} :${login}!${login}@${login}.tmi.twitch.tv PRIVMSG #${channel} :${spec.text}`;
}
