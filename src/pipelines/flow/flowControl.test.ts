import { distinctUntilChanged, map, merge, type Observable, Subject, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { NodeKind } from '../../core/metrics.js';
import type { GraphShape, NodeShape } from '../../core/pipelineView.js';
import { FlowControl, type FlowSource } from './flowControl.js';
import { sinksFedBySource } from './sinksFed.js';
import type { SourceGate } from './sourceGate.js';

/** `{ id: 'kind inputs…' }`, e.g. `{ demo: 'source', clean: 'operator demo', history: 'sink clean' }`; `!` disables. */
function graph(spec: Record<string, string>): GraphShape {
  const nodes = new Map<string, NodeShape>();
  for (const [id, text] of Object.entries(spec)) {
    const [kind, ...inputs] = text.split(' ');
    const enabled = !kind?.endsWith('!');
    nodes.set(id, {
      id,
      kind: kind?.replace('!', '') as NodeKind,
      type: 'test',
      config: {},
      enabled,
      inputs: inputs.map((ref) => {
        const [node, port = ''] = ref.split('.');
        return { node: node as string, port };
      }),
      ports: [],
    });
  }
  return { nodes, order: [...nodes.keys()] };
}

const DEMO: FlowSource = { id: 'demo', pausable: true };
const LIVE: FlowSource = { id: 'twitch', pausable: false };

/** The two-sink pipeline of these specs: demo and twitch feed `history` and `archive` through `clean`. */
const TWO_SINKS = graph({
  demo: 'source',
  twitch: 'source',
  clean: 'operator demo twitch',
  history: 'sink clean',
  archive: 'sink clean',
  synth: 'sink clean',
});

describe('FlowControl', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  /** Applies a sink's congestion marbles (`t`: congested, `f`: clear) to `flow`. */
  const congestion = (flow: FlowControl, sink: string, signal$: Observable<string>) =>
    signal$.pipe(tap((c) => flow.setCongested(sink, c === 't')));

  /** The gate's decision after each action: `p` paused, `r` running (repeats left out). */
  const decisions = (gate: SourceGate, ...actions: Observable<unknown>[]): Observable<string> =>
    merge(...actions).pipe(
      map(() => (gate.paused ? 'p' : 'r')),
      distinctUntilChanged(),
    );

  it('pauses a pausable source when a sink it feeds is congested, resumes when it clears', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const history = hot('  -t---f--t-f-|');
      const historySubs = '  ^-----------!';
      const expected = '     -p---r--p-r-|';

      const flow = new FlowControl(TWO_SINKS, testScheduler, silentLogger());
      const gate = flow.gateOf(DEMO) as SourceGate;
      expectObservable(decisions(gate, congestion(flow, 'history', history))).toBe(expected);
      expectSubscriptions(history.subscriptions).toBe(historySubs);
    });
  });

  it('two sinks congested: resumes only when both are clear', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const history = hot('  -t---f-----|');
      const archive = hot('  --t-----f--|');
      const expected = '     -p------r--|';

      const flow = new FlowControl(TWO_SINKS, testScheduler, silentLogger());
      const gate = flow.gateOf(DEMO) as SourceGate;
      expectObservable(
        decisions(gate, congestion(flow, 'history', history), congestion(flow, 'archive', archive)),
      ).toBe(expected);
    });
  });

  it('never pauses a live source, nor a source for a sink it does not feed', () => {
    const other = graph({ demo: 'source', twitch: 'source', history: 'sink demo', chat: 'sink twitch' });
    testScheduler.run(({ hot, expectObservable }) => {
      const chat = hot('     -t---f-|');
      const expected = '     -r-----|';

      const flow = new FlowControl(other, testScheduler, silentLogger());
      expect(flow.gateOf(LIVE)).toBeUndefined();
      const gate = flow.gateOf(DEMO) as SourceGate;
      expectObservable(decisions(gate, congestion(flow, 'chat', chat))).toBe(expected);
    });
  });

  it('a reload mid-congestion recomputes: unwired → resumes, wired to the congested sink → pauses', () => {
    const unwired = graph({ demo: 'source', twitch: 'source', clean: 'operator twitch', history: 'sink clean' });
    testScheduler.run(({ hot, expectObservable }) => {
      const history = hot('  -t---------|');
      const reloads = hot('  ---u---w---|', { u: unwired, w: TWO_SINKS });
      const expected = '     -p-r---p---|';

      const flow = new FlowControl(TWO_SINKS, testScheduler, silentLogger());
      const gate = flow.gateOf(DEMO) as SourceGate;
      const rewire$ = reloads.pipe(tap((next) => flow.rewire(next, [DEMO, LIVE])));
      expectObservable(decisions(gate, congestion(flow, 'history', history), rewire$)).toBe(expected);
    });
  });

  it('a reload that removes the congested sink releases the source, and a sink added back starts clear', () => {
    const without = graph({ demo: 'source', history2: 'sink demo' });
    const flow = new FlowControl(graph({ demo: 'source', history: 'sink demo' }), testScheduler, silentLogger());
    const gate = flow.gateOf(DEMO) as SourceGate;
    flow.setCongested('history', true);
    expect(gate.paused).toBe(true);
    flow.rewire(without, [DEMO]);
    expect(gate.paused).toBe(false);
    flow.rewire(graph({ demo: 'source', history: 'sink demo' }), [DEMO]);
    expect(gate.paused).toBe(false);
  });

  it('a pausable source started (or added) while its sink is congested starts paused', () => {
    const flow = new FlowControl(TWO_SINKS, testScheduler, silentLogger());
    flow.setCongested('archive', true);
    const gate = flow.gateOf(DEMO) as SourceGate;
    expect(gate.paused).toBe(true);
    expect(gate.flowSnapshot().pausedBy).toEqual(['archive']);
  });

  it('a source that stops being pausable (its type changed) is released and forgotten', () => {
    const flow = new FlowControl(TWO_SINKS, testScheduler, silentLogger());
    const gate = flow.gateOf(DEMO) as SourceGate;
    flow.setCongested('history', true);
    flow.rewire(TWO_SINKS, [{ id: 'demo', pausable: false }, LIVE]);
    expect(gate.paused).toBe(false);
    expect(flow.gateOf({ id: 'demo', pausable: false })).toBeUndefined();
  });
});

describe('SourceGate', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('calls an onResume listener once, on the scheduler, at the resume; a cancelled one never', () => {
    let gate: SourceGate | undefined;
    testScheduler.run(({ hot, expectObservable }) => {
      const history = hot('  -t--f--t-f-|');
      const expected = '     ----r-------';

      const flow = new FlowControl(TWO_SINKS, testScheduler, silentLogger());
      const g = flow.gateOf(DEMO) as SourceGate;
      gate = g;
      const resumed = new Subject<string>();
      history.subscribe((c) => flow.setCongested('history', c === 't'));
      testScheduler.schedule(() => g.onResume(() => resumed.next('r')), 2);
      testScheduler.schedule(() => g.onResume(() => resumed.next('x'))(), 8);
      expectObservable(resumed).toBe(expected);
    });
    expect(gate?.waiting).toBe(0);
    // Paused 1 → 4 and 7 → 9.
    expect(gate?.flowSnapshot()).toEqual({ paused: false, pausedBy: [], pausedMs: 5, pauses: 2 });
  });

  it('not paused: onResume calls the listener in a later turn, never in the caller’s stack', () => {
    const flow = new FlowControl(TWO_SINKS, testScheduler, silentLogger());
    const gate = flow.gateOf(DEMO) as SourceGate;
    const calls: string[] = [];
    testScheduler.run(() => {
      gate.onResume(() => calls.push('resumed'));
      calls.push('registered');
    });
    expect(calls).toEqual(['registered', 'resumed']);
  });
});

describe('sinksFedBySource', () => {
  it('follows every port and operator; a disabled operator carries nothing', () => {
    const fed = sinksFedBySource(
      graph({
        demo: 'source',
        twitch: 'source',
        cmds: 'operator demo',
        off: 'operator! twitch',
        history: 'sink cmds.cv cmds._invalid',
        synth: 'sink cmds',
        chat: 'sink off',
        raw: 'sink twitch',
      }),
    );
    expect([...(fed.get('demo') ?? [])].sort()).toEqual(['history', 'synth']);
    expect([...(fed.get('twitch') ?? [])]).toEqual(['raw']);
  });
});
