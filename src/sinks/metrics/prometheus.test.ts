import { describe, expect, it } from 'vitest';
import { BUCKET_BOUNDS_MS, Histogram } from '../../core/histogram.js';
import type { MetricPoint } from '../../server/dashboardWire.js';
import { exposedName, PromExport, promLabel, promName, render } from './prometheus.js';

const point = (name: string, value: number, labels: Record<string, string> = {}, instance = 'a'): MetricPoint => ({
  name,
  labels,
  value,
  instance,
  ts: 0,
});

describe('Prometheus names', () => {
  it('prefixes chatflow_ once and replaces what Prometheus cannot hold', () => {
    expect(promName('events_in')).toBe('chatflow_events_in');
    expect(promName('chatflow_events_in')).toBe('chatflow_events_in');
    expect(promName('latency.ms-p99')).toBe('chatflow_latency_ms_p99');
    expect(promName('9lives')).toBe('chatflow__9lives');
  });

  it('renames labels Prometheus sets or reserves', () => {
    expect(promLabel('node')).toBe('node');
    expect(promLabel('bad-label')).toBe('bad_label');
    expect(promLabel('instance')).toBe('exported_instance');
    expect(promLabel('job')).toBe('exported_job');
    expect(promLabel('__name__')).toBe('exported___name__');
  });

  it('exposes _ms metrics in seconds and _percent ones as ratios; other names as they are', () => {
    expect(exposedName('chatflow_end_to_end_latency_ms')).toEqual({ name: 'chatflow_end_to_end_latency_seconds', factor: 0.001 });
    expect(exposedName('chatflow_process_cpu_percent')).toEqual({ name: 'chatflow_process_cpu_ratio', factor: 0.01 });
    expect(exposedName('chatflow_process_rss_bytes')).toEqual({ name: 'chatflow_process_rss_bytes', factor: 1 });
    expect(exposedName('chatflow_node_gauge')).toEqual({ name: 'chatflow_node_value', factor: 1 });
    expect(promLabel('le')).toBe('exported_le');
    expect(promLabel('quantile')).toBe('exported_quantile');
  });

  it('groups points by family; the first point decides the type', () => {
    const f = render([
      point('a', 1),
      { name: 'a', labels: {}, summary: { count: 1, sum: 1, p50: 1, p95: 1, p99: 1, max: 1 }, instance: 'a', ts: 0 },
      point('a', 2, { n: 'x' }),
    ]);
    expect([...f.keys()]).toEqual(['chatflow_a', 'chatflow_a_p50', 'chatflow_a_p95', 'chatflow_a_p99', 'chatflow_a_max']);
    expect(f.get('chatflow_a')?.values.map((v) => v.value)).toEqual([1, 2]);
  });

  it('renders a histogram since start as cumulative buckets in seconds, with +Inf, _sum and _count', () => {
    const h = new Histogram();
    for (const ms of [0.04, 0.3, 0.3, 7, 20_000]) h.record(ms);
    const f = render([
      {
        name: 'chatflow_end_to_end_latency_ms',
        labels: { sink: 'synth' },
        summary: { count: 1, sum: 0.3, p50: 0.3, p95: 0.3, p99: 0.3, max: 0.3 },
        histogram: h.cumulative(),
        instance: 'a',
        ts: 0,
      },
    ]);
    const family = f.get('chatflow_end_to_end_latency_seconds');
    expect(family?.type).toBe('histogram');
    const buckets = family?.values.filter((v) => v.metricName === 'chatflow_end_to_end_latency_seconds_bucket') ?? [];
    expect(buckets.map((b) => b.labels.le)).toEqual([...BUCKET_BOUNDS_MS.map((ms) => Number((ms / 1000).toPrecision(12))), '+Inf']);
    expect(buckets[0]).toEqual({ value: 1, labels: { sink: 'synth', le: 0.00005 }, metricName: 'chatflow_end_to_end_latency_seconds_bucket' });
    expect(buckets.find((b) => b.labels.le === 0.0005)?.value).toBe(3);
    expect(buckets.find((b) => b.labels.le === 10)?.value).toBe(4);
    expect(buckets.at(-1)?.value).toBe(5);
    expect(family?.values.find((v) => v.metricName === 'chatflow_end_to_end_latency_seconds_count')?.value).toBe(5);
    expect(family?.values.find((v) => v.metricName === 'chatflow_end_to_end_latency_seconds_sum')?.value).toBeCloseTo(20.00764, 9);
    expect(family?.help).toMatch(/^Time from a source receiving/);
  });

  it('types names ending in _total as counters', async () => {
    const prom = new PromExport(() => [point('events_total', 3), point('depth', 1)], false);
    const text = await prom.scrape();
    expect(text).toContain('# TYPE chatflow_events_total counter');
    expect(text).toContain('# TYPE chatflow_depth gauge');
  });

  it('drops a family from the exposition when its series are gone', async () => {
    let latest: MetricPoint[] = [point('a', 1), point('b', 2)];
    const prom = new PromExport(() => latest, false);
    expect(await prom.scrape()).toContain('chatflow_b 2');
    latest = [point('a', 3)];
    const text = await prom.scrape();
    expect(text).toContain('chatflow_a 3');
    expect(text).not.toContain('chatflow_b');
  });
});
