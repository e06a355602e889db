/**
 * Fan-out to WebSocket clients that keeps one slow or dead client from costing anyone else
 * anything: a client limit, pings that reap the dead, a cap on unsent bytes per client (a
 * client past it is skipped until it drains, then resynced with a fresh snapshot), a bound on
 * how far behind a client may fall (one that has not read, `stuckTimeoutMs` later, what it was
 * sent is closed), and frames serialized once for every client. Shared by the overlay
 * (src/sinks/overlay/hub.ts) and the dashboard stream (src/sinks/metrics/hub.ts).
 *
 * How far behind a client is cannot be read from its socket: `bufferedAmount` counts only what
 * Node still holds, while the kernel's send and receive buffers (megabytes on loopback) take a
 * stalled client's backlog first. So the fan-out measures it end to end: it pings a client that
 * was sent something since its last ping, and a pong (which comes only after the client has
 * read everything sent before the ping) confirms those bytes as read.
 */
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { WebSocket } from 'ws';
import { type Logger, silentLogger } from '../core/logger.js';

/** What the fan-out needs to know. */
export interface FanoutOptions {
  /** Ping every client this often; one that has not answered the previous ping is cut. */
  readonly pingIntervalMs: number;
  /** A client whose unsent bytes would pass this gets no more frames until it drains. */
  readonly maxBufferedBytes: number;
  /**
   * A client that has not read, this long after, what it was sent (its pong for a ping sent
   * after those bytes has not come), or that has been skipped for this long, is closed (close
   * code 1008, reason `too_slow`).
   */
  readonly stuckTimeoutMs: number;
  /** Connections beyond this are refused (close code 1013). */
  readonly maxClients: number;
  /** Ask `ws` to compress each frame (only for clients that negotiated permessage-deflate). */
  readonly compress: boolean;
  /** Who the clients are, in log lines: `Overlay`, `Dashboard`. */
  readonly label: string;
  /**
   * Clients a broadcast visits before it lets the event loop run other work (timers, I/O);
   * it goes on with the next ones on the next turn. Default {@link SLICE_CLIENTS}.
   */
  readonly sliceClients?: number;
}

export interface FanoutDeps {
  /** The frame a client gets first, and again when it drained after lagging. */
  readonly snapshot: () => Frame;
  /**
   * Timers (ping, drain checks), the clock of `stuckTimeoutMs`, and the turns a broadcast's
   * slices take (see {@link nextTurn}): a virtual scheduler drives them all.
   */
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
  /** Called for each client closed for being too slow (to count it in the node's metrics). */
  readonly onTooSlow?: () => void;
  /**
   * Called when the last broadcast under way has been through every client on a later turn
   * ({@link WsFanout.busy} turned false): what its owner held back meanwhile can go out now.
   */
  readonly onIdle?: () => void;
}

/** Connection counters since the fan-out was made, and the current picture. */
export interface FanoutStats {
  /** Connected now. */
  readonly clients: number;
  /** Connected now, but skipped until they drain. */
  readonly lagging: number;
  readonly accepted: number;
  /** Refused because `maxClients` were connected. */
  readonly refused: number;
  /** Cut because they did not answer a ping. */
  readonly reaped: number;
  /** Closed because they had not read, `stuckTimeoutMs` later, what they were sent (1008 `too_slow`). */
  readonly stuck: number;
  /** Lagging clients that drained and were sent a fresh snapshot. */
  readonly resynced: number;
  /** Connected clients whose frames are written to their socket directly (no deflate). */
  readonly direct: number;
  /** Frames written to clients (one per broadcast per client, plus snapshots). */
  readonly framesSent: number;
  /** Most bytes any client held unsent right after a frame was queued for it. */
  readonly peakBufferedBytes: number;
  /** Most bytes any client had been sent and not yet confirmed as read (a pong after them). */
  readonly peakUnreadBytes: number;
}

/** Close codes (RFC 6455 §7.4, IANA registry). */
export const CLOSE = {
  /** The endpoint stopped (shutdown, reload). */
  goingAway: 1001,
  /** The client limit is reached: try again later. */
  tryAgainLater: 1013,
  /** Too slow: had not read what it was sent within the stuck timeout (reason `too_slow`). */
  policy: 1008,
} as const;

/** How often lagging clients are checked for having drained. */
const DRAIN_CHECK_MS = 100;
/** How long a refused or closed client may take to finish the close handshake. */
const CLOSE_GRACE_MS = 1000;
/** Pings that wait for their pong per client at most; the oldest is then the one that counts. */
const MAX_PROBES = 32;
/**
 * Clients a broadcast visits per turn of the event loop: a write to a socket costs about
 * 10–20 µs on loopback (the kernel receives inline), so about 0.5–1 ms of work per turn.
 */
export const SLICE_CLIENTS = 50;

/**
 * Runs `task` on a later turn of the event loop; returns what cancels it. On the real
 * scheduler, `setImmediate`: after the timers and I/O that are due, and without the 1 ms a
 * zero-delay timer takes in Node. On any other scheduler (a virtual one in tests) its own
 * zero-delay action, so virtual time drives the slices like every other timer here.
 */
function nextTurn(scheduler: SchedulerLike): (task: () => void) => () => void {
  if (scheduler === asyncScheduler) {
    return (task) => {
      const handle = setImmediate(task);
      return () => clearImmediate(handle);
    };
  }
  return (task) => {
    const action = scheduler.schedule(task);
    return () => action.unsubscribe();
  };
}

/** How often clients sent something since their last ping are pinged, for a stuck timeout. */
export function probeInterval(stuckTimeoutMs: number): number {
  return Math.max(25, Math.min(1000, stuckTimeoutMs / 4));
}

/**
 * The two `ws` internals the direct write uses (ws 8, pinned in package.json; every test
 * exercises the path): the TCP socket, and the sender's state, to write only while `ws`
 * itself has nothing queued.
 */
interface WsInternals {
  readonly _socket?: { write(data: Buffer): boolean };
  readonly _sender?: { readonly _state: number; readonly _firstFragment: boolean };
}

/** The sender state in which `ws` writes synchronously and holds nothing back. */
const SENDER_IDLE = 0;

/** A ping waiting for its pong: when it went out, and how many bytes the client had been sent. */
interface Probe {
  readonly seq: number;
  readonly at: number;
  readonly bytes: number;
}

interface Client {
  readonly ws: WebSocket;
  /**
   * The client's socket, when frames can be written to it directly: no permessage-deflate
   * negotiated (every frame would need compressing per client) and `ws`'s internals as
   * expected. `undefined`: every frame goes through `ws.send`.
   */
  readonly socket: { write(data: Buffer): boolean } | undefined;
  readonly sender: WsInternals['_sender'];
  /** Answered the last ping. */
  alive: boolean;
  /** Scheduler time it started lagging; `undefined` while it keeps up. */
  lagSince: number | undefined;
  /** Bytes of frames written to it. */
  written: number;
  /** Bytes it has confirmed reading (sent before a ping it answered). */
  read: number;
  /** `written` when it was last pinged. */
  probed: number;
  /** Pings waiting for a pong, oldest first. */
  readonly probes: Probe[];
  seq: number;
  /**
   * The last broadcast (its {@link Round.seq}) its latest snapshot already holds: it is
   * sent no broadcast up to that one, even when a slice reaches it after the snapshot.
   */
  since: number;
}

/** Work for every client on its way through them, a slice per turn: a broadcast, a ping or probe round. */
interface Round {
  /**
   * A broadcast's number (broadcasts made before it, plus one): a client whose snapshot
   * already holds it is not visited. `undefined` for a ping or probe round.
   */
  readonly seq: number | undefined;
  /** Does the round's work for one client (`now`: the scheduler's time at the slice). */
  readonly visit: (client: Client, now: number) => void;
  /** Called once every client has been visited. */
  readonly done: (() => void) | undefined;
  /** The clients left to visit; started with its first slice. */
  clients: Iterator<Client> | undefined;
}

/**
 * One message as it goes out: the JSON as a buffer (for `ws.send`) and the whole WebSocket
 * text frame (RFC 6455 §5.2: FIN, opcode 1, unmasked; header and payload in one buffer), both
 * made once per broadcast, whatever the number of clients.
 */
export class Frame {
  readonly payload: Buffer;
  readonly wire: Buffer;

  constructor(json: string) {
    const length = Buffer.byteLength(json);
    const head = length < 126 ? 2 : length < 65_536 ? 4 : 10;
    const wire = Buffer.allocUnsafe(head + length);
    wire[0] = 0x81;
    if (length < 126) {
      wire[1] = length;
    } else if (length < 65_536) {
      wire[1] = 126;
      wire.writeUInt16BE(length, 2);
    } else {
      wire[1] = 127;
      wire.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
      wire.writeUInt32BE(length >>> 0, 6);
    }
    wire.write(json, head, 'utf8');
    this.wire = wire;
    this.payload = wire.subarray(head);
  }
}

/**
 * The connected clients of one endpoint. {@link WsFanout.broadcast} queues one frame to every
 * client that keeps up, {@link FanoutOptions.sliceClients} clients per turn of the event loop
 * (10,000 socket writes in one go would hold everything else back for 100 ms or more):
 *
 * ```text
 * broadcast(frame)  →  client A: send(frame)
 *                   →  client B: bufferedAmount + frame > max → skipped, lagging
 * 100 ms later, B drained            →  B: send(snapshot()), keeps up again
 * every probeInterval: C was sent bytes since its last ping  →  C: ping(seq)
 * C's pong(seq)                      →  C has read everything sent before that ping
 * C's ping unanswered after stuckTimeoutMs (sent after unread bytes)
 *                                    →  C: closed (1008 too_slow), counted (onTooSlow)
 * ```
 *
 * A client therefore never holds more than `maxBufferedBytes` unsent in the process (or one
 * frame, when a frame is larger), never has unread what it was sent more than
 * `stuckTimeoutMs` (plus one probe interval) ago, and what it missed is replaced by the
 * snapshot, never queued for it. Broadcasts go out one after another, so every client gets
 * them in the order they were made; a client gets none that its snapshot already holds (one
 * made before it connected or was resynced, whose slice had not reached it yet).
 */
export class WsFanout {
  readonly #o: FanoutOptions;
  readonly #snapshot: () => Frame;
  readonly #scheduler: SchedulerLike;
  readonly #log: Logger;
  readonly #sendOptions: { readonly binary: false; readonly compress: boolean };
  readonly #clients = new Set<Client>();
  readonly #lagging = new Set<Client>();
  #ping: Subscription | undefined;
  #probe: Subscription | undefined;
  readonly #probeMs: number;
  /** Scheduler time of the last probe round. */
  #probedAt = Number.NaN;
  readonly #onTooSlow: () => void;
  #drainCheck: Subscription | undefined;
  #atLimit = false;
  #closed = false;
  #accepted = 0;
  #refused = 0;
  #reaped = 0;
  #stuck = 0;
  #resynced = 0;
  #direct = 0;
  #framesSent = 0;
  #peakBuffered = 0;
  #peakUnread = 0;
  /** Rounds not yet through every client, oldest first; the first is under way. */
  readonly #queue: Round[] = [];
  /** Broadcasts in {@link #queue}. */
  #broadcasts = 0;
  /** Broadcasts made so far (the last one's `seq`). */
  #made = 0;
  /** Cancels the pending turn of the broadcast under way. */
  #cancelTurn: (() => void) | undefined;
  #working = false;
  readonly #slice: number;
  readonly #nextTurn: (task: () => void) => () => void;
  readonly #onIdle: (() => void) | undefined;

  constructor(options: FanoutOptions, deps: FanoutDeps) {
    this.#o = options;
    this.#snapshot = deps.snapshot;
    this.#scheduler = deps.scheduler ?? asyncScheduler;
    this.#log = deps.logger ?? silentLogger();
    this.#sendOptions = { binary: false, compress: options.compress };
    this.#probeMs = probeInterval(options.stuckTimeoutMs);
    this.#onTooSlow = deps.onTooSlow ?? (() => {});
    this.#slice = Math.max(1, options.sliceClients ?? SLICE_CLIENTS);
    this.#nextTurn = nextTurn(this.#scheduler);
    this.#onIdle = deps.onIdle;
  }

  /**
   * A broadcast is still on its way through the clients. An owner that publishes faster than
   * the clients can be written to gathers what comes meanwhile into one frame for
   * {@link FanoutDeps.onIdle}, rather than queueing a broadcast per change.
   */
  get busy(): boolean {
    return this.#broadcasts > 0;
  }

  /** Clients connected now. */
  get size(): number {
    return this.#clients.size;
  }

  stats(): FanoutStats {
    return {
      clients: this.#clients.size,
      lagging: this.#lagging.size,
      accepted: this.#accepted,
      refused: this.#refused,
      reaped: this.#reaped,
      stuck: this.#stuck,
      resynced: this.#resynced,
      direct: this.#direct,
      framesSent: this.#framesSent,
      peakBufferedBytes: this.#peakBuffered,
      peakUnreadBytes: this.#peakUnread,
    };
  }

  /**
   * Takes a new connection: refuses it (1013) beyond `maxClients` or after close, else sends
   * it the snapshot and starts the ping timer with the first client.
   */
  accept(ws: WebSocket): void {
    const label = this.#o.label;
    if (this.#closed) {
      this.#closeSoon(ws, CLOSE.goingAway, `${label.toLowerCase()} stopped`);
      return;
    }
    if (this.#clients.size >= this.#o.maxClients) {
      this.#refused += 1;
      if (!this.#atLimit) {
        this.#atLimit = true;
        this.#log.warn({ maxClients: this.#o.maxClients }, `${label} client limit reached; refusing new connections.`);
      }
      this.#closeSoon(ws, CLOSE.tryAgainLater, 'max_clients');
      return;
    }
    const internals = ws as unknown as WsInternals;
    const direct =
      ws.extensions === '' &&
      typeof internals._socket?.write === 'function' &&
      internals._sender?._state === SENDER_IDLE &&
      internals._sender._firstFragment === true;
    const client: Client = {
      ws,
      socket: direct ? internals._socket : undefined,
      sender: internals._sender,
      alive: true,
      lagSince: undefined,
      written: 0,
      read: 0,
      probed: 0,
      probes: [],
      seq: 0,
      since: this.#made,
    };
    // The snapshot first (it may broadcast what its owner held back), then the client joins.
    const snapshot = this.#snapshot();
    client.since = this.#made;
    this.#clients.add(client);
    this.#accepted += 1;
    if (client.socket) this.#direct += 1;
    ws.on('pong', (data: Buffer) => {
      client.alive = true;
      this.#confirm(client, data);
    });
    ws.on('close', () => this.#forget(client));
    this.#send(client, snapshot);
    this.#ping ??= this.#every(this.#o.pingIntervalMs, () => this.#pingAll());
    this.#probe ??= this.#every(this.#probeMs, () => this.#probeAll());
    this.#log.debug({ clients: this.#clients.size }, `${label} client connected.`);
  }

  /**
   * Queues `frame` to every client that keeps up: the first slice of clients now, the rest on
   * the next turns, after every broadcast made before it. `onSkipped` is told, once this
   * broadcast has been through every client, how many were skipped (lagging), when any were;
   * multiply by the messages in the frame to count what they missed.
   */
  broadcast(frame: Frame, onSkipped?: (skipped: number) => void): void {
    if (this.#closed) return;
    this.#made += 1;
    this.#broadcasts += 1;
    const cap = this.#o.maxBufferedBytes - frame.wire.length;
    let skipped = 0;
    this.#enqueue({
      seq: this.#made,
      visit: (client, now) => {
        if (!this.#deliver(client, frame, cap, now)) skipped += 1;
      },
      done: () => {
        this.#broadcasts -= 1;
        if (skipped > 0) onSkipped?.(skipped);
      },
      clients: undefined,
    });
  }

  #enqueue(round: Round): void {
    this.#queue.push(round);
    if (!this.#working && this.#cancelTurn === undefined) this.#work(this.#slice, false);
  }

  /**
   * Takes rounds through up to `budget` clients, oldest first, then yields a turn. A turn's
   * budget is a slice per round waiting: when rounds come faster than slices take them (a
   * burst, a busy loop), each turn does more, so what waits stays bounded and the fan-out keeps
   * the pace the unsliced one had. `later`: on a turn of its own, where a fan-out no longer
   * busy tells its owner (onIdle).
   */
  #work(budget: number, later: boolean): void {
    this.#cancelTurn = undefined;
    this.#working = true;
    const wasBusy = this.busy;
    try {
      let left = budget;
      while (left > 0) {
        const job = this.#queue[0];
        if (job === undefined) break;
        left = this.#visit(job, left);
        if (left === 0 && job.clients !== undefined) break; // more clients left for the next turn
        this.#queue.shift();
        job.done?.();
      }
    } finally {
      this.#working = false;
    }
    if (this.#queue.length > 0 && !this.#closed) {
      this.#cancelTurn = this.#nextTurn(() => this.#work(this.#slice * this.#queue.length, true));
    }
    if (later && wasBusy && !this.busy && !this.#closed) this.#onIdle?.();
  }

  /**
   * Takes `job` through up to `budget` clients; returns what is left of the budget.
   * `job.clients` is undefined once every client has been visited.
   */
  #visit(job: Round, budget: number): number {
    const now = this.#scheduler.now();
    job.clients ??= this.#clients.values();
    const clients = job.clients;
    let left = budget;
    while (left > 0) {
      const next = clients.next();
      if (next.done) {
        job.clients = undefined;
        return left;
      }
      left -= 1;
      const client = next.value;
      // Connected, or resynced with a snapshot holding this frame, after it was made.
      if (job.seq !== undefined && client.since >= job.seq) continue;
      job.visit(client, now);
    }
    // The budget ran out: the clients left (none, perhaps) wait for the next turn.
    return left;
  }

  /** Queues `frame` to one client, unless it lags; false when it was skipped. */
  #deliver(client: Client, frame: Frame, cap: number, now: number): boolean {
    if (client.lagSince !== undefined) {
      // The snapshot it gets on draining already holds this frame's changes.
      return this.#resyncIfDrained(client, now);
    }
    const ws = client.ws;
    if (ws.readyState !== WebSocket.OPEN) return true;
    const buffered = ws.bufferedAmount;
    // A client holding nothing always gets the frame, even one larger than the cap.
    if (buffered > 0 && buffered > cap) {
      this.#lag(client, now);
      return false;
    }
    const after = buffered + frame.wire.length;
    if (buffered > 0 && after > this.#peakBuffered) this.#peakBuffered = after;
    this.#write(client, frame);
    return true;
  }

  /**
   * Closes every client politely (1001), cutting those that have not finished the close
   * handshake after a second; refuses new ones. Resolves when all are gone.
   */
  async close(): Promise<void> {
    // Broadcasts under way finish first: every client gets what was made before its close frame.
    // Ping and probe rounds are dropped.
    this.#cancelTurn?.();
    this.#cancelTurn = undefined;
    for (let i = this.#queue.length - 1; i >= 0; i--) if (this.#queue[i]?.seq === undefined) this.#queue.splice(i, 1);
    if (!this.#working) this.#work(Number.POSITIVE_INFINITY, false);
    this.#closed = true;
    this.#ping?.unsubscribe();
    this.#ping = undefined;
    this.#probe?.unsubscribe();
    this.#probe = undefined;
    this.#drainCheck?.unsubscribe();
    this.#drainCheck = undefined;
    const open = [...this.#clients];
    if (open.length === 0) return;
    const reason = `${this.#o.label.toLowerCase()} stopped`;
    await new Promise<void>((resolve) => {
      let left = open.length;
      const done = () => {
        left -= 1;
        if (left === 0) resolve();
      };
      for (const client of open) {
        if (client.ws.readyState === WebSocket.CLOSED) done();
        else {
          client.ws.once('close', done);
          this.#closeSoon(client.ws, CLOSE.goingAway, reason);
        }
      }
    });
  }

  #send(client: Client, frame: Frame): void {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    this.#write(client, frame);
  }

  /**
   * Queues a frame: straight to the socket, already framed, when `ws` is idle (one write call
   * per client, no per-client header or options); through `ws.send` otherwise.
   */
  #write(client: Client, frame: Frame): void {
    const sender = client.sender;
    if (client.socket && sender?._state === SENDER_IDLE && sender._firstFragment) client.socket.write(frame.wire);
    else client.ws.send(frame.payload, this.#sendOptions);
    this.#framesSent += 1;
    client.written += frame.wire.length;
    const unread = client.written - client.read;
    if (unread > this.#peakUnread) this.#peakUnread = unread;
  }

  /** Pings `client`, remembering how much it had been sent: its pong confirms that as read. */
  #sendProbe(client: Client, now: number): void {
    const probes = client.probes;
    // A client this far behind is judged by its oldest ping; the newest is moved up instead.
    if (probes.length >= MAX_PROBES) probes.pop();
    client.seq += 1;
    probes.push({ seq: client.seq, at: now, bytes: client.written });
    client.probed = client.written;
    client.ws.ping(String(client.seq));
  }

  /** A pong: the bytes sent before its ping (and before every earlier one) have been read. */
  #confirm(client: Client, data: Buffer): void {
    const seq = Number(data.toString());
    const probes = client.probes;
    const i = probes.findIndex((p) => p.seq === seq);
    if (i === -1) return; // not one of ours (an unsolicited pong)
    client.read = Math.max(client.read, (probes[i] as Probe).bytes);
    probes.splice(0, i + 1);
  }

  /**
   * Closes every client that has not read, `stuckTimeoutMs` after, what it had been sent
   * before a ping, and pings those sent something since their last ping.
   */
  #probeAll(): void {
    const now = this.#scheduler.now();
    // After the process itself stalled (a long GC, a blocked loop), pongs that came meanwhile
    // are not read yet: judge nobody this round.
    const judge = !(now - this.#probedAt > 2 * this.#probeMs);
    this.#probedAt = now;
    // A slice of clients per turn, as broadcasts; judged by the round's start (the time a
    // client had to answer is never overstated).
    this.#enqueue({ seq: undefined, visit: (client) => this.#probeOne(client, now, judge), done: undefined, clients: undefined });
    if (this.#clients.size === 0) {
      this.#probe?.unsubscribe();
      this.#probe = undefined;
      this.#probedAt = Number.NaN;
    }
  }

  #probeOne(client: Client, now: number, judge: boolean): void {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    // The oldest ping that went out after bytes not yet confirmed as read.
    const waiting = judge ? client.probes.find((p) => p.bytes > client.read) : undefined;
    if (waiting !== undefined && now - waiting.at >= this.#o.stuckTimeoutMs) {
      this.#tooSlow(client, now - waiting.at);
      return;
    }
    if (client.written > client.probed) this.#sendProbe(client, now);
  }

  /** Closes a client that fell too far behind (1008 `too_slow`), and counts it. */
  #tooSlow(client: Client, behindMs: number): void {
    this.#stuck += 1;
    this.#onTooSlow();
    this.#log.info(
      { behindMs: Math.round(behindMs), unreadBytes: client.written - client.read, buffered: client.ws.bufferedAmount },
      `${this.#o.label} client too slow; disconnecting it.`,
    );
    this.#forget(client);
    this.#closeSoon(client.ws, CLOSE.policy, 'too_slow');
  }

  #lag(client: Client, now: number): void {
    client.lagSince = now;
    this.#lagging.add(client);
    this.#log.debug({ buffered: client.ws.bufferedAmount }, `${this.#o.label} client lagging; skipping it until it drains.`);
    this.#drainCheck ??= this.#every(DRAIN_CHECK_MS, () => this.#checkLagging());
  }

  /**
   * A lagging client that has sent everything it held gets the snapshot and keeps up again
   * (true); one that has been full for `stuckTimeoutMs` is cut. False while it still lags.
   */
  #resyncIfDrained(client: Client, now: number): boolean {
    const ws = client.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount === 0) {
      client.lagSince = undefined;
      this.#lagging.delete(client);
      this.#resynced += 1;
      const snapshot = this.#snapshot();
      client.since = this.#made;
      this.#send(client, snapshot);
      this.#log.debug({}, `${this.#o.label} client drained; resynced with a snapshot.`);
      return true;
    }
    if (now - (client.lagSince ?? now) >= this.#o.stuckTimeoutMs) this.#tooSlow(client, now - (client.lagSince ?? now));
    return false;
  }

  #checkLagging(): void {
    const now = this.#scheduler.now();
    for (const client of [...this.#lagging]) this.#resyncIfDrained(client, now);
    if (this.#lagging.size === 0) {
      this.#drainCheck?.unsubscribe();
      this.#drainCheck = undefined;
    }
  }

  #pingAll(): void {
    this.#enqueue({ seq: undefined, visit: (client, now) => this.#pingOne(client, now), done: undefined, clients: undefined });
    if (this.#clients.size === 0) {
      this.#ping?.unsubscribe();
      this.#ping = undefined;
    }
  }

  /** Cuts a client that did not answer the last ping; pings it otherwise. */
  #pingOne(client: Client, now: number): void {
    const ws = client.ws;
    if (!client.alive) {
      this.#reaped += 1;
      this.#log.debug({}, `${this.#o.label} client did not answer a ping; disconnecting it.`);
      this.#forget(client);
      ws.terminate();
      return;
    }
    client.alive = false;
    if (ws.readyState === WebSocket.OPEN) this.#sendProbe(client, now);
  }

  #forget(client: Client): void {
    if (!this.#clients.delete(client)) return;
    if (client.socket) this.#direct -= 1;
    this.#lagging.delete(client);
    if (this.#atLimit && this.#clients.size < this.#o.maxClients) {
      this.#atLimit = false;
      this.#log.info({ clients: this.#clients.size }, `${this.#o.label} accepts connections again.`);
    }
    this.#log.debug({ clients: this.#clients.size }, `${this.#o.label} client disconnected.`);
  }

  /** Starts the close handshake and cuts the connection if it has not finished in time. */
  #closeSoon(ws: WebSocket, code: number, reason: string): void {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    const timer = this.#scheduler.schedule(() => ws.terminate(), CLOSE_GRACE_MS);
    ws.once('close', () => timer.unsubscribe());
  }

  /** Runs `task` every `periodMs` on the scheduler until unsubscribed. */
  #every(periodMs: number, task: () => void): Subscription {
    return this.#scheduler.schedule(function (this: SchedulerAction<unknown>) {
      task();
      this.schedule(undefined, periodMs);
    }, periodMs);
  }
}

