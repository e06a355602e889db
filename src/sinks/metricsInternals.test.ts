import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '../server/dashboardWire.js';
import { seriesKey } from './metricsHub.js';
import { families, PromExport, promLabel, promName } from './metricsPromInternals.js';
import { aggregate } from './metricsRedisInternals.js';

const point = (name: string, value: number, labels: Record<string, string> = {}, instance = 'a'): MetricPoint => ({
  name,
  labels,
  value,
  instance,
  ts: 0,
});

describe('seriesKey', () => {
  it('is the name with sorted labels', () => {
    expect(seriesKey('x', {})).toBe('x');
    expect(seriesKey('x', { b: '2', a: '1' })).toBe('x{a=1,b=2}');
  });
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

  it('groups points by family; the first point decides the type', () => {
    const f = families([
      point('a', 1),
      { name: 'a', labels: {}, summary: { count: 1, sum: 1, p50: 1, p95: 1, p99: 1, max: 1 }, instance: 'a', ts: 0 },
      point('a', 2, { n: 'x' }),
    ]);
    expect([...f.keys()]).toEqual(['chatflow_a']);
    expect(f.get('chatflow_a')?.points.map((p) => p.value)).toEqual([1, 2]);
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

describe('aggregate', () => {
  it('sums each series across instances, whatever the label order', () => {
    const totals = aggregate([
      { instance: 'a', lastSeen: 0, metrics: [point('n', 1, { x: '1', y: '2' }), point('m', 5)] },
      { instance: 'b', lastSeen: 0, metrics: [point('n', 2, { y: '2', x: '1' }, 'b')] },
    ]);
    expect(totals).toEqual({
      instances: 2,
      series: [
        { name: 'n', labels: { x: '1', y: '2' }, value: 3 },
        { name: 'm', labels: {}, value: 5 },
      ],
    });
  });
});
