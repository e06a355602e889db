/**
 * The metrics contract: every node reports these without writing code for it (DESIGN.md §6).
 * The runtime owns one {@link NodeMetrics} per node; components only call `drop()`,
 * `error()` and, for sources, `setHealth()` through their context.
 */
import { Histogram } from './histogram.js';
import type { CumulativeHistogram, HistogramSummary } from './events.js';

export type NodeKind = 'source' | 'operator' | 'sink';

/** Lifecycle of a node as the dashboard and the status line show it. */
export type NodeStatus =
  | 'starting'
  | 'connecting'
  | 'live'
  | 'stale'
  | 'reconnecting'
  | 'failed'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'disabled';

/** A source's own view of its connection. */
export type SourceHealth = 'connecting' | 'live' | 'stale' | 'reconnecting' | 'failed';

/** Counts events that a node decided not to pass on, by reason. */
export interface DropCounter {
  /**
   * Counts `count` events dropped for `reason`. `intentional` drops are policy (a throttle, a
   * filter); unintentional ones are losses (a full buffer, a failed write).
   */
  drop(reason: string, intentional?: boolean, count?: number): void;
}

/** A drop counter that counts nothing, for factories used outside a pipeline. */
export const NO_DROPS: DropCounter = { drop: () => {} };

export interface DropCount {
  count: number;
  readonly intentional: boolean;
}

/** A mutable counter the runtime hands out per output port, so the hot path is a field bump. */
export interface Counter {
  value: number;
}

/**
 * What some of a node's counters mean, declared by its component (`metricRoles` of its
 * definition) and carried on its metrics, so readers of the counters (`sample_metrics`,
 * `/api/stats`) need not know component types.
 */
export interface MetricRoles {
  /** Drop reasons that count events a rate limit held back (`chatflow_throttled_per_minute`). */
  readonly limitedDrops?: readonly string[];
  /** Side ports that limited events are rerouted to (counted as throttled too). */
  readonly limitedPorts?: readonly string[];
  /** The port refused commands go to (`chatflow_commands_rejected_per_second`). */
  readonly rejectedPort?: string;
  /** Its named ports that do not start with `_` are command names (`/api/stats` commands). */
  readonly commandPorts?: boolean;
}

/** Where one service a node talks to stands (the `chat` sink: each platform it sends to). */
export type PartState = 'idle' | 'ok' | 'signed_out' | 'refused' | 'backing_off';

/**
 * One service a node talks to, as `/health` and the dashboard show it: the `chat` sink reports
 * one per platform. Read when a snapshot is taken (never per event).
 */
export interface PartHealth {
  /** The service: `twitch`, `youtube`, `kick`. */
  readonly name: string;
  /**
   * `idle`: nothing sent yet; `ok`: the last message went out; `signed_out`: no usable sign-in;
   * `refused`: the platform (or the quota) refused the last message; `backing_off`: waiting
   * until {@link until} after a 429 or a rate-limit answer.
   */
  readonly state: PartState;
  /** Why, in words: the refusal's reason and message, what to run to sign in, the bot's standing. */
  readonly detail?: string;
  /** `backing_off`: epoch ms when sending resumes. */
  readonly until?: number;
  /** Messages waiting (queued or in flight). */
  readonly queued: number;
  readonly sent: number;
  readonly dropped: number;
  /** Current values that belong with it (YouTube: `quota_used`, `quota_left` of sending), by name. */
  readonly gauges?: Readonly<Record<string, number>>;
}

/** A pausable source's backpressure (core/flow.ts), as its snapshot shows it. */
export interface FlowSnapshot {
  /** Held back now by a congested sink downstream. */
  readonly paused: boolean;
  /** The congested sinks holding it back now (empty when not paused). */
  readonly pausedBy: readonly string[];
  /** Time spent paused since start, the current pause included (ms). */
  readonly pausedMs: number;
  /** How many times it was paused. */
  readonly pauses: number;
}

/** What a pausable source's metrics read its {@link FlowSnapshot} from (the runtime's gate). */
export interface FlowReporter {
  flowSnapshot(): FlowSnapshot;
}

export interface NodeMetricsSnapshot {
  readonly id: string;
  readonly kind: NodeKind;
  readonly type: string;
  /** What its counters mean, when its component declares it. */
  readonly roles?: MetricRoles;
  readonly status: NodeStatus;
  readonly eventsIn: number;
  readonly eventsOut: Readonly<Record<string, number>>;
  readonly dropped: Readonly<Record<string, { count: number; intentional: boolean }>>;
  readonly errors: number;
  readonly processingMs: HistogramSummary;
  readonly latencyMs: HistogramSummary;
  readonly bufferDepth: number;
  readonly lastError?: string;
  /** Other counts the node reported with `count()` (not drops), when there are any. */
  readonly counts?: Readonly<Record<string, number>>;
  /** Current values the node reported with `gauge()` (quota left, lag), when there are any. */
  readonly gauges?: Readonly<Record<string, number>>;
  /** Sinks: the most events the driver's buffer holds (`buffer.max_events`), once started. */
  readonly bufferCapacity?: number;
  /** Pausable sources (simulate, replay): whether and how long backpressure held them back. */
  readonly flow?: FlowSnapshot;
  /** The services it talks to, when it reports them (the `chat` sink's platforms). */
  readonly parts?: readonly PartHealth[];
  /**
   * Sinks: opens a reader of the latency recorded from now on, one interval at a time (what
   * `sample_metrics` reports as `chatflow_end_to_end_latency_ms`). `latencyMs` is since start.
   */
  readonly openLatency?: () => IntervalReader;
  /** Sinks: the same for intended delay (`chatflow_intended_delay_ms`). */
  readonly openHeld?: () => IntervalReader;
  /**
   * The node's histograms since start in cumulative buckets (for Prometheus). A function, so
   * a snapshot that is serialized (the graph view) does not carry them.
   */
  readonly cumulative?: () => NodeHistograms;
}

/** A node's histograms since it started, in cumulative buckets. */
export interface NodeHistograms {
  readonly processing: CumulativeHistogram;
  /** Sinks: end-to-end latency. */
  readonly latency?: CumulativeHistogram;
  /** Sinks: intended delay (`heldMs`), of the events that carried one. */
  readonly held?: CumulativeHistogram;
}

/** One reader's view of a {@link TappedHistogram}: what was recorded since it last read. */
export interface IntervalReader {
  /** The values recorded since the last `take()` (or since opening); then starts the next interval. */
  take(): HistogramSummary;
  /** Stops collecting; idempotent. */
  close(): void;
}

/**
 * A since-start histogram that also records into the interval histogram of every open reader,
 * so several readers (two `sample_metrics` subscriptions) never reset each other's interval.
 */
export class TappedHistogram extends Histogram {
  #taps: readonly Histogram[] = [];

  override record(ms: number): void {
    super.record(ms);
    const taps = this.#taps;
    for (let i = 0; i < taps.length; i++) (taps[i] as Histogram).record(ms);
  }

  /** Starts an interval histogram of the values recorded from now on. */
  open(): IntervalReader {
    const tap = new Histogram();
    this.#taps = [...this.#taps, tap];
    return {
      take: () => {
        const summary = tap.summary();
        tap.reset();
        return summary;
      },
      close: () => {
        this.#taps = this.#taps.filter((t) => t !== tap);
      },
    };
  }
}

export class NodeMetrics implements DropCounter {
  eventsIn = 0;
  errors = 0;
  bufferDepth = 0;
  /** Sinks: the driver's buffer size (`buffer.max_events`), set by the runtime at start. */
  bufferCapacity: number | undefined;
  /**
   * Called on every unintentional drop. The runtime's loss monitor sets it to wake itself up;
   * it then reads the counters on its own schedule, so a drop costs one call here.
   */
  onLoss: (() => void) | undefined;
  /** Pausable sources: their gate, set by the runtime (pipelines/flow/). */
  flow: FlowReporter | undefined;
  /** What the node says of the services it talks to, read at each snapshot (see {@link reportParts}). */
  #parts: (() => readonly PartHealth[]) | undefined;
  status: NodeStatus = 'starting';
  lastError: string | undefined;
  /** Time spent per event inside the node (sampled). */
  readonly processing = new Histogram();
  /**
   * Sinks: end-to-end latency, from `receivedAt` to arrival at the sink's input (before its
   * buffer and write) less the event's intended delay (`heldMs`), since start; readers take it
   * interval by interval.
   */
  readonly latency = new TappedHistogram();
  /**
   * Sinks: intended delay, the `heldMs` of events that carry one (slew steps, vote results),
   * since start; kept apart from `latency`.
   */
  readonly held = new TappedHistogram();
  readonly #out = new Map<string, Counter>();
  readonly #dropped = new Map<string, DropCount>();
  readonly #counts = new Map<string, number>();
  readonly #gauges = new Map<string, number>();
  /** Bound once, so a snapshot carries no new closure. */
  readonly #openLatency = (): IntervalReader => this.latency.open();
  readonly #openHeld = (): IntervalReader => this.held.open();
  readonly #cumulative = (): NodeHistograms =>
    this.kind === 'sink'
      ? { processing: this.processing.cumulative(), latency: this.latency.cumulative(), held: this.held.cumulative() }
      : { processing: this.processing.cumulative() };

  constructor(
    readonly id: string,
    readonly kind: NodeKind,
    readonly type: string,
    /** The component's `metricRoles`, copied into every snapshot. */
    readonly roles?: MetricRoles,
  ) {}

  /** The counter of events out of `port` ('' is the default port). */
  out(port = ''): Counter {
    let counter = this.#out.get(port);
    if (!counter) {
      counter = { value: 0 };
      this.#out.set(port, counter);
    }
    return counter;
  }

  drop(reason: string, intentional = true, count = 1): void {
    const entry = this.#dropped.get(reason);
    if (entry) entry.count += count;
    else this.#dropped.set(reason, { count, intentional });
    if (!intentional) this.onLoss?.();
  }

  /** The unintentional drops so far, by reason (what the loss monitor reads). */
  losses(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [reason, entry] of this.#dropped) if (!entry.intentional) out.set(reason, entry.count);
    return out;
  }

  /**
   * Counts something a node did to events it still passed on, which is not a drop: e.g.
   * `cleaned_text` (the postgres sink cleaned text PostgreSQL cannot hold).
   */
  count(name: string, n = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + n);
  }

  /** Sets a current value, e.g. `quota_remaining` or `lag_ms`; the latest call wins. */
  gauge(name: string, value: number): void {
    this.#gauges.set(name, value);
  }

  /**
   * Has each snapshot read the node's {@link PartHealth} list from `read` (the latest call wins;
   * a rebuilt node sets its own).
   */
  reportParts(read: () => readonly PartHealth[]): void {
    this.#parts = read;
  }

  error(err?: unknown): void {
    this.errors += 1;
    if (err !== undefined) this.lastError = err instanceof Error ? err.message : String(err);
  }

  /** Total events out across ports. */
  totalOut(): number {
    let total = 0;
    for (const counter of this.#out.values()) total += counter.value;
    return total;
  }

  /** Total events dropped, optionally only the unintentional ones. */
  totalDropped(onlyUnintentional = false): number {
    let total = 0;
    for (const entry of this.#dropped.values()) {
      if (!onlyUnintentional || !entry.intentional) total += entry.count;
    }
    return total;
  }

  snapshot(): NodeMetricsSnapshot {
    const eventsOut: Record<string, number> = {};
    for (const [port, counter] of this.#out) eventsOut[port] = counter.value;
    const dropped: Record<string, { count: number; intentional: boolean }> = {};
    for (const [reason, entry] of this.#dropped) dropped[reason] = { ...entry };
    return {
      id: this.id,
      kind: this.kind,
      type: this.type,
      ...(this.roles === undefined ? {} : { roles: this.roles }),
      status: this.status,
      eventsIn: this.eventsIn,
      eventsOut,
      dropped,
      errors: this.errors,
      processingMs: this.processing.summary(),
      latencyMs: this.latency.summary(),
      bufferDepth: this.bufferDepth,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(this.#counts.size === 0 ? {} : { counts: Object.fromEntries(this.#counts) }),
      ...(this.#gauges.size === 0 ? {} : { gauges: Object.fromEntries(this.#gauges) }),
      ...(this.bufferCapacity === undefined ? {} : { bufferCapacity: this.bufferCapacity }),
      ...(this.flow === undefined ? {} : { flow: this.flow.flowSnapshot() }),
      ...(this.#parts === undefined ? {} : { parts: this.#parts() }),
      cumulative: this.#cumulative,
      ...(this.kind === 'sink' ? { openLatency: this.#openLatency, openHeld: this.#openHeld } : {}),
    };
  }
}
