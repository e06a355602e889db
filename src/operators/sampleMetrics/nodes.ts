/**
 * The per-tick side of `sample_metrics`: every node's metrics (from the runtime's snapshots)
 * and the process's, as metric events; plus rates derived from the nodes' counters (throttled
 * events, rejected commands), how long each source has been down, and the end-to-end latency
 * of the interval at each sink.
 */
import type { IntervalReader, NodeMetricsSnapshot, NodeStatus } from '../../core/metrics.js';
import type { MetricBatch } from './batch.js';
import type { ProcessSample } from './process.js';

/** Source statuses that count as down for `chatflow_source_down_seconds`. */
const DOWN: ReadonlySet<NodeStatus> = new Set(['connecting', 'stale', 'reconnecting', 'failed']);

/** Events a rate limit held back: the drops and side ports the node's component declares (`roles`). */
function throttledOf(node: NodeMetricsSnapshot): number {
  let n = 0;
  for (const reason of node.roles?.limitedDrops ?? []) n += node.dropped[reason]?.count ?? 0;
  for (const port of node.roles?.limitedPorts ?? []) n += node.eventsOut[port] ?? 0;
  return n;
}

/** Commands refused: the events out of the port the node's component declares for them. */
function rejectedOf(node: NodeMetricsSnapshot): number {
  const port = node.roles?.rejectedPort;
  return port === undefined ? 0 : (node.eventsOut[port] ?? 0);
}

function totals(nodes: readonly NodeMetricsSnapshot[]): { throttled: number; rejected: number } {
  let throttled = 0;
  let rejected = 0;
  for (const node of nodes) {
    throttled += throttledOf(node);
    rejected += rejectedOf(node);
  }
  return { throttled, rejected };
}

/**
 * The end-to-end latency metric: from `receivedAt` to arrival at a sink, less the intended
 * delay (`heldMs`), this interval (its histogram: since the sink started).
 */
export const END_TO_END_LATENCY = 'chatflow_end_to_end_latency_ms';
/** The intended delay metric: the `heldMs` of events reaching a sink (slew steps, vote results). */
export const INTENDED_DELAY = 'chatflow_intended_delay_ms';

/**
 * Turns node snapshots into metric events; keeps the counters of the last tick for deltas and,
 * per sink, a reader of the latency recorded since the last tick.
 */
export class NodeSampler {
  #throttled = 0;
  #rejected = 0;
  readonly #downSince = new Map<string, number>();
  /** Sink id → this subscription's reader of its latency, interval by interval. */
  readonly #latency = new Map<string, IntervalReader>();
  /** Sink id → this subscription's reader of its intended delay. */
  readonly #held = new Map<string, IntervalReader>();

  /**
   * Takes the counters at the start of a subscription, so the first interval is a delta, and
   * starts reading every sink's latency from now.
   */
  baseline(nodes: readonly NodeMetricsSnapshot[]): void {
    const t = totals(nodes);
    this.#throttled = t.throttled;
    this.#rejected = t.rejected;
    for (const node of nodes) this.#latencyOf(node);
  }

  /** Stops reading the sinks' latency (the subscription ended). */
  close(): void {
    for (const reader of this.#latency.values()) reader.close();
    this.#latency.clear();
    for (const reader of this.#held.values()) reader.close();
    this.#held.clear();
  }

  /** The sink's latency reader, opened on first sight; undefined for other nodes and disabled sinks. */
  #latencyOf(node: NodeMetricsSnapshot): IntervalReader | undefined {
    if (node.kind !== 'sink' || node.status === 'disabled' || node.openLatency === undefined) return undefined;
    let reader = this.#latency.get(node.id);
    if (reader === undefined) {
      reader = node.openLatency();
      this.#latency.set(node.id, reader);
      if (node.openHeld) this.#held.set(node.id, node.openHeld());
    }
    return reader;
  }

  /**
   * Adds every node's metrics to `batch`.
   * @returns Commands rejected this interval.
   */
  collect(batch: MetricBatch, nodes: readonly NodeMetricsSnapshot[]): number {
    for (const node of nodes) this.#node(batch, node);
    const t = totals(nodes);
    const throttled = Math.max(0, t.throttled - this.#throttled);
    const rejected = Math.max(0, t.rejected - this.#rejected);
    this.#throttled = t.throttled;
    this.#rejected = t.rejected;
    batch.value('chatflow_throttled_per_minute', undefined, batch.perSecond(throttled) * 60);
    batch.value('chatflow_commands_rejected_per_second', undefined, batch.perSecond(rejected));
    return rejected;
  }

  #node(batch: MetricBatch, n: NodeMetricsSnapshot): void {
    const node = n.id;
    const one = { node };
    batch.value('chatflow_node_events_in_total', { node, type: n.type, kind: n.kind }, n.eventsIn);
    for (const port in n.eventsOut) {
      batch.value('chatflow_node_events_out_total', { node, port }, n.eventsOut[port] as number);
    }
    for (const reason in n.dropped) {
      const d = n.dropped[reason] as { count: number; intentional: boolean };
      batch.value('chatflow_node_dropped_total', { node, reason, intentional: String(d.intentional) }, d.count);
    }
    batch.value('chatflow_node_errors_total', one, n.errors);
    batch.value('chatflow_node_status', { node, status: n.status }, 1);
    const cumulative = n.cumulative?.();
    if (n.kind !== 'source') batch.summary('chatflow_node_processing_ms', one, n.processingMs, cumulative?.processing);
    if (n.kind === 'sink') {
      // Every tick, also an empty interval, so an alert on it can clear when the sink goes quiet.
      const reader = this.#latencyOf(n);
      if (reader) batch.summary(END_TO_END_LATENCY, { sink: node }, reader.take(), cumulative?.latency);
      // Only for sinks that ever got an event held on purpose (the ones fed by `control`, `vote`).
      const held = this.#held.get(node);
      if (held && cumulative?.held && cumulative.held.count > 0) {
        batch.summary(INTENDED_DELAY, { sink: node }, held.take(), cumulative.held);
      }
      batch.value('chatflow_node_buffer_depth', one, n.bufferDepth);
      if (n.bufferCapacity !== undefined && n.bufferCapacity > 0) {
        batch.value('chatflow_sink_buffer_fill_ratio', one, n.bufferDepth / n.bufferCapacity);
      }
    }
    if (n.kind === 'source' && n.status !== 'disabled') {
      let down = 0;
      if (DOWN.has(n.status)) {
        const since = this.#downSince.get(node);
        if (since === undefined) this.#downSince.set(node, batch.ts);
        else down = (batch.ts - since) / 1000;
      } else {
        this.#downSince.delete(node);
      }
      batch.value('chatflow_source_down_seconds', one, down);
      // Pausable sources only (simulate, replay): held back by a congested `when_full: block` sink.
      if (n.flow) {
        batch.value('chatflow_source_paused', one, n.flow.paused ? 1 : 0);
        batch.value('chatflow_source_paused_seconds_total', one, n.flow.pausedMs / 1000);
      }
    }
    if (n.counts) for (const name in n.counts) batch.value('chatflow_node_count_total', { node, name }, n.counts[name] as number);
    if (n.gauges) for (const name in n.gauges) batch.value('chatflow_node_gauge', { node, name }, n.gauges[name] as number);
  }
}

/** Adds the process's metrics to `batch`. */
export function processMetrics(batch: MetricBatch, sample: ProcessSample): void {
  batch.value('chatflow_process_rss_bytes', undefined, sample.rssBytes);
  batch.value('chatflow_process_heap_used_bytes', undefined, sample.heapUsedBytes);
  batch.value('chatflow_process_cpu_percent', undefined, sample.cpuPercent);
  batch.summary('chatflow_event_loop_lag_ms', undefined, sample.eventLoopLagMs);
  batch.summary('chatflow_gc_pause_ms', undefined, sample.gcPauseMs);
}
