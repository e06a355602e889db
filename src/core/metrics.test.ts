import { describe, expect, it } from 'vitest';
import { NodeMetrics } from './metrics.js';

describe('NodeMetrics', () => {
  it('snapshots counts and the latest gauge values, and leaves both out when unused', () => {
    const metrics = new NodeMetrics('yt', 'source', 'youtube');
    expect(metrics.snapshot().gauges).toBeUndefined();
    expect(metrics.snapshot().counts).toBeUndefined();
    metrics.count('quota_used', 5);
    metrics.count('quota_used', 5);
    metrics.gauge('quota_remaining', 9990);
    metrics.gauge('quota_remaining', 9985);
    const snap = metrics.snapshot();
    expect(snap.counts).toEqual({ quota_used: 10 });
    expect(snap.gauges).toEqual({ quota_remaining: 9985 });
  });

  it('calls onLoss on every unintentional drop only, and lists the losses by reason', () => {
    const metrics = new NodeMetrics('history', 'sink', 'postgres');
    let calls = 0;
    metrics.onLoss = () => {
      calls += 1;
    };
    metrics.drop('superseded', true, 10);
    metrics.drop('filtered');
    expect(calls).toBe(0);
    metrics.drop('buffer_full', false, 3);
    metrics.drop('buffer_full', false);
    metrics.drop('flush_timeout', false, 2);
    expect(calls).toBe(3);
    expect(metrics.losses()).toEqual(new Map([['buffer_full', 4], ['flush_timeout', 2]]));
  });
});

describe('TappedHistogram', () => {
  it('gives each reader the values since it last read, and keeps the since-start histogram whole', () => {
    const metrics = new NodeMetrics('show', 'sink', 'osc');
    metrics.latency.record(500);
    const first = metrics.latency.open();
    metrics.latency.record(100);
    const second = metrics.latency.open();
    metrics.latency.record(10);

    expect(first.take()).toMatchObject({ count: 2, max: 100 });
    expect(first.take()).toMatchObject({ count: 0, max: 0 });
    // The first reader's take did not reset the second's interval.
    expect(second.take()).toMatchObject({ count: 1, max: 10 });
    expect(metrics.snapshot().latencyMs).toMatchObject({ count: 3, max: 500 });

    first.close();
    first.close();
    metrics.latency.record(20);
    expect(first.take().count).toBe(0);
    expect(second.take()).toMatchObject({ count: 1, max: 20 });
  });

  it('lets only sinks be read interval by interval', () => {
    expect(new NodeMetrics('op', 'operator', 'filter').snapshot().openLatency).toBeUndefined();
    const sink = new NodeMetrics('show', 'sink', 'osc');
    const reader = sink.snapshot().openLatency?.();
    sink.latency.record(7);
    expect(reader?.take()).toMatchObject({ count: 1, max: 7 });
  });
});
