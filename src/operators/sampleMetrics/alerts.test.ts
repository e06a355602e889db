import { filter, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AlertEvent, ChatflowEvent, HistogramSummary, MetricEvent } from '../../core/events.js';
import type { NodeMetricsSnapshot } from '../../core/metrics.js';
import { ALERTS_PORT, SampleMetricsConfig, sampleMetrics } from './index.js';
import { AlertRule, AlertRuleConfig } from './alerts.js';

const EMPTY = { count: 0, sum: 0, p50: 0, p95: 0, p99: 0, max: 0 };

/** A source node whose gauge `g` follows `values` (value from the given time on, ms). */
function gaugeNode(values: readonly (readonly [number, number])[], now: () => number): () => NodeMetricsSnapshot[] {
  return () => {
    let g = 0;
    for (const [at, v] of values) if (now() >= at) g = v;
    return [
      {
        id: 'yt',
        kind: 'source',
        type: 'youtube',
        status: 'live',
        eventsIn: 0,
        eventsOut: {},
        dropped: {},
        errors: 0,
        processingMs: EMPTY,
        latencyMs: EMPTY,
        bufferDepth: 0,
        gauges: { g },
      },
    ];
  };
}

const brief = (a: AlertEvent) => `${a.state}:${a.severity}:${a.value}`;

describe('sample_metrics alerts', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  /** The alerts of a run whose gauge follows `values`, as `state:severity:value`. */
  function alertsOf(rule: Record<string, unknown>, values: readonly (readonly [number, number])[]) {
    const config = SampleMetricsConfig.parse({
      process: false,
      alerts: { gauge_rule: { metric: 'chatflow_node_gauge', labels: { name: 'g' }, ...rule } },
    });
    return testScheduler.createColdObservable<ChatflowEvent>('-').pipe(
      sampleMetrics(config, {
        scheduler: testScheduler,
        clock: () => testScheduler.now(),
        instance: 'i1',
        nodeMetrics: gaugeNode(values, () => testScheduler.now()),
      }),
      filter((r) => r.event.kind === 'alert'),
      map((r) => {
        expect(r.port).toBe(ALERTS_PORT);
        return brief(r.event as AlertEvent);
      }),
    );
  }

  it('fires on the first sample over the threshold and resolves on the first one back under', () => {
    testScheduler.run(({ expectObservable }) => {
      const result = alertsOf({ warning: 10 }, [
        [0, 5],
        [1500, 20],
        [2500, 5],
      ]);
      expectObservable(result, '- 4s !').toBe('2s f 999ms r', { f: 'firing:warning:20', r: 'resolved:warning:5' });
    });
  });

  it('fires only after the value stayed over the threshold for `for`', () => {
    testScheduler.run(({ expectObservable }) => {
      // Over at 1s (a blip, back at 2s), then over from 3s on: fires at 5s (3s + for 2s).
      const result = alertsOf({ warning: 10, for: '2s' }, [
        [0, 20],
        [1500, 5],
        [2500, 20],
      ]);
      expectObservable(result, '- 6s !').toBe('5s f', { f: 'firing:warning:20' });
    });
  });

  it('resolves only below the threshold minus the hysteresis margin, held for clear_after', () => {
    testScheduler.run(({ expectObservable }) => {
      // Fires at 1s; 9.8 at 2s is inside the 5% margin (9.5) so it keeps firing; 9 from 3s on
      // clears, held for clear_after 2s: resolved at 5s.
      const result = alertsOf({ warning: 10, clear_after: '2s' }, [
        [0, 12],
        [1500, 9.8],
        [2500, 9],
      ]);
      expectObservable(result, '- 7s !').toBe('1s f 3999ms r', { f: 'firing:warning:12', r: 'resolved:warning:9' });
    });
  });

  it('uses an explicit hysteresis margin', () => {
    testScheduler.run(({ expectObservable }) => {
      const result = alertsOf({ warning: 10, hysteresis: 3 }, [
        [0, 12],
        [1500, 8],
        [2500, 6],
      ]);
      expectObservable(result, '- 4s !').toBe('1s f 1999ms r', { f: 'firing:warning:12', r: 'resolved:warning:6' });
    });
  });

  it('escalates to critical and de-escalates to warning, each with a new alert', () => {
    testScheduler.run(({ expectObservable }) => {
      const result = alertsOf({ warning: 10, critical: 100 }, [
        [0, 20],
        [1500, 200],
        [2500, 50],
        [3500, 1],
      ]);
      expectObservable(result, '- 5s !').toBe('1s w 999ms c 999ms d 999ms r', {
        w: 'firing:warning:20',
        c: 'firing:critical:200',
        d: 'firing:warning:50',
        r: 'resolved:warning:1',
      });
    });
  });

  it('resolves from critical straight away when the value fell under both thresholds', () => {
    testScheduler.run(({ expectObservable }) => {
      const result = alertsOf({ warning: 10, critical: 100 }, [
        [0, 200],
        [1500, 1],
      ]);
      expectObservable(result, '- 3s !').toBe('1s c 999ms r', { c: 'firing:critical:200', r: 'resolved:critical:1' });
    });
  });

  it('fires below the thresholds with `below: true` (a forecast running out)', () => {
    testScheduler.run(({ expectObservable }) => {
      const result = alertsOf({ below: true, warning: 1800, critical: 300 }, [
        [0, 3600],
        [1500, 1000],
        [2500, 100],
        [3500, 5000],
      ]);
      expectObservable(result, '- 5s !').toBe('2s w 999ms c 999ms r', {
        w: 'firing:warning:1000',
        c: 'firing:critical:100',
        r: 'resolved:critical:5000',
      });
    });
  });

  it('treats a metric that is gone as back to normal', () => {
    testScheduler.run(({ expectObservable }) => {
      const config = SampleMetricsConfig.parse({
        process: false,
        alerts: { failing: { metric: 'chatflow_command_success_rate', below: true, warning: 0.5 } },
      });
      const source = testScheduler.createHotObservable<ChatflowEvent>('-');
      const result = source.pipe(
        sampleMetrics(config, { scheduler: testScheduler, clock: () => testScheduler.now() }),
        filter((r) => r.event.kind === 'alert'),
        map((r) => brief(r.event as AlertEvent)),
      );
      expectObservable(result, '- 2s !').toBe('');
    });
  });
});

describe('AlertRule', () => {
  const point = (name: string, value: number, labels: Record<string, string> = {}): MetricEvent => ({
    kind: 'metric',
    name,
    labels,
    value,
    instance: 'i',
    ts: 0,
    receivedAt: 0,
  });
  const summaryPoint = (name: string, labels: Record<string, string>, summary: HistogramSummary): MetricEvent => ({
    kind: 'metric',
    name,
    labels,
    summary,
    instance: 'i',
    ts: 0,
    receivedAt: 0,
  });
  const rule = (raw: Record<string, unknown>) => new AlertRule('r1', AlertRuleConfig.parse(raw), 'inst');

  it('compares the worst of the matching series and names it in the message', () => {
    const r = rule({ metric: 'chatflow_node_buffer_depth', warning: 100 });
    const alert = r.evaluate(
      [point('chatflow_node_buffer_depth', 50, { node: 'a' }), point('chatflow_node_buffer_depth', 500, { node: 'b' }), point('other', 1e6)],
      1000,
      7,
    );
    expect(alert).toEqual({
      kind: 'alert',
      rule: 'r1',
      severity: 'warning',
      state: 'firing',
      message: 'r1 firing: chatflow_node_buffer_depth{node="b"} value is 500 (warning threshold 100)',
      value: 500,
      threshold: 100,
      instance: 'inst',
      ts: 1000,
      receivedAt: 7,
    });
    expect(r.severity).toBe('warning');
  });

  it('matches labels as a subset and reads p99 of a summary by default', () => {
    const r = rule({ metric: 'lat', labels: { node: 'a' }, critical: 10, message: '{label.node} {stat} {value}' });
    const summary = (p99: number, node: string) =>
      summaryPoint('lat', { node, x: 'y' }, { count: 1, sum: p99, p50: 1, p95: p99, p99, max: p99 });
    expect(r.evaluate([summary(50, 'b')], 0, 0)).toBeUndefined();
    expect(r.evaluate([summary(50, 'a')], 1, 0)?.message).toBe('a p99 50');
  });

  it('reads the stat it is told to', () => {
    const r = rule({ metric: 'lat', stat: 'p50', warning: 5 });
    const m = summaryPoint('lat', {}, { count: 1, sum: 1, p50: 1, p95: 9, p99: 9, max: 9 });
    expect(r.evaluate([m], 0, 0)).toBeUndefined();
  });
});
