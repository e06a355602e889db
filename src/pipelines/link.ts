/**
 * The hop between two fused nodes (src/pipelines/chains.ts): one subscriber that does what a
 * port and an input wrapper would (count out, count in, time a sample) at a fraction of the
 * cost, and tells which node an error came from.
 */
import { Observable, type MonoTypeOperatorFunction, Subscriber } from 'rxjs';
import type { ChatflowEvent } from '../core/events.js';
import type { Counter, NodeMetrics } from '../core/metrics.js';
import { LatencySampler, type ProcessingTimer } from './measure.js';
import type { OutputPort } from './ports.js';
import type { ChainEnd } from './restart.js';

/** An error an operator raised, with the node it came from (inside a fused chain). */
export class NodeFailure extends Error {
  constructor(
    readonly node: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'NodeFailure';
  }
}

/** Which node failed: the one a {@link NodeFailure} names, else `fallback`. */
export function failedNode(err: unknown, fallback: string): { node: string; cause: unknown } {
  return err instanceof NodeFailure ? { node: err.node, cause: err.cause } : { node: fallback, cause: err };
}

export interface LinkEnds {
  readonly from: {
    readonly id: string;
    readonly timer: ProcessingTimer;
    readonly out: Counter;
    /** The node's default port: events skip it, but its tap and its other consumers must see them. */
    readonly port: OutputPort;
  };
  readonly to: { readonly metrics: NodeMetrics; readonly timer?: ProcessingTimer };
  readonly clock: () => number;
}

export class LinkSubscriber extends Subscriber<ChatflowEvent> {
  // The ends' parts as own fields: the hot path reads them without going through `ends`.
  readonly #fromTimer: ProcessingTimer;
  readonly #fromOut: Counter;
  readonly #fromPort: OutputPort;
  readonly #toMetrics: NodeMetrics;
  readonly #toTimer: ProcessingTimer | undefined;
  readonly #latency: LatencySampler;

  /**
   * @param chainEnd When this link ends a chain (to a sink): errors and completion go here
   *   (src/pipelines/restart.ts), and only completion is passed on.
   */
  constructor(
    destination: Subscriber<ChatflowEvent>,
    private readonly ends: LinkEnds,
    private readonly chainEnd?: ChainEnd,
  ) {
    super(destination);
    this.#fromTimer = ends.from.timer;
    this.#fromOut = ends.from.out;
    this.#fromPort = ends.from.port;
    this.#toMetrics = ends.to.metrics;
    this.#toTimer = ends.to.timer;
    this.#latency = new LatencySampler(ends.to.metrics, ends.clock);
  }

  // `next` itself, not `_next`: skips a megamorphic hop inside Subscriber.next.
  override next(event: ChatflowEvent): void {
    if (this.isStopped) return;
    const fromTimer = this.#fromTimer;
    if (fromTimer.start >= 0) fromTimer.outputSeen();
    this.#fromOut.value += 1;
    // The tap, and the node's other consumers when it fans out (src/pipelines/chains.ts).
    this.#fromPort.emitAside(event);
    const n = ++this.#toMetrics.eventsIn;
    const timer = this.#toTimer;
    if (timer === undefined) {
      // A sink: record end-to-end latency for a sample of events.
      const latency = this.#latency;
      if (--latency.skip === 0) latency.look(event);
      this.destination.next(event);
    } else if ((n & timer.mask) !== 0) {
      this.destination.next(event);
    } else {
      timer.begin();
      this.destination.next(event);
      if (timer.start >= 0) timer.outputSeen();
    }
  }

  protected override _error(err: unknown): void {
    const failure = err instanceof NodeFailure ? err : new NodeFailure(this.ends.from.id, err);
    try {
      if (this.chainEnd) this.chainEnd.error(failure);
      else this.destination.error(failure);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.chainEnd?.complete();
    } finally {
      super._complete();
    }
  }
}

/** Connects the output of one fused node to the next (an operator, or a sink when `to.timer` is absent). */
export function link(ends: LinkEnds): MonoTypeOperatorFunction<ChatflowEvent> {
  return (source) =>
    new Observable<ChatflowEvent>((subscriber) => source.subscribe(new LinkSubscriber(subscriber, ends)));
}
