/**
 * The fan-out behind the `overlay` sink: the current state (every variable, the last N feed
 * entries), the connected WebSocket clients, and the rules that keep one slow or dead client
 * from costing anyone else anything.
 */
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { WebSocket } from 'ws';
import type { ChatflowEvent, ControlEvent } from '../core/events.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import {
  controlMessage,
  deletes,
  translate,
  WIRE_VERSION,
  type WireEntry,
  type WireForget,
  type WireVariable,
} from './overlayWire.js';

/** What the hub needs to know; the sink fills it from its config. */
export interface HubOptions {
  /** Feed entries a new client gets. */
  readonly history: number;
  /** Ping every client this often; one that has not answered the previous ping is cut. */
  readonly pingIntervalMs: number;
  /** A client whose unsent bytes would pass this gets no more messages until it drains. */
  readonly maxBufferedBytes: number;
  /** A client that has not drained after this long is cut. */
  readonly stuckTimeoutMs: number;
  /** Connections beyond this are refused (close code 1013). */
  readonly maxClients: number;
  /** Variables held; the least recently changed one is forgotten beyond it. */
  readonly maxVariables: number;
  /** Ask `ws` to compress each frame (only for clients that negotiated permessage-deflate). */
  readonly compress: boolean;
  /** Fixed bar ranges by variable; other variables' ranges grow to fit their values. */
  readonly ranges: Readonly<Record<string, readonly [number, number]>>;
}

export interface HubDeps {
  /** Timers (ping, drain checks) and the clock of `stuck_timeout`. */
  readonly scheduler?: SchedulerLike;
  /** Counts `slow_client`, `not_shown` and `invalid_value` drops. */
  readonly drops?: DropCounter;
  readonly logger?: Logger;
}

/** Connection counters since the hub was made, and the current picture. */
export interface OverlayStats {
  /** Connected now. */
  readonly clients: number;
  /** Connected now, but skipped until they drain. */
  readonly lagging: number;
  readonly accepted: number;
  /** Refused because `max_clients` were connected. */
  readonly refused: number;
  /** Cut because they did not answer a ping. */
  readonly reaped: number;
  /** Cut because they did not drain within `stuck_timeout`. */
  readonly stuck: number;
  /** Lagging clients that drained and were sent a fresh snapshot. */
  readonly resynced: number;
  /** Connected clients whose frames are written to their socket directly (no deflate). */
  readonly direct: number;
  /** Frames written to clients (one per write per client, plus snapshots). */
  readonly framesSent: number;
  /** Most bytes any client held unsent right after a frame was queued for it. */
  readonly peakBufferedBytes: number;
}

/** Close codes the overlay uses (RFC 6455 §7.4, IANA registry). */
export const CLOSE = {
  /** The sink stopped (shutdown, reload). */
  goingAway: 1001,
  /** `max_clients` reached: try again later. */
  tryAgainLater: 1013,
  /** Did not drain within `stuck_timeout`. */
  policy: 1008,
} as const;

/** How often lagging clients are checked for having drained. */
const DRAIN_CHECK_MS = 100;
/** How long a refused or closed client may take to finish the close handshake. */
const CLOSE_GRACE_MS = 1000;

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

interface Variable {
  value: number;
  lo: number;
  hi: number;
  readonly fixed: boolean;
}

interface Remembered {
  readonly entry: WireEntry;
  readonly json: string;
}

/**
 * Holds the overlay's state and its clients. {@link OverlayHub.publish} turns a batch of
 * events into one frame, serialized once, and queues that same buffer to every client:
 *
 * ```text
 * publish([e1, e2])  →  state += e1, e2  →  frame = `[m1,m2]` (one Buffer)
 *                                         →  client A: send(frame)
 *                                         →  client B: bufferedAmount + frame > max → skipped, lagging
 * 100 ms later, B drained                  →  B: send(snapshot), keeps up again
 * B still full after stuck_timeout         →  B: cut (1008)
 * ```
 *
 * A client therefore never holds more than `max_buffered_bytes` unsent (or one frame, when a
 * frame is larger), and what it missed is replaced by the snapshot, never queued for it.
 */
export class OverlayHub {
  readonly #o: HubOptions;
  readonly #scheduler: SchedulerLike;
  readonly #drops: DropCounter;
  readonly #log: Logger;
  readonly #sendOptions: { readonly binary: false; readonly compress: boolean };
  readonly #clients = new Set<Client>();
  readonly #lagging = new Set<Client>();
  /** Insertion order = least recently changed first. */
  readonly #vars = new Map<string, Variable>();
  #history: Remembered[] = [];
  #snapshot: Frame | undefined;
  #ping: Subscription | undefined;
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

  constructor(options: HubOptions, deps: HubDeps = {}) {
    this.#o = options;
    this.#scheduler = deps.scheduler ?? asyncScheduler;
    this.#drops = deps.drops ?? NO_DROPS;
    this.#log = deps.logger ?? silentLogger();
    this.#sendOptions = { binary: false, compress: options.compress };
  }

  stats(): OverlayStats {
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
    };
  }

  /**
   * Takes a new connection: refuses it (1013) beyond `max_clients` or after close, else sends
   * it the snapshot and starts the ping timer with the first client.
   */
  accept(ws: WebSocket): void {
    if (this.#closed) {
      this.#closeSoon(ws, CLOSE.goingAway, 'overlay stopped');
      return;
    }
    if (this.#clients.size >= this.#o.maxClients) {
      this.#refused += 1;
      if (!this.#atLimit) {
        this.#atLimit = true;
        this.#log.warn({ maxClients: this.#o.maxClients }, 'Overlay client limit reached; refusing new connections.');
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
    };
    this.#clients.add(client);
    this.#accepted += 1;
    if (client.socket) this.#direct += 1;
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('close', () => this.#forget(client));
    this.#send(client, this.#snapshotFrame());
    this.#ping ??= this.#every(this.#o.pingIntervalMs, () => this.#pingAll());
    this.#log.debug({ clients: this.#clients.size }, 'Overlay client connected.');
  }

  /**
   * Applies a batch of events to the state and sends what changed to every client that keeps
   * up, as one frame serialized once.
   */
  publish(events: readonly ChatflowEvent[]): void {
    const out: string[] = [];
    for (const event of events) this.#apply(event, out);
    if (out.length === 0) return;
    this.#snapshot = undefined;
    if (this.#clients.size === 0) return;
    this.#broadcast(new Frame(out.length === 1 ? (out[0] as string) : `[${out.join(',')}]`), out.length);
  }

  /**
   * Closes every client politely (1001), cutting those that have not finished the close
   * handshake after a second; refuses new ones. Resolves when all are gone.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#ping?.unsubscribe();
    this.#ping = undefined;
    this.#drainCheck?.unsubscribe();
    this.#drainCheck = undefined;
    const open = [...this.#clients];
    if (open.length === 0) return;
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
          this.#closeSoon(client.ws, CLOSE.goingAway, 'overlay stopped');
        }
      }
    });
  }

  // --- state ---------------------------------------------------------------------------------

  /** Applies one event to the state and appends its wire JSON (none when it is not shown). */
  #apply(event: ChatflowEvent, out: string[]): void {
    const t = translate(event);
    switch (t.kind) {
      case 'ignored':
        this.#drops.drop('not_shown', true);
        return;
      case 'control':
        this.#applyControl(t.event, t.entry, out);
        return;
      case 'entry': {
        const json = JSON.stringify(t.message);
        this.#remember(t.message, json);
        out.push(json);
        return;
      }
      case 'delete': {
        const message = t.message;
        this.#history = this.#history.filter((r) => !deletes(message, r.entry));
        out.push(JSON.stringify(message));
        return;
      }
      case 'clear':
        this.#history = [];
        out.push(JSON.stringify(t.message));
        return;
    }
  }

  #applyControl(event: ControlEvent, entry: boolean, out: string[]): void {
    const value = event.value;
    if (!Number.isFinite(value)) {
      this.#drops.drop('invalid_value', false);
      return;
    }
    const name = event.variable;
    let v = this.#vars.get(name);
    let range: readonly [number, number] | undefined;
    if (v) {
      this.#vars.delete(name); // re-inserted below: most recently changed last
      v.value = value;
      if (!v.fixed && (value < v.lo || value > v.hi)) {
        v.lo = Math.min(v.lo, value);
        v.hi = Math.max(v.hi, value);
        range = [v.lo, v.hi];
      }
    } else {
      const fixed = this.#o.ranges[name];
      v = fixed
        ? { value, lo: fixed[0], hi: fixed[1], fixed: true }
        : { value, lo: Math.min(0, value), hi: Math.max(1, value), fixed: false };
      range = [v.lo, v.hi];
      if (this.#vars.size >= this.#o.maxVariables) {
        const oldest = this.#vars.keys().next().value;
        if (oldest !== undefined) {
          this.#vars.delete(oldest);
          const forget: WireForget = { t: 'f', n: oldest };
          out.push(JSON.stringify(forget));
        }
      }
    }
    this.#vars.set(name, v);
    const message = controlMessage(event, range);
    const json = JSON.stringify(message);
    if (entry) this.#remember(message, json);
    out.push(json);
  }

  #remember(entry: WireEntry, json: string): void {
    if (this.#o.history === 0) return;
    this.#history.push({ entry, json });
    if (this.#history.length > this.#o.history) this.#history.shift();
  }

  /** The snapshot as one frame, built once per state change however many clients need it. */
  #snapshotFrame(): Frame {
    if (this.#snapshot) return this.#snapshot;
    const vars: WireVariable[] = [];
    for (const [name, v] of this.#vars) vars.push([name, v.value, v.lo, v.hi]);
    const history = this.#history.map((r) => r.json).join(',');
    this.#snapshot = new Frame(`{"t":"s","pv":${WIRE_VERSION},"v":${JSON.stringify(vars)},"h":[${history}]}`);
    return this.#snapshot;
  }

  // --- clients -------------------------------------------------------------------------------

  #broadcast(frame: Frame, messages: number): void {
    const cap = this.#o.maxBufferedBytes - frame.wire.length;
    const now = this.#scheduler.now();
    let skipped = 0;
    for (const client of this.#clients) {
      if (client.lagSince !== undefined) {
        // The snapshot it gets on draining already holds this frame's changes.
        if (!this.#resyncIfDrained(client, now)) skipped += messages;
        continue;
      }
      const ws = client.ws;
      if (ws.readyState !== WebSocket.OPEN) continue;
      const buffered = ws.bufferedAmount;
      // A client holding nothing always gets the frame, even one larger than the cap.
      if (buffered > 0 && buffered > cap) {
        this.#lag(client, now);
        skipped += messages;
        continue;
      }
      const after = buffered + frame.wire.length;
      if (buffered > 0 && after > this.#peakBuffered) this.#peakBuffered = after;
      this.#write(client, frame);
    }
    if (skipped > 0) this.#drops.drop('slow_client', false, skipped);
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
  }

  #lag(client: Client, now: number): void {
    client.lagSince = now;
    this.#lagging.add(client);
    this.#log.debug({ buffered: client.ws.bufferedAmount }, 'Overlay client lagging; skipping it until it drains.');
    this.#drainCheck ??= this.#every(DRAIN_CHECK_MS, () => this.#checkLagging());
  }

  /**
   * A lagging client that has sent everything it held gets the snapshot and keeps up again
   * (true); one that has been full for `stuck_timeout` is cut. False while it still lags.
   */
  #resyncIfDrained(client: Client, now: number): boolean {
    const ws = client.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount === 0) {
      client.lagSince = undefined;
      this.#lagging.delete(client);
      this.#resynced += 1;
      this.#send(client, this.#snapshotFrame());
      this.#log.debug({}, 'Overlay client drained; resynced with a snapshot.');
      return true;
    }
    if (now - (client.lagSince ?? now) >= this.#o.stuckTimeoutMs) {
      this.#stuck += 1;
      this.#log.debug({ buffered: ws.bufferedAmount }, 'Overlay client stuck; disconnecting it.');
      this.#forget(client);
      ws.terminate();
    }
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
    for (const client of [...this.#clients]) {
      const ws = client.ws;
      if (!client.alive) {
        this.#reaped += 1;
        this.#log.debug({}, 'Overlay client did not answer a ping; disconnecting it.');
        this.#forget(client);
        ws.terminate();
        continue;
      }
      client.alive = false;
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }
    if (this.#clients.size === 0) {
      this.#ping?.unsubscribe();
      this.#ping = undefined;
    }
  }

  #forget(client: Client): void {
    if (!this.#clients.delete(client)) return;
    if (client.socket) this.#direct -= 1;
    this.#lagging.delete(client);
    if (this.#atLimit && this.#clients.size < this.#o.maxClients) {
      this.#atLimit = false;
      this.#log.info({ clients: this.#clients.size }, 'Overlay accepts connections again.');
    }
    this.#log.debug({ clients: this.#clients.size }, 'Overlay client disconnected.');
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
