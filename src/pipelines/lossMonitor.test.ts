import { pino } from 'pino';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { LossMonitor } from './lossMonitor.js';

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly node?: string;
  readonly lost?: Record<string, number>;
  readonly events?: number;
  readonly periodMs?: number;
  readonly time: number;
}

/** A monitor on a virtual scheduler whose wall clock is the scheduler's time; logs and alerts recorded. */
function harness(options: { reportEveryMs?: number; quietMs?: number } = {}) {
  const scheduler = new VirtualTimeScheduler();
  const lines: Line[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push({ ...JSON.parse(line), time: scheduler.now() }) });
  const monitor = new LossMonitor({
    scheduler,
    wallClock: () => scheduler.now(),
    clock: () => scheduler.now(),
    logger,
    instance: 'test',
    ...options,
  });
  const alerts: AlertEvent[] = [];
  monitor.subscribe((a) => alerts.push(a));
  /** Runs `work` at virtual time `at` ms. */
  const at = (ms: number, work: () => void) => scheduler.schedule(work, ms);
  const warnings = () => lines.filter((l) => l.level === 40);
  return { scheduler, monitor, alerts, lines, warnings, at };
}

function sink(id: string, monitor: LossMonitor): NodeMetrics {
  const m = new NodeMetrics(id, 'sink', 'postgres');
  monitor.watch(m);
  return m;
}

describe('LossMonitor', () => {
  it('reports the first loss at once, with its count per reason, as a warning and a critical firing alert', () => {
    const h = harness();
    const history = sink('history', h.monitor);
    h.at(5000, () => {
      history.drop('buffer_full', false, 1200);
      history.drop('flush_timeout', false, 34);
    });
    h.at(5001, () => h.monitor.stop());
    h.scheduler.flush();

    expect(h.warnings()).toEqual([
      expect.objectContaining({ msg: 'Events lost.', node: 'history', lost: { buffer_full: 1200, flush_timeout: 34 }, events: 1234, time: 5000 }),
    ]);
    expect(h.warnings()[0]?.periodMs).toBeUndefined();
    expect(h.alerts).toEqual([
      expect.objectContaining({
        kind: 'alert',
        rule: 'data_loss:history',
        severity: 'critical',
        state: 'firing',
        message: 'history lost 1,234 events: buffer_full 1,200, flush_timeout 34.',
        value: 1234,
        threshold: 0,
        instance: 'test',
        ts: 5000,
      }),
    ]);
    expect(h.monitor.active().map((a) => a.rule)).toEqual(['data_loss:history']);
  });

  it('while the loss lasts, reports at most once a minute with the counts since the last report, then clears after a quiet minute', () => {
    const h = harness();
    const history = sink('history', h.monitor);
    // One event lost every second from 0 s to 179 s.
    for (let s = 0; s < 180; s++) h.at(s * 1000, () => history.drop('buffer_full', false));
    h.scheduler.flush();

    expect(h.warnings().map((l) => [l.time, l.events, l.periodMs])).toEqual([
      [0, 1, undefined],
      [60_000, 60, 60_000],
      [120_000, 60, 60_000],
      [180_000, 59, 60_000],
    ]);
    expect(h.alerts.map((a) => [a.ts, a.state, a.value])).toEqual([
      [0, 'firing', 1],
      [60_000, 'firing', 60],
      [120_000, 'firing', 60],
      [180_000, 'firing', 59],
      // The last loss was at 179 s: a quiet minute later, at the next check.
      [239_000, 'resolved', 0],
    ]);
    expect(h.alerts[1]?.message).toBe('history lost 60 events more in the last 1 min: buffer_full 60 (61 since the alert fired).');
    expect(h.alerts[4]?.message).toBe('history has lost nothing for 1 min (180 events lost while it lasted).');
    expect(h.lines.filter((l) => l.msg === 'Events no longer lost.')).toEqual([
      expect.objectContaining({ level: 30, node: 'history', events: 180, time: 239_000 }),
    ]);
    expect(h.monitor.active()).toEqual([]);
    // Nothing is left scheduled: the monitor sleeps until the next loss.
    expect(h.scheduler.actions).toHaveLength(0);
    expect(h.monitor.report().total).toBe(180);
  });

  it('fires again, as a new first report, when a node loses again after its alert cleared', () => {
    const h = harness({ quietMs: 10_000 });
    const out = sink('out', h.monitor);
    h.at(0, () => out.drop('retries_exhausted', false, 5));
    h.at(30_000, () => out.drop('retries_exhausted', false, 7));
    h.scheduler.flush();
    expect(h.warnings().map((l) => [l.time, l.events, l.periodMs])).toEqual([
      [0, 5, undefined],
      [30_000, 7, undefined],
    ]);
    expect(h.alerts.map((a) => [a.ts, a.state, a.value])).toEqual([
      [0, 'firing', 5],
      [10_000, 'resolved', 0],
      [30_000, 'firing', 7],
      [40_000, 'resolved', 0],
    ]);
  });

  it('ignores intentional drops: no timer, no log, no alert, nothing in the report', () => {
    const h = harness();
    const filter = new NodeMetrics('fair', 'operator', 'throttle');
    const osc = sink('osc', h.monitor);
    h.monitor.watch(filter);
    for (const reason of ['filtered', 'rate_limited', 'superseded', 'duplicate']) {
      filter.drop(reason, true, 1000);
      osc.drop(reason, true, 1000);
    }
    filter.drop('throttled');
    expect(h.scheduler.actions).toHaveLength(0);
    h.scheduler.flush();
    expect(h.lines).toEqual([]);
    expect(h.alerts).toEqual([]);
    expect(h.monitor.stop()).toEqual({ total: 0, entries: [] });
  });

  it('keeps nodes apart: each has its own alert (a warning off sinks), reasons and quiet minute', () => {
    const h = harness({ reportEveryMs: 60_000, quietMs: 60_000 });
    const history = sink('history', h.monitor);
    const chat = new NodeMetrics('chat', 'source', 'twitch');
    h.monitor.watch(chat);
    h.at(0, () => history.drop('buffer_full', false, 3));
    h.at(20_000, () => chat.drop('malformed_line', false, 2));
    h.scheduler.flush();
    expect(h.alerts.map((a) => [a.ts, a.rule, a.severity, a.state])).toEqual([
      [0, 'data_loss:history', 'critical', 'firing'],
      [20_000, 'data_loss:chat', 'warning', 'firing'],
      [60_000, 'data_loss:history', 'critical', 'resolved'],
      [80_000, 'data_loss:chat', 'warning', 'resolved'],
    ]);
    expect(h.monitor.report().entries).toEqual([
      { node: 'history', type: 'postgres', kind: 'sink', reason: 'buffer_full', count: 3 },
      { node: 'chat', type: 'twitch', kind: 'source', reason: 'malformed_line', count: 2 },
    ]);
  });

  it('at stop, reports at once what was lost since the last report', () => {
    const h = harness();
    const history = sink('history', h.monitor);
    h.at(0, () => history.drop('buffer_full', false, 10));
    h.at(30_000, () => history.drop('shutdown', false, 5));
    let report: ReturnType<LossMonitor['stop']> | undefined;
    h.at(31_000, () => {
      report = h.monitor.stop();
    });
    h.scheduler.flush();
    // 30 s after the first report, a minute had not passed: reported only because it stopped.
    expect(h.warnings().map((l) => [l.time, l.events])).toEqual([
      [0, 10],
      [31_000, 5],
    ]);
    expect(report).toEqual({
      total: 15,
      entries: [
        { node: 'history', type: 'postgres', kind: 'sink', reason: 'buffer_full', count: 10 },
        { node: 'history', type: 'postgres', kind: 'sink', reason: 'shutdown', count: 5 },
      ],
    });
    expect(h.monitor.stop()).toEqual(report);
    expect(h.scheduler.actions).toHaveLength(0);
  });

  it('a node removed by a reload: once its drain settles, what is pending is reported, its alert clears, the ledger keeps it', async () => {
    const h = harness();
    const old = sink('old', h.monitor);
    old.drop('retries_exhausted', false, 4);
    h.monitor.check();
    old.drop('flush_timeout', false, 2);
    let drained!: () => void;
    h.monitor.unwatch(old, new Promise<void>((r) => (drained = r)));
    old.drop('flush_timeout', false, 1);
    expect(h.monitor.active().map((a) => a.rule)).toEqual(['data_loss:old']);
    drained();
    await new Promise((r) => setImmediate(r));
    expect(h.alerts.map((a) => [a.state, a.value])).toEqual([
      ['firing', 4],
      ['firing', 3],
      ['resolved', 0],
    ]);
    expect(h.alerts[2]?.message).toBe('old was removed from the pipeline (7 events lost while the alert fired).');
    expect(h.monitor.active()).toEqual([]);
    expect(old.onLoss).toBeUndefined();
    const other = sink('old', h.monitor);
    other.drop('buffer_full', false, 1);
    other.drop('flush_timeout', false, 1);
    expect(h.monitor.report()).toEqual({
      total: 9,
      entries: [
        { node: 'old', type: 'postgres', kind: 'sink', reason: 'flush_timeout', count: 4 },
        { node: 'old', type: 'postgres', kind: 'sink', reason: 'retries_exhausted', count: 4 },
        { node: 'old', type: 'postgres', kind: 'sink', reason: 'buffer_full', count: 1 },
      ],
    });
  });

  it('a node rebuilt as another type under the same id: the old one leaving does not clear the new one\'s alert', () => {
    const h = harness();
    const old = sink('history', h.monitor);
    h.at(1000, () => old.drop('buffer_full', false, 5));
    let fresh: NodeMetrics | undefined;
    h.at(2000, () => {
      // The reload: the old sink still drains while the new one (a file sink now) runs.
      fresh = new NodeMetrics('history', 'sink', 'file');
      h.monitor.watch(fresh);
    });
    h.at(3000, () => fresh?.drop('retries_exhausted', false, 2));
    h.at(4000, () => h.monitor.unwatch(old));
    let active: readonly AlertEvent[] = [];
    let resolved: AlertEvent[] = [];
    h.at(4001, () => {
      active = h.monitor.active();
      resolved = h.alerts.filter((a) => a.state === 'resolved');
      h.monitor.stop();
    });
    h.scheduler.flush();

    // The new node lost events a second ago: its alert stays firing, none says it was resolved.
    expect(resolved).toEqual([]);
    expect(active).toEqual([expect.objectContaining({ rule: 'data_loss:history', state: 'firing' })]);
    expect(h.monitor.report().total).toBe(7);
  });

  it('at stop, a loss not reported yet (the run ended before the next check) is logged', () => {
    const h = harness();
    const history = sink('history', h.monitor);
    history.drop('flush_timeout', false, 8);
    const report = h.monitor.stop();
    expect(h.warnings()).toEqual([expect.objectContaining({ msg: 'Events lost.', node: 'history', lost: { flush_timeout: 8 } })]);
    expect(report.total).toBe(8);
    // Stopped: a later drop wakes nothing.
    history.drop('shutdown', false);
    expect(h.scheduler.actions).toHaveLength(0);
  });

  it('a listener that throws is logged and the others still hear the alert', () => {
    const h = harness();
    h.monitor.subscribe(() => {
      throw new Error('boom');
    });
    const history = sink('history', h.monitor);
    history.drop('buffer_full', false);
    h.monitor.check();
    expect(h.alerts).toHaveLength(1);
    expect(h.lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(['Loss alert listener failed.']);
  });
});
