import { describe, expect, it } from 'vitest';
import type { HistogramSummary, MetricEvent } from '../../core/events.js';
import { NodeMetrics, type NodeMetricsSnapshot } from '../../core/metrics.js';
import { MetricBatch } from './batch.js';
import { END_TO_END_LATENCY, NodeSampler } from './nodes.js';

/** The end-to-end latency series of one tick, as `sink → count/max`. */
function latencyOf(sampler: NodeSampler, nodes: readonly NodeMetricsSnapshot[], ts = 1000): Record<string, string> {
  const batch = new MetricBatch('i', ts, ts, 1000);
  sampler.collect(batch, nodes);
  const out: Record<string, string> = {};
  for (const e of batch.events as MetricEvent[]) {
    if (e.name !== END_TO_END_LATENCY) continue;
    const s = e.summary as HistogramSummary;
    out[e.labels.sink ?? '(none)'] = `${s.count}/${s.max}`;
  }
  return out;
}

describe('NodeSampler end-to-end latency', () => {
  it('reports each sink’s latency of the interval, labelled with the sink, and nothing for other nodes', () => {
    const source = new NodeMetrics('sim', 'source', 'simulate');
    const show = new NodeMetrics('show', 'sink', 'osc');
    const slow = new NodeMetrics('history', 'sink', 'postgres');
    const nodes = () => [source.snapshot(), show.snapshot(), slow.snapshot()];
    const sampler = new NodeSampler();
    show.latency.record(3);
    sampler.baseline(nodes());
    show.latency.record(4);
    slow.latency.record(300);

    expect(latencyOf(sampler, nodes())).toEqual({ show: '1/4', history: '1/300' });
    // The next interval is empty: reported as such, so an alert on it can clear.
    expect(latencyOf(sampler, nodes(), 2000)).toEqual({ show: '0/0', history: '0/0' });
  });

  it('keeps its readers per sampler, and stops reading when closed', () => {
    const show = new NodeMetrics('show', 'sink', 'osc');
    const a = new NodeSampler();
    const b = new NodeSampler();
    a.baseline([show.snapshot()]);
    b.baseline([show.snapshot()]);
    show.latency.record(80);

    expect(latencyOf(a, [show.snapshot()])).toEqual({ show: '1/80' });
    expect(latencyOf(b, [show.snapshot()])).toEqual({ show: '1/80' });
    a.close();
    show.latency.record(90);
    expect(latencyOf(b, [show.snapshot()])).toEqual({ show: '1/90' });
    // Reopened on next sight after close, from then on.
    expect(latencyOf(a, [show.snapshot()])).toEqual({ show: '0/0' });
  });

  it('skips disabled sinks and snapshots that cannot be read interval by interval', () => {
    const off = new NodeMetrics('off', 'sink', 'osc');
    off.status = 'disabled';
    const { openLatency: _, ...plain } = new NodeMetrics('plain', 'sink', 'osc').snapshot();
    const sampler = new NodeSampler();
    sampler.baseline([off.snapshot(), plain]);
    expect(latencyOf(sampler, [off.snapshot(), plain])).toEqual({});
  });
});
