/**
 * The runtime's backpressure (docs/storage.md, "Backpressure"): which sinks are congested,
 * and which pausable sources that holds back. Sinks report congestion through their driver
 * (`onCongestion`, ../sinkDriver/congestion.ts); every pausable source that feeds a congested
 * sink, through any operators, is paused until none of the sinks it feeds is congested.
 * A reload recomputes who feeds whom ({@link FlowControl.rewire}).
 */
import type { SchedulerLike } from 'rxjs';
import type { Logger } from '../../core/logger.js';
import type { GraphShape } from '../../core/pipelineView.js';
import { sinksFedBySource } from './sinksFed.js';
import { SourceGate } from './sourceGate.js';

/** A source node as backpressure sees it. */
export interface FlowSource {
  readonly id: string;
  /** Its definition's `pausable` fact. */
  readonly pausable: boolean;
}

/**
 * Decides which pausable sources are paused: those feeding a congested sink.
 *
 * ```text
 * history:   -t---f--t-f-|     t: its buffer reached max_events · f: drained to half
 * demo:      -p---r--p-r-|     p: paused · r: resumed (twitch, live, has no gate at all)
 * ```
 */
export class FlowControl {
  readonly #congested = new Set<string>();
  /** Pausable sources' gates, by node id; kept across the source's restarts and reloads. */
  readonly #gates = new Map<string, SourceGate>();
  #fed: Map<string, ReadonlySet<string>>;
  readonly #scheduler: SchedulerLike;
  readonly #log: Logger;

  constructor(graph: GraphShape, scheduler: SchedulerLike, log: Logger) {
    this.#fed = sinksFedBySource(graph);
    this.#scheduler = scheduler;
    this.#log = log;
  }

  /**
   * The gate a pausable source reads as `ctx.flow` (and its metrics report), paused at once if
   * a sink it feeds is congested already; `undefined` for a source that is not pausable.
   */
  gateOf(source: FlowSource): SourceGate | undefined {
    if (!source.pausable) return undefined;
    let gate = this.#gates.get(source.id);
    if (gate === undefined) {
      gate = new SourceGate(this.#scheduler);
      this.#gates.set(source.id, gate);
      this.#evaluate(source.id, gate);
    }
    return gate;
  }

  /** The sink's driver reports a change of congestion (or the sink left the pipeline: false). */
  setCongested(sink: string, congested: boolean): void {
    if (congested === this.#congested.has(sink)) return;
    if (congested) this.#congested.add(sink);
    else this.#congested.delete(sink);
    this.#log.debug({ sink, congested }, 'Sink congestion changed.');
    for (const [id, gate] of this.#gates) {
      if (this.#fed.get(id)?.has(sink)) this.#evaluate(id, gate);
    }
  }

  /**
   * The pipeline was reloaded: recompute which sinks each source feeds, forget sinks and
   * sources that left (a paused source that left is released) and re-decide every gate.
   *
   * @param sources The sources of the new graph, with their `pausable` fact.
   */
  rewire(graph: GraphShape, sources: readonly FlowSource[]): void {
    this.#fed = sinksFedBySource(graph);
    for (const sink of [...this.#congested]) {
      if (graph.nodes.get(sink)?.kind !== 'sink') this.#congested.delete(sink);
    }
    const pausable = new Set(sources.filter((s) => s.pausable).map((s) => s.id));
    for (const [id, gate] of [...this.#gates]) {
      if (pausable.has(id)) {
        this.#evaluate(id, gate);
        continue;
      }
      gate.set([]);
      this.#gates.delete(id);
    }
  }

  #evaluate(id: string, gate: SourceGate): void {
    const by: string[] = [];
    for (const sink of this.#fed.get(id) ?? []) if (this.#congested.has(sink)) by.push(sink);
    const was = gate.paused;
    gate.set(by);
    if (gate.paused === was) return;
    // The first pause is news (a streamer sees why the demo slowed); later ones are routine.
    const details = { source: id, pausedBy: by };
    if (!gate.paused) this.#log.debug(details, 'Source resumed.');
    else if (gate.flowSnapshot().pauses === 1) this.#log.info(details, 'Source paused until a congested sink catches up.');
    else this.#log.debug(details, 'Source paused until a congested sink catches up.');
  }
}
