import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '../src/server/dashboardWire.js';
import {
  commandRates,
  dropRates,
  historicalSeries,
  latestTick,
  memory,
  METRIC,
  percentiles,
  SeriesRing,
  sumBy,
  ticksOf,
} from './dashboardSeries.js';

function point(name: string, ts: number, value: number, labels: Record<string, string> = {}): MetricPoint {
  return { name, labels, value, instance: 'a', ts };
}

function summary(name: string, ts: number, p50: number, p99: number, count = 5): MetricPoint {
  return { name, labels: {}, summary: { count, sum: p50 * count, p50, p95: p99, p99, max: p99 }, instance: 'a', ts };
}

describe('ticksOf', () => {
  it('groups points by time, oldest first, skipping points without a finite time', () => {
    const ticks = ticksOf([
      point('x', 2000, 1),
      point('y', 1000, 2),
      point('z', 2000, 3),
      { ...point('w', 0, 4), ts: Number.NaN },
    ]);
    expect(ticks.map((t) => [t.ts, t.points.map((p) => p.name)])).toEqual([
      [1000, ['y']],
      [2000, ['x', 'z']],
    ]);
  });

  it('gives nothing for no points', () => {
    expect(ticksOf([])).toEqual([]);
  });
});

describe('latestTick', () => {
  it('is one tick at the newest time, leaving out series that stopped being sampled', () => {
    const tick = latestTick([point('a', 10_000, 1), point('b', 20_000, 2), point('c', 30_000, 3), point('d', 29_500, 4)], 5000);
    expect(tick?.ts).toBe(30_000);
    expect(tick?.points.map((p) => p.name)).toEqual(['c', 'd']);
  });

  it('gives nothing for no points', () => {
    expect(latestTick([])).toBeUndefined();
  });
});

describe('extractors', () => {
  it('sums a rate over labels into total and one series per label value', () => {
    const extract = sumBy(METRIC.messages, 'platform');
    const values = extract({
      ts: 1,
      points: [
        point(METRIC.messages, 1, 3, { platform: 'twitch', channel: 'a' }),
        point(METRIC.messages, 1, 2, { platform: 'twitch', channel: 'b' }),
        point(METRIC.messages, 1, 4, { platform: 'kick', channel: 'a' }),
        point(METRIC.commands, 1, 9, { result: 'accepted' }),
      ],
    });
    expect(Object.fromEntries(values)).toEqual({ total: 9, twitch: 5, kick: 4 });
  });

  it('gives commands by result and the rejected rate, without a total', () => {
    const values = commandRates()({
      ts: 1,
      points: [point(METRIC.commands, 1, 3, { result: 'accepted' }), point(METRIC.rejected, 1, 0.5)],
    });
    expect(Object.fromEntries(values)).toEqual({ accepted: 3, rejected: 0.5 });
  });

  it('turns cumulative drops into per-second rates by reason, per subscription, losses apart from filtering', () => {
    const lost = dropRates('lost');
    const intended = dropRates('intended');
    const tick = (ts: number, throttled: number, full: number) => ({
      ts,
      points: [
        point(METRIC.dropped, ts, throttled, { node: 'fair', reason: 'throttled', intentional: 'true' }),
        point(METRIC.dropped, ts, full, { node: 'overlay', reason: 'buffer_full', intentional: 'false' }),
        point(METRIC.dropped, ts, 1, { node: 'other', reason: 'throttled', intentional: 'true' }),
        point(METRIC.dropped, ts, throttled, { node: 'cmds', reason: '_unmatched', intentional: 'true' }),
      ],
    });
    // The first tick has nothing to compare with.
    expect(lost(tick(1000, 10, 0)).size).toBe(0);
    expect(intended(tick(1000, 10, 0)).size).toBe(0);
    expect(Object.fromEntries(lost(tick(1500, 20, 2)))).toEqual({ buffer_full: 4 });
    expect(Object.fromEntries(intended(tick(1500, 20, 2)))).toEqual({ throttled: 20, _unmatched: 20 });
    // A counter that went down (a restart) counts from zero.
    expect(Object.fromEntries(lost(tick(2500, 4, 2)))).toEqual({ buffer_full: 0 });
    expect(Object.fromEntries(intended(tick(2500, 4, 2)))).toEqual({ throttled: 5, _unmatched: 4 });
    // Another extractor starts afresh.
    expect(dropRates('lost')(tick(3000, 30, 3)).size).toBe(0);
  });

  it('counts a drop without the intentional label as lost', () => {
    const lost = dropRates('lost');
    lost({ ts: 1000, points: [point(METRIC.dropped, 1000, 0, { node: 'n', reason: 'mystery' })] });
    expect(Object.fromEntries(lost({ ts: 2000, points: [point(METRIC.dropped, 2000, 3, { node: 'n', reason: 'mystery' })] }))).toEqual({
      mystery: 3,
    });
  });

  it('rates each reason over the time of its own points, and skips a reason not sampled again', () => {
    const extract = dropRates('intended');
    const drop = (ts: number, reason: string, value: number) =>
      point(METRIC.dropped, ts, value, { node: 'n', reason, intentional: 'true' });
    extract({ ts: 1000, points: [drop(1000, 'a', 10), drop(1000, 'b', 100)] });
    // A snapshot in which b's newest point is still the one from before: no rate for b.
    expect(Object.fromEntries(extract({ ts: 3000, points: [drop(3000, 'a', 30), drop(1000, 'b', 100)] }))).toEqual({ a: 10 });
    expect(Object.fromEntries(extract({ ts: 4000, points: [drop(4000, 'a', 30), drop(4000, 'b', 130)] }))).toEqual({ a: 0, b: 10 });
  });

  it('reads percentiles of a summary, ignoring empty ones, the largest over labels', () => {
    const extract = percentiles(METRIC.latency);
    const values = extract({
      ts: 1,
      points: [summary(METRIC.latency, 1, 2, 9), summary(METRIC.latency, 1, 3, 5), summary(METRIC.latency, 1, 100, 100, 0)],
    });
    expect(Object.fromEntries(values)).toEqual({ p50: 3, p99: 9 });
  });

  it('gives memory in MiB', () => {
    const values = memory()({
      ts: 1,
      points: [point(METRIC.rss, 1, 100 * 1048576), point(METRIC.heap, 1, 25 * 1048576)],
    });
    expect(Object.fromEntries(values)).toEqual({ rss: 100, heap: 25 });
  });
});

describe('SeriesRing', () => {
  it('aligns series that appear later with gaps, and says when one appeared', () => {
    const ring = new SeriesRing();
    expect(ring.push(1000, new Map([['a', 1]]))).toBe(true);
    expect(ring.push(2000, new Map([['a', 2]]))).toBe(false);
    expect(ring.push(3000, new Map([['b', 5]]))).toBe(true);
    expect(ring.names).toEqual(['a', 'b']);
    expect(ring.data()).toEqual([
      [1, 2, 3],
      [1, 2, null],
      [null, null, 5],
    ]);
    expect(ring.pointsWithValues()).toBe(3);
  });

  it('ignores a tick that is not newer than the last one', () => {
    const ring = new SeriesRing();
    ring.push(2000, new Map([['a', 1]]));
    expect(ring.push(2000, new Map([['b', 1]]))).toBe(false);
    ring.push(1000, new Map([['a', 9]]));
    expect(ring.length).toBe(1);
    expect(ring.names).toEqual(['a']);
  });

  it('keeps only the window and at most max points', () => {
    const windowed = new SeriesRing(10_000, 1000);
    for (let ts = 0; ts <= 30_000; ts += 1000) windowed.push(ts, new Map([['a', ts]]));
    expect(windowed.data()[0]).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    const capped = new SeriesRing(Number.POSITIVE_INFINITY, 3);
    for (let ts = 0; ts < 10_000; ts += 1000) capped.push(ts, new Map([['a', ts]]));
    expect(capped.data()).toEqual([
      [7, 8, 9],
      [7000, 8000, 9000],
    ]);
  });

  it('counts ticks with no value at all as empty', () => {
    const ring = new SeriesRing();
    ring.push(1000, new Map());
    ring.push(2000, new Map());
    expect(ring.pointsWithValues()).toBe(0);
    expect(ring.data()).toEqual([[1, 2]]);
  });
});

describe('historicalSeries', () => {
  it('gives one series per label set, and percentiles of summaries', () => {
    const { names, data } = historicalSeries([
      point(METRIC.messages, 1000, 1, { platform: 'twitch', channel: 'a' }),
      point(METRIC.messages, 1000, 2, { channel: 'b', platform: 'kick' }),
      point(METRIC.messages, 2000, 3, { platform: 'twitch', channel: 'a' }),
      summary(METRIC.latency, 2000, 4, 8),
    ]);
    expect(names).toEqual(['channel=a,platform=twitch', 'channel=b,platform=kick', 'p50', 'p95', 'p99']);
    expect(data).toEqual([
      [1, 2],
      [1, 3],
      [2, null],
      [null, 4],
      [null, 8],
      [null, 8],
    ]);
  });
});
