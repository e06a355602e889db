import { filter, map, type OperatorFunction, pipe } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testContext } from '../../../test/support/context.js';
import { chat } from '../../../test/support/events.js';
import type { Routed } from '../../core/component.js';
import type { AlertEvent, ChatEvent, ChatflowEvent, CommandEvent, ControlEvent, HistogramSummary, MetricEvent, ModerationEvent } from '../../core/events.js';
import { NodeMetrics, type NodeMetricsSnapshot } from '../../core/metrics.js';
import { sinkInput } from '../../pipelines/measure.js';
import { SampleMetricsConfig, sampleMetrics, sampleMetricsComponent } from './index.js';
import type { ProcessProbe, ProcessSample } from './process.js';

const config = (raw: Record<string, unknown> = {}): SampleMetricsConfig =>
  SampleMetricsConfig.parse({ process: false, ...raw });

/** The values of one metric (optionally only the series with these labels), one per sample. */
function metric(name: string, labels: Record<string, string> = {}): OperatorFunction<Routed, number | HistogramSummary> {
  return pipe(
    filter((r): r is { port: string; event: MetricEvent } => r.event.kind === 'metric' && r.event.name === name),
    filter(({ event }) => Object.entries(labels).every(([k, v]) => event.labels[k] === v)),
    map(({ event }) => event.value ?? (event.summary as HistogramSummary)),
  );
}

/** The metric events of `name` (matching `labels`) among the operator's output. */
function metricEvents(name: string, labels: Record<string, string> = {}): OperatorFunction<Routed, MetricEvent> {
  return pipe(
    filter((r): r is { port: string; event: MetricEvent } => r.event.kind === 'metric' && r.event.name === name),
    filter(({ event }) => Object.entries(labels).every(([k, v]) => event.labels[k] === v)),
    map(({ event }) => event),
  );
}

const command = (from: ChatEvent, receivedAt = 0): CommandEvent => ({
  kind: 'command',
  name: 'cv',
  args: {},
  chat: from,
  receivedAt,
});

const moderation = (from: ChatEvent, reasons: string[], verdict: ModerationEvent['verdict'] = 'delete'): ModerationEvent => ({
  kind: 'moderation',
  verdict,
  reasons,
  points: 1,
  chat: from,
  receivedAt: 0,
});

function node(id: string, overrides: Partial<NodeMetricsSnapshot> = {}): NodeMetricsSnapshot {
  const empty: HistogramSummary = { count: 0, sum: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  return {
    id,
    kind: 'operator',
    type: 'test',
    status: 'running',
    eventsIn: 0,
    eventsOut: {},
    dropped: {},
    errors: 0,
    processingMs: empty,
    latencyMs: empty,
    bufferDepth: 0,
    ...overrides,
  };
}

const a = chat('a', { user: 'alice', channel: 'one' });
const b = chat('b', { user: 'bob', channel: 'one' });
const c = chat('c', { user: 'carol', channel: 'two', platform: 'kick' });
const d = chat('d', { user: 'alice', channel: 'one' });
const events: Record<string, ChatflowEvent> = { a, b, c, d };

describe('sample_metrics', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  const deps = () => ({ scheduler: testScheduler, clock: () => testScheduler.now(), instance: 'i1' });

  describe('as an RxJS operator', () => {
    it('samples every `every` in virtual time, also from a source that never emits', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<ChatflowEvent>('-');
        const sourceSubs = '  ^ 3499ms !';
        const unsub = '       - 3499ms !';
        const expected = '    1s a 999ms a 999ms a';

        const result = source.pipe(sampleMetrics(config(), deps()), metric('chatflow_active_chatters'));
        expectObservable(result, unsub).toBe(expected, { a: 0 });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('completes at once, without a sample, with an empty source', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<ChatflowEvent>('|');
        const sourceSubs = '  (^!)';
        const expected = '    |';

        expectObservable(source.pipe(sampleMetrics(config(), deps()))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('forwards an error without a last sample', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot<ChatflowEvent>('  -a-#', events);
        const sourceSubs = '                 ^--!';
        const expected = '                   ---#';

        expectObservable(source.pipe(sampleMetrics(config(), deps()))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
    });

    it('emits a last sample when the source completes, then completes', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold<ChatflowEvent>('a 1498ms b|', events);
        // 1 message in [0, 1s); 1 in the last 500 ms: 2/s.
        const expected = '                  1s x 499ms (y|)';

        const result = source.pipe(
          sampleMetrics(config(), deps()),
          metric('chatflow_messages_per_second', { channel: 'one' }),
        );
        expectObservable(result).toBe(expected, { x: 1, y: 2 });
      });
    });

    it('unsubscribes from an infinite source when the result is unsubscribed, and closes the probe', () => {
      let closed = 0;
      const probe = (): ProcessProbe => ({ sample: () => sampleOf(1), close: () => void closed++ });
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot<ChatflowEvent>('a 99ms a 99ms a 99ms a 99ms a 99ms a 99ms a 99ms a', events);
        const sourceSubs = '                ^ 1499ms !';
        const unsub = '                     - 1499ms !';
        const expected = '                  1s x';

        const result = source.pipe(
          sampleMetrics(config({ process: true }), { ...deps(), probe }),
          metric('chatflow_process_rss_bytes'),
        );
        expectObservable(result, unsub).toBe(expected, { x: 1 });
        expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      });
      expect(closed).toBe(1);
    });

    it('keeps its counts per subscription', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const operator = sampleMetrics(config(), deps());
        const first = cold<ChatflowEvent>('ab 2s |', events);
        const second = cold<ChatflowEvent>('a 2s |', events);

        expectObservable(first.pipe(operator, metric('chatflow_messages_per_second'))).toBe('1s x 999ms y 1ms |', {
          x: 2,
          y: 0,
        });
        expectObservable(second.pipe(operator, metric('chatflow_messages_per_second'))).toBe('1s x 999ms y |', {
          x: 1,
          y: 0,
        });
      });
    });
  });

  describe('chat metrics', () => {
    it('computes messages per second per platform and channel, reports a quiet channel once as 0', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot<ChatflowEvent>('abc 1s d', events);
        const one = source.pipe(
          sampleMetrics(config({ every: '500ms' }), deps()),
          metric('chatflow_messages_per_second', { platform: 'twitch', channel: 'one' }),
        );
        // [0, 500ms): a, b → 4/s; [500, 1000): none → 0, then forgotten; d at 1003 → 2/s at 1500.
        expectObservable(one, '- 2s !').toBe('500ms x 499ms y 499ms z 499ms y', { x: 4, y: 0, z: 2 });
      });
    });

    it('counts a message once when it arrives through several nodes', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const copy = { ...a, text: 'a, normalized' };
        const source = hot<ChatflowEvent>('(aaAb)', { a, A: copy, b });
        const result = source.pipe(sampleMetrics(config(), deps()), metric('chatflow_messages_per_second'));
        expectObservable(result, '- 1s !').toBe('1s x', { x: 2 });
      });
    });

    it('tells apart ids that end alike, and still counts copies of one message (an empty id too) once', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        // Same length, same last character: only the full comparison tells them apart.
        const x = chat('x', { id: 'sim-1-11' });
        const y = chat('y', { id: 'sim-1-21' });
        const e = chat('e', { id: '' });
        const copy = (m: ChatEvent) => ({ ...m, text: `${m.text}, normalized` });
        const source = hot<ChatflowEvent>('(xXyYeE)', { x, X: copy(x), y, Y: copy(y), e, E: copy(e) });
        const result = source.pipe(sampleMetrics(config(), deps()), metric('chatflow_messages_per_second'));
        expectObservable(result, '- 1s !').toBe('1s n', { n: 3 });
      });
    });

    it('counts distinct authors in the window and forgets them when it expires', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        // alice at 0 and 2.1s, bob at 1.5s; window 3s.
        const source = hot<ChatflowEvent>('a 1499ms b 599ms d', events);
        const result = source.pipe(
          sampleMetrics(config({ window: '3s' }), deps()),
          metric('chatflow_active_chatters', { window: '3s' }),
        );
        expectObservable(result, '- 7s !').toBe('1s 1 999ms 2 999ms 2 999ms 2 999ms 1 999ms 0 999ms 0', {
          0: 0,
          1: 1,
          2: 2,
        });
      });
    });

    it('keeps at most max_chatters per platform, forgetting the least recent', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot<ChatflowEvent>('abd', events);
        const result = source.pipe(
          sampleMetrics(config({ max_chatters: 1 }), deps()),
          metric('chatflow_active_chatters'),
        );
        expectObservable(result, '- 1s !').toBe('1s x', { x: 1 });
      });
    });

    it('rates commands, rejected commands (from the port a node declares for them) and the success rate', () => {
      let invalid = 5;
      const nodes = () => [
        node('cmds', { type: 'parse_command', roles: { rejectedPort: '_invalid' }, eventsOut: { _invalid: invalid } }),
        // The same port on a node that declares no rejected port is not counted.
        node('other', { eventsOut: { _invalid: 100 } }),
      ];
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot<ChatflowEvent>('xy 1s z', { x: command(a), y: command(b), z: command(c) });
        testScheduler.schedule(() => {
          invalid = 7;
        }, 500);
        testScheduler.schedule(() => {
          invalid = 10;
        }, 1500);
        const run = source.pipe(sampleMetrics(config(), { ...deps(), nodeMetrics: nodes }));
        const unsub = '- 2s !';
        expectObservable(run.pipe(metric('chatflow_commands_per_second', { result: 'accepted' })), unsub).toBe(
          '1s 2 999ms 1',
          { 1: 1, 2: 2 },
        );
        expectObservable(run.pipe(metric('chatflow_commands_rejected_per_second')), unsub).toBe('1s 2 999ms 3', {
          2: 2,
          3: 3,
        });
        expectObservable(run.pipe(metric('chatflow_command_success_rate')), unsub).toBe('1s h 999ms q', {
          h: 0.5,
          q: 0.25,
        });
      });
    });

    it('counts moderation reasons of verdicts other than allow', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot<ChatflowEvent>('xyz', {
          x: moderation(a, ['links', 'caps']),
          y: moderation(b, ['links']),
          z: moderation(c, ['caps'], 'allow'),
        });
        const run = source.pipe(sampleMetrics(config(), deps()));
        expectObservable(run.pipe(metric('chatflow_moderated_total', { reason: 'links' })), '- 1s !').toBe('1s x', {
          x: 2,
        });
        expectObservable(run.pipe(metric('chatflow_moderated_total', { reason: 'caps' })), '- 1s !').toBe('1s x', {
          x: 1,
        });
      });
    });

    it('reports end-to-end latency at each sink per interval, not the age of the events it sees', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const clock = () => testScheduler.now();
        const show = new NodeMetrics('show', 'sink', 'osc');
        const fast = new NodeMetrics('fast', 'sink', 'blackhole');
        const atShow = sinkInput(show, clock)({ next: () => {} });
        const atFast = sinkInput(fast, clock)({ next: () => {} });
        // Both reach sample_metrics as they are received (0 ms old there); the fast sink gets
        // them at once, the show's sink 120 ms and 110 ms later.
        const early = chat('e', { receivedAt: 20 });
        const late = chat('l', { receivedAt: 40 });
        const source = hot<ChatflowEvent>('  20ms e 19ms l', { e: early, l: late });
        const sourceSubs = '                ^ 2s !';
        const unsub = '                     - 2s !';
        for (const [at, sink, event] of [[20, atFast, early], [40, atFast, late], [140, atShow, early], [150, atShow, late]] as const) {
          testScheduler.schedule(() => sink(event), at);
        }
        const run = source.pipe(sampleMetrics(config(), { ...deps(), nodeMetrics: () => [show.snapshot(), fast.snapshot()] }));
        const brief = (s: number | HistogramSummary) => (typeof s === 'number' ? s : { count: s.count, p99: s.p99, max: s.max });
        const none = { count: 0, p99: 0, max: 0 };
        // Two subscriptions, each with its own readers of the sinks: both see the whole interval.

        expectObservable(run.pipe(metric('chatflow_end_to_end_latency_ms', { sink: 'show' }), map(brief)), unsub).toBe('1s x 999ms y', {
          x: { count: 2, p99: 120, max: 120 },
          y: none,
        });
        expectObservable(run.pipe(metric('chatflow_end_to_end_latency_ms', { sink: 'fast' }), map(brief)), unsub).toBe('1s x 999ms y', {
          x: { count: 2, p99: 0, max: 0 },
          y: none,
        });
        expectSubscriptions(source.subscriptions).toBe([sourceSubs, sourceSubs]);
      });
    });

    it('reports a slew step’s place on its ramp as intended delay, not as latency; its histograms since start only grow', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const clock = () => testScheduler.now();
        const synth = new NodeMetrics('synth', 'sink', 'osc');
        const atSynth = sinkInput(synth, clock)({ next: () => {} });
        // A command read at 100 ms slews in 8 steps 10 ms apart, each carrying the command's
        // receivedAt and its place on the ramp, and reaching the sink 0.5 ms after that place:
        // one measurement (the first step; the rest share its receivedAt), 0.5 ms late and 10 ms
        // held. A second command at 1100 ms jumps at once (no heldMs) and arrives 2 ms later.
        const step = (k: number): ControlEvent => ({
          kind: 'control', variable: 'cutoff', value: k / 8, previous: 0, origin: k === 1 ? 'command' : 'slew', ts: 0,
          receivedAt: 100, heldMs: 10 * k,
        });
        for (let k = 1; k <= 8; k++) testScheduler.schedule(() => atSynth(step(k)), 100 + 10 * k + 0.5);
        testScheduler.schedule(() => atSynth(chat('j', { receivedAt: 1100 })), 1102);
        const source = hot<ChatflowEvent>('-');
        const run = source.pipe(sampleMetrics(config(), { ...deps(), nodeMetrics: () => [synth.snapshot()] }));
        const brief = (e: MetricEvent) => ({
          count: e.summary?.count,
          max: e.summary?.max,
          total: e.histogram?.count,
          atOrBelow1ms: e.histogram?.counts[e.histogram.le.indexOf(1)],
        });
        const latency = run.pipe(metricEvents('chatflow_end_to_end_latency_ms', { sink: 'synth' }), map(brief));
        const intended = run.pipe(metricEvents('chatflow_intended_delay_ms', { sink: 'synth' }), map(brief));
        expectObservable(latency, '- 2s !').toBe('1s x 999ms y', {
          x: { count: 1, max: 0.5, total: 1, atOrBelow1ms: 1 },
          y: { count: 1, max: 2, total: 2, atOrBelow1ms: 1 },
        });
        expectObservable(intended, '- 2s !').toBe('1s x 999ms y', {
          x: { count: 1, max: 10, total: 1, atOrBelow1ms: 0 },
          y: { count: 0, max: 0, total: 1, atOrBelow1ms: 0 },
        });
      });
    });

    it('has no end-to-end latency without the sinks’ metrics', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot<ChatflowEvent>('20ms a', events);
        const result = source.pipe(sampleMetrics(config(), deps()), metric('chatflow_end_to_end_latency_ms'));
        expectObservable(result, '- 2s !').toBe('');
      });
    });

    it('fires the latency alert on a slow sink and resolves it when the next interval is fast', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const clock = () => testScheduler.now();
        const show = new NodeMetrics('show', 'sink', 'osc');
        const atShow = sinkInput(show, clock)({ next: () => {} });
        // 100 ms late in the first interval, 5 ms in the second: since start, p99 would stay 100.
        testScheduler.schedule(() => atShow(chat('slow', { receivedAt: 400 })), 500);
        testScheduler.schedule(() => atShow(chat('quick', { receivedAt: 1495 })), 1500);
        const latency = { metric: 'chatflow_end_to_end_latency_ms', stat: 'p99', warning: 50, critical: 250, message: '{label.sink} {value}' };
        const result = hot<ChatflowEvent>('-').pipe(
          sampleMetrics(config({ alerts: { latency } }), { ...deps(), nodeMetrics: () => [show.snapshot()] }),
          filter((r) => r.port === 'alerts'),
          map((r) => {
            const alert = r.event as AlertEvent;
            return `${alert.state}:${alert.severity}:${alert.message}`;
          }),
        );
        expectObservable(result, '- 2s !').toBe('1s w 999ms r', { w: 'firing:warning:show 100', r: 'resolved:warning:show 5' });
      });
    });
  });

  describe('history', () => {
    /** The values of `name` on one port. */
    const onPort = (port: string, name: string, labels: Record<string, string> = {}) =>
      pipe(filter((r: Routed) => r.port === port), metric(name, labels));

    it('emits a sample every `history` on its port, over that interval, from the same counts as the `every` samples', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        // a, b in the first second, d in the third; one command in the second.
        const source = hot<ChatflowEvent>('ab 1s x 999ms d', { a, b, d, x: command(c) });
        const run = source.pipe(sampleMetrics(config({ history: '3s' }), deps()));
        const unsub = '- 6s !';
        const rate = { platform: 'twitch', channel: 'one' };
        expectObservable(run.pipe(onPort('', 'chatflow_messages_per_second', rate)), unsub).toBe(
          '1s 2 999ms 0 999ms 1 999ms 0',
          { 2: 2, 1: 1, 0: 0 },
        );
        // [0, 3s): 3 messages → 1/s; [3s, 6s): none → 0.
        expectObservable(run.pipe(onPort('history', 'chatflow_messages_per_second', rate)), unsub).toBe('3s 1 2999ms 0', {
          1: 1,
          0: 0,
        });
        expectObservable(run.pipe(onPort('history', 'chatflow_commands_per_second', { result: 'accepted' })), unsub).toBe(
          '3s c 2999ms 0',
          { c: 1 / 3, 0: 0 },
        );
        expectObservable(run.pipe(onPort('history', 'chatflow_active_chatters')), unsub).toBe('3s 2 2999ms 2', { 2: 2 });
      });
    });

    it('goes to the `history` port only, never mirrored to the default output, and not without `history`', () => {
      expect(sampleMetricsComponent.ports(config({ history: '10s' }))).toEqual(['alerts', 'history']);
      expect(sampleMetricsComponent.ports(config())).toEqual(['alerts']);
      expect(sampleMetricsComponent.mirrorToDefault).toEqual(['alerts']);
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold<ChatflowEvent>('a 2500ms |', events);
        const ports = source.pipe(
          sampleMetrics(config(), deps()),
          map((r) => r.port),
          filter((port) => port !== ''),
        );
        expectObservable(ports).toBe('2501ms |');
      });
    });

    it('ends with a last history sample when the source completes, and keeps its counts per subscription', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const operator = sampleMetrics(config({ history: '2s' }), deps());
        const first = cold<ChatflowEvent>('ab 2999ms |', events);
        const second = cold<ChatflowEvent>('a 999ms |', events);
        // first: a, b in [0, 2s) → 1/s; none in [2s, 3.001s) → 0 at the end.
        expectObservable(first.pipe(operator, onPort('history', 'chatflow_messages_per_second'))).toBe('2s x 1000ms (y|)', {
          x: 1,
          y: 0,
        });
        // second: a in [0, 1s), at its end.
        expectObservable(second.pipe(operator, onPort('history', 'chatflow_messages_per_second'))).toBe('1000ms (z|)', {
          z: 1,
        });
      });
    });

    it('refuses a history interval under 10 ms', () => {
      expect(SampleMetricsConfig.safeParse({ history: '5ms' }).success).toBe(false);
    });
  });

  describe('node and process metrics', () => {
    it('reports every node’s counters, timings and status', () => {
      const snapshot = [
        node('sim', {
          kind: 'source',
          type: 'simulate',
          status: 'live',
          eventsIn: 0,
          eventsOut: { '': 10 },
          gauges: { lag_ms: 12 },
          flow: { paused: true, pausedBy: ['history'], pausedMs: 2500, pauses: 3 },
        }),
        node('fair', { type: 'throttle', eventsIn: 10, eventsOut: { '': 6 }, dropped: { throttled: { count: 4, intentional: true } } }),
        node('out', { kind: 'sink', type: 'blackhole', eventsIn: 6, bufferDepth: 25, bufferCapacity: 100, counts: { written: 6 } }),
      ];
      testScheduler.run(({ cold, expectObservable }) => {
        const run = cold<ChatflowEvent>('-').pipe(sampleMetrics(config(), { ...deps(), nodeMetrics: () => snapshot }));
        const names = run.pipe(
          filter((r) => r.event.kind === 'metric'),
          map((r) => {
            const e = r.event as MetricEvent;
            return `${e.name}${JSON.stringify(e.labels)}=${e.value ?? 'summary'}`;
          }),
          filter((line) => line.startsWith('chatflow_node') || line.startsWith('chatflow_sink') || line.startsWith('chatflow_source')),
        );
        const lines: string[] = [];
        const sub = names.subscribe((line) => lines.push(line));
        expectObservable(run.pipe(metric('chatflow_sink_buffer_fill_ratio', { node: 'out' })), '- 1s !').toBe('1s x', {
          x: 0.25,
        });
        testScheduler.schedule(() => {
          sub.unsubscribe();
          expect(lines).toEqual([
            'chatflow_node_events_in_total{"node":"sim","type":"simulate","kind":"source"}=0',
            'chatflow_node_events_out_total{"node":"sim","port":""}=10',
            'chatflow_node_errors_total{"node":"sim"}=0',
            'chatflow_node_status{"node":"sim","status":"live"}=1',
            'chatflow_source_down_seconds{"node":"sim"}=0',
            'chatflow_source_paused{"node":"sim"}=1',
            'chatflow_source_paused_seconds_total{"node":"sim"}=2.5',
            'chatflow_node_gauge{"node":"sim","name":"lag_ms"}=12',
            'chatflow_node_events_in_total{"node":"fair","type":"throttle","kind":"operator"}=10',
            'chatflow_node_events_out_total{"node":"fair","port":""}=6',
            'chatflow_node_dropped_total{"node":"fair","reason":"throttled","intentional":"true"}=4',
            'chatflow_node_errors_total{"node":"fair"}=0',
            'chatflow_node_status{"node":"fair","status":"running"}=1',
            'chatflow_node_processing_ms{"node":"fair"}=summary',
            'chatflow_node_events_in_total{"node":"out","type":"blackhole","kind":"sink"}=6',
            'chatflow_node_errors_total{"node":"out"}=0',
            'chatflow_node_status{"node":"out","status":"running"}=1',
            'chatflow_node_processing_ms{"node":"out"}=summary',
            'chatflow_node_buffer_depth{"node":"out"}=25',
            'chatflow_sink_buffer_fill_ratio{"node":"out"}=0.25',
            'chatflow_node_count_total{"node":"out","name":"written"}=6',
          ]);
        }, 1001);
      });
    });

    it('rates throttled events per minute from the nodes’ drops and _limited ports, from a baseline', () => {
      let throttled = 100;
      let limited = 0;
      const nodes = () => [
        node('fair', {
          roles: { limitedDrops: ['throttled'] },
          dropped: { throttled: { count: throttled, intentional: true }, filtered: { count: 50, intentional: true } },
        }),
        node('slow', { roles: { limitedPorts: ['_limited'] }, eventsOut: { _limited: limited } }),
        // Drops and ports of those names count only where a node's component declares them.
        node('plain', { dropped: { throttled: { count: throttled, intentional: true } }, eventsOut: { _limited: limited } }),
      ];
      testScheduler.run(({ cold, expectObservable }) => {
        testScheduler.schedule(() => {
          throttled = 102;
          limited = 1;
        }, 500);
        const result = cold<ChatflowEvent>('-').pipe(
          sampleMetrics(config(), { ...deps(), nodeMetrics: nodes }),
          metric('chatflow_throttled_per_minute'),
        );
        expectObservable(result, '- 2s !').toBe('1s x 999ms y', { x: 180, y: 0 });
      });
    });

    it('counts what any node declares as limited and rejected, whatever its type', () => {
      let held = 0;
      const nodes = () => [
        node('gate', {
          type: 'my_gate',
          roles: { limitedDrops: ['held'], limitedPorts: ['_over'], rejectedPort: '_refused' },
          dropped: { held: { count: held, intentional: true } },
          eventsOut: { _over: held, _refused: held },
        }),
      ];
      testScheduler.run(({ cold, expectObservable }) => {
        testScheduler.schedule(() => {
          held = 1;
        }, 500);
        const run = cold<ChatflowEvent>('-').pipe(sampleMetrics(config(), { ...deps(), nodeMetrics: nodes }));
        expectObservable(run.pipe(metric('chatflow_throttled_per_minute')), '- 2s !').toBe('1s x 999ms y', { x: 120, y: 0 });
        expectObservable(run.pipe(metric('chatflow_commands_rejected_per_second')), '- 2s !').toBe('1s x 999ms y', {
          x: 1,
          y: 0,
        });
      });
    });

    it('counts how long a source has been down', () => {
      let status: NodeMetricsSnapshot['status'] = 'live';
      const nodes = () => [node('tw', { kind: 'source', status })];
      testScheduler.run(({ cold, expectObservable }) => {
        testScheduler.schedule(() => {
          status = 'reconnecting';
        }, 1500);
        testScheduler.schedule(() => {
          status = 'live';
        }, 4500);
        const result = cold<ChatflowEvent>('-').pipe(
          sampleMetrics(config(), { ...deps(), nodeMetrics: nodes }),
          metric('chatflow_source_down_seconds'),
        );
        expectObservable(result, '- 5s !').toBe('1s a 999ms a 999ms b 999ms c 999ms a', { a: 0, b: 1, c: 2 });
      });
    });

    it('reports the process from the probe', () => {
      const probe = (): ProcessProbe => ({ sample: () => sampleOf(2), close: () => {} });
      testScheduler.run(({ cold, expectObservable }) => {
        const run = cold<ChatflowEvent>('-').pipe(sampleMetrics(config({ process: true }), { ...deps(), probe }));
        expectObservable(run.pipe(metric('chatflow_process_heap_used_bytes')), '- 1s !').toBe('1s x', { x: 200 });
        expectObservable(run.pipe(metric('chatflow_process_cpu_percent')), '- 1s !').toBe('1s x', { x: 12 });
        expectObservable(run.pipe(metric('chatflow_event_loop_lag_ms')), '- 1s !').toBe('1s x', { x: summaryOf(2) });
        expectObservable(run.pipe(metric('chatflow_gc_pause_ms')), '- 1s !').toBe('1s x', { x: summaryOf(3) });
      });
    });

    it('stamps every metric with the instance, the tick time and the clock', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const result = cold<ChatflowEvent>('-').pipe(
          sampleMetrics(config(), { ...deps(), clock: () => 42 }),
          filter((r) => r.event.kind === 'metric' && r.event.name === 'chatflow_active_chatters'),
          map((r) => ({ port: r.port, instance: (r.event as MetricEvent).instance, ts: (r.event as MetricEvent).ts, at: r.event.receivedAt })),
        );
        expectObservable(result, '- 1s !').toBe('1s x', { x: { port: '', instance: 'i1', ts: 1000, at: 42 } });
      });
    });
  });

  describe('as a component', () => {
    it('parses its examples', () => {
      for (const example of sampleMetricsComponent.examples) {
        expect(() => SampleMetricsConfig.parse(parse(example))).not.toThrow();
      }
    });

    it('refuses a rule without thresholds and critical on the wrong side', () => {
      expect(SampleMetricsConfig.safeParse({ alerts: { x: { metric: 'm' } } }).success).toBe(false);
      expect(SampleMetricsConfig.safeParse({ alerts: { x: { metric: 'm', warning: 5, critical: 1 } } }).success).toBe(false);
      expect(SampleMetricsConfig.safeParse({ alerts: { x: { metric: 'm', below: true, warning: 5, critical: 1 } } }).success).toBe(true);
      expect(SampleMetricsConfig.safeParse({ alerts: { x: { metric: 'm', warning: 1, unknown: 2 } } }).success).toBe(false);
    });

    it('samples node metrics through the pipeline view when the runtime gives one', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const ctx = testContext({ scheduler: testScheduler, type: 'sample_metrics' });
        const snapshot = [node('x', { eventsIn: 3 })];
        const withPipeline = {
          ...ctx,
          resources: { ...ctx.resources, pipeline: { snapshot: () => snapshot } },
        } as unknown as typeof ctx;
        const op = sampleMetricsComponent.create(config(), withPipeline) as OperatorFunction<ChatflowEvent, Routed>;
        const result = cold<ChatflowEvent>('-').pipe(op, metric('chatflow_node_events_in_total', { node: 'x' }));
        expectObservable(result, '- 1s !').toBe('1s x', { x: 3 });
      });
    });
  });
});

function summaryOf(n: number): HistogramSummary {
  return { count: n, sum: n, p50: n, p95: n, p99: n, max: n };
}

function sampleOf(n: number): ProcessSample {
  return {
    rssBytes: n,
    heapUsedBytes: n * 100,
    cpuPercent: n * 6,
    eventLoopLagMs: summaryOf(n),
    gcPauseMs: summaryOf(n + 1),
  };
}
