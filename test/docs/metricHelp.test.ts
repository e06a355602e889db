import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { chat } from '../support/events.js';
import type { ChatflowEvent, CommandEvent, HistogramSummary, ModerationEvent } from '../../src/core/events.js';
import { NodeMetrics } from '../../src/core/metrics.js';
import { SampleMetricsConfig, sampleMetrics } from '../../src/operators/sampleMetrics/index.js';
import type { ProcessProbe } from '../../src/operators/sampleMetrics/index.js';
import { sinkInput } from '../../src/pipelines/measure.js';
import { METRIC_HELP } from '../../src/sinks/metrics/help.js';

const summary: HistogramSummary = { count: 1, sum: 1, p50: 1, p95: 1, p99: 1, max: 1 };

describe('METRIC_HELP', () => {
  it('describes every metric sample_metrics emits, and nothing it does not', () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 1000);
    const clock = () => scheduler.now();
    const source = new NodeMetrics('demo', 'source', 'simulate');
    source.status = 'reconnecting';
    source.gauge('lag_ms', 3);
    // A pausable source's backpressure (chatflow_source_paused…).
    source.flow = { flowSnapshot: () => ({ paused: true, pausedBy: ['synth'], pausedMs: 10, pauses: 1 }) };
    const parser = new NodeMetrics('cmds', 'operator', 'parse_command');
    parser.out('_invalid').value = 1;
    parser.drop('throttled', true);
    const sink = new NodeMetrics('synth', 'sink', 'osc');
    sink.bufferCapacity = 10;
    sink.count('written');
    const probe = (): ProcessProbe => ({
      sample: () => ({ rssBytes: 1, heapUsedBytes: 1, cpuPercent: 1, eventLoopLagMs: summary, gcPauseMs: summary }),
      close: () => {},
    });
    const input = new Subject<ChatflowEvent>();
    const names = new Set<string>();
    input
      .pipe(
        sampleMetrics(SampleMetricsConfig.parse({ every: '1s' }), {
          scheduler,
          clock,
          probe,
          nodeMetrics: () => [source.snapshot(), parser.snapshot(), sink.snapshot()],
          reloadStatus: () => ({ configValid: false, failures: 1 }),
        }),
      )
      .subscribe(({ event }) => {
        if (event.kind === 'metric') names.add(event.name);
      });
    const line = chat('!cv cutoff 1');
    const command: CommandEvent = { kind: 'command', name: 'cv', args: {}, chat: line, receivedAt: 0 };
    const verdict: ModerationEvent = { kind: 'moderation', verdict: 'flag', reasons: ['caps'], points: 1, chat: line, receivedAt: 0 };
    for (const event of [line, command, verdict]) input.next(event);
    sinkInput(sink, clock)({ next: () => {} })({ ...command, heldMs: 10 } as unknown as ChatflowEvent);
    scheduler.flush();
    input.complete();
    expect(names.size).toBeGreaterThan(20);
    expect([...names].filter((name) => METRIC_HELP[name] === undefined)).toEqual([]);
    expect(Object.keys(METRIC_HELP).filter((name) => !names.has(name))).toEqual([]);
  });
});
