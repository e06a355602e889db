/**
 * The state behind the `overlay` sink: every variable and the last N feed entries, sent to
 * the connected WebSocket clients through the shared fan-out (src/server/wsFanout.ts), which
 * keeps one slow or dead client from costing anyone else anything.
 */
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import type { ChatflowEvent, ControlEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import { type FanoutStats, Frame, WsFanout } from '../../server/wsFanout.js';
import {
  beatMessage,
  controlMessage,
  deletes,
  translate,
  WIRE_VERSION,
  type WireDeclaration,
  type WireEntry,
  type WireForget,
  type WireVariable,
} from './wire.js';

/** What the hub needs to know; the sink fills it from its config. */
export interface HubOptions {
  /** Feed entries a new client gets. */
  readonly history: number;
  /** Ping every client this often; one that has not answered the previous ping is cut. */
  readonly pingIntervalMs: number;
  /** A client whose unsent bytes would pass this gets no more messages until it drains. */
  readonly maxBufferedBytes: number;
  /** A client that has not read, this long after, what it was sent is closed (1008 `too_slow`). */
  readonly stuckTimeoutMs: number;
  /** Connections beyond this are refused (close code 1013). */
  readonly maxClients: number;
  /** Variables held; the least recently changed one is forgotten beyond it. */
  readonly maxVariables: number;
  /** Ask `ws` to compress each frame (only for clients that negotiated permessage-deflate). */
  readonly compress: boolean;
  /** Fixed bar ranges by variable; other variables' ranges grow to fit their values. */
  readonly ranges: Readonly<Record<string, readonly [number, number]>>;
  /** What the upstream control nodes declare, sent in every snapshot (`d`). */
  readonly declarations?: readonly WireDeclaration[];
  /**
   * Least time between two frames: a change goes out at once when no frame went out this long
   * before, else together with everything published meanwhile, as one frame when the interval
   * ends (0: each publish is its own frame, sent at once).
   */
  readonly frameIntervalMs?: number;
  /** Clients a broadcast writes per turn of the event loop (tests; default the fan-out's). */
  readonly sliceClients?: number;
}

export interface HubDeps {
  /** Timers (ping, drain checks) and the clock of `stuck_timeout`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Counts `slow_client`, `not_shown` and `invalid_value` drops, and (`count`) the clients
   * closed for being too slow, `slow_client_closed`.
   */
  readonly drops?: DropCounter & { count?(name: string, n?: number): void };
  readonly logger?: Logger;
}

/** Connection counters since the hub was made, and the current picture. */
export type OverlayStats = FanoutStats;

export { CLOSE, Frame } from '../../server/wsFanout.js';

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
 * Holds the overlay's state and its clients. {@link OverlayHub.publish} applies events to the
 * state at once and turns what a frame interval gathered into one frame, serialized once, and
 * queues that same buffer to every client:
 *
 * ```text
 * publish([e1])  (nothing sent for 33 ms)  →  state += e1  →  frame = `m1`, sent at once
 * publish([e2]), publish([e3]) 5 ms later  →  state += e2, e3 (they wait)
 * 33 ms after e1 (the frame interval)      →  frame = `[m2,m3]` (one Buffer)
 *                                         →  client A: send(frame)
 *                                         →  client B: bufferedAmount + frame > max → skipped, lagging
 * 100 ms later, B drained                  →  B: send(snapshot), keeps up again
 * B has not read, stuck_timeout later,      →  B: closed (1008 too_slow), counted
 *   what it was sent (no pong)
 * ```
 *
 * A client therefore never holds more than `max_buffered_bytes` unsent in the process (or one
 * frame, when a frame is larger), never falls more than `stuck_timeout` behind, and what it
 * missed is replaced by the snapshot, never queued for it.
 */
export class OverlayHub {
  readonly #o: HubOptions;
  readonly #drops: DropCounter;
  readonly #fanout: WsFanout;
  /** Insertion order = least recently changed first. */
  readonly #vars = new Map<string, Variable>();
  #history: Remembered[] = [];
  #snapshot: Frame | undefined;
  readonly #scheduler: SchedulerLike;
  /** Wire messages applied to the state and not yet sent: they wait for the window's end. */
  #pending: string[] = [];
  /** Open for a frame interval after a frame went out; what is published meanwhile waits. */
  #window: Subscription | undefined;

  constructor(options: HubOptions, deps: HubDeps = {}) {
    this.#o = options;
    this.#drops = deps.drops ?? NO_DROPS;
    this.#scheduler = deps.scheduler ?? asyncScheduler;
    this.#fanout = new WsFanout(
      {
        pingIntervalMs: options.pingIntervalMs,
        maxBufferedBytes: options.maxBufferedBytes,
        stuckTimeoutMs: options.stuckTimeoutMs,
        maxClients: options.maxClients,
        compress: options.compress,
        label: 'Overlay',
        ...(options.sliceClients ? { sliceClients: options.sliceClients } : {}),
      },
      {
        // What is pending goes out first: a client then never gets, after its snapshot, a
        // change the snapshot already holds (a feed entry twice). The page replaces everything
        // with a snapshot, so getting the pending frame just before one is harmless.
        snapshot: () => {
          this.#flush();
          return this.#snapshotFrame();
        },
        logger: deps.logger ?? silentLogger(),
        onTooSlow: () => deps.drops?.count?.('slow_client_closed'),
        onIdle: () => this.#fanoutIdle(),
        ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
      },
    );
  }

  stats(): OverlayStats {
    return this.#fanout.stats();
  }

  /**
   * Takes a new connection: refuses it (1013) beyond `max_clients` or after close, else sends
   * it the snapshot and starts the ping timer with the first client.
   */
  accept(ws: WebSocket): void {
    this.#flush();
    this.#fanout.accept(ws);
  }

  /**
   * Applies a batch of events to the state at once and sends what changed to every client that
   * keeps up, serialized once: at once when no frame went out within the frame interval; else
   * together with everything else published until the interval ends, as one frame (one socket
   * write per client per interval, however often changes come). Returns the batch's messages
   * (JSON), for the preview.
   */
  publish(events: readonly ChatflowEvent[]): readonly string[] {
    const out: string[] = [];
    for (const event of events) this.#apply(event, out);
    if (out.length === 0) return out;
    this.#snapshot = undefined;
    if (this.#fanout.size === 0) return out;
    // While a frame is still on its way through the clients, what comes meanwhile waits and
    // goes as one frame once it is through (#fanoutIdle): one broadcast per change would queue
    // up behind it when changes come faster than the clients can be written to.
    if (this.#window !== undefined || this.#fanout.busy) {
      for (const json of out) this.#pending.push(json);
      return out;
    }
    this.#send(out);
    this.#openWindow();
    return out;
  }

  /** The fan-out is through with the frames under way: what waited for it goes now. */
  #fanoutIdle(): void {
    if (this.#window !== undefined || this.#pending.length === 0) return;
    this.#sendPending();
    this.#openWindow();
  }

  /**
   * Sends a beat of the pipeline clock to every client that keeps up (not kept in the state: a
   * client that joins later sees the next beat). Returns its JSON.
   */
  pulse(beat: Parameters<typeof beatMessage>[0]): string {
    const json = JSON.stringify(beatMessage(beat));
    this.#flush(); // the beat is on time; what came before it goes with it, in order
    if (this.#fanout.size > 0) {
      this.#fanout.broadcast(new Frame(json), (skipped) => this.#drops.drop('slow_client', false, skipped));
    }
    return json;
  }

  /**
   * Closes every client politely (1001), cutting those that have not finished the close
   * handshake after a second; refuses new ones. Resolves when all are gone.
   */
  close(): Promise<void> {
    this.#flush();
    this.#window?.unsubscribe();
    this.#window = undefined;
    return this.#fanout.close();
  }

  /**
   * Closes the window after the frame interval (none when it is 0): sends what it gathered as
   * one frame and opens the next, or, when nothing came, leaves the next publish to go out at
   * once; while the fan-out is busy, leaves what it gathered to #fanoutIdle.
   */
  #openWindow(): void {
    const interval = this.#o.frameIntervalMs ?? 0;
    if (interval <= 0) return;
    const hub = this;
    this.#window = this.#scheduler.schedule(function (this: SchedulerAction<unknown>) {
      if (hub.#pending.length === 0 || hub.#fanout.busy) {
        hub.#window = undefined;
        return;
      }
      hub.#sendPending();
      this.schedule(undefined, interval);
    }, interval);
  }

  /** Sends what is pending now, as one frame (the window stays as it is). */
  #flush(): void {
    if (this.#pending.length > 0) this.#sendPending();
  }

  #sendPending(): void {
    const out = this.#pending;
    this.#pending = [];
    this.#send(out);
  }

  #send(out: readonly string[]): void {
    const frame = new Frame(out.length === 1 ? (out[0] as string) : `[${out.join(',')}]`);
    const messages = out.length;
    this.#fanout.broadcast(frame, (skipped) => this.#drops.drop('slow_client', false, skipped * messages));
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
    const declared = this.#o.declarations ?? [];
    const d = declared.length > 0 ? `,"d":${JSON.stringify(declared)}` : '';
    this.#snapshot = new Frame(`{"t":"s","pv":${WIRE_VERSION},"v":${JSON.stringify(vars)},"h":[${history}]${d}}`);
    return this.#snapshot;
  }
}
