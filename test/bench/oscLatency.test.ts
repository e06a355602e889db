import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sameWorkPipeline } from '../../bench/ceilingProcesses.js';
import { benchPipeline, latencyVerdict, type ScenarioFigures } from '../../bench/oscLatency.js';
import { defaultRegistry } from '../../src/components.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';

const graphOf = (text: string) => {
  const result = buildGraph(loadText(text, { file: 'pipeline.yaml', env: {} }), defaultRegistry());
  if (!result.graph) throw new Error(JSON.stringify(result.issues));
  return result.graph;
};
const ids = (text: string, kind: string) => [...graphOf(text).nodes.values()].filter((n) => n.kind === kind).map((n) => n.id);

describe("osc-latency's pipelines", () => {
  const scenario = { name: '5k/s', rate: 5000, maxRate: 'off', graph: 'default' } as const;

  it('runs pipeline.yaml with every sink on, the osc sink to the receiver carrying receivedAt, unpaced', async () => {
    const text = await benchPipeline(scenario, 7001, 42);
    expect(ids(text, 'sink')).toEqual(['show', 'synth', 'overlay', 'state', 'history', 'metrics']);
    const synth = (parse(text) as { sinks: Record<string, Record<string, unknown>> }).sinks.synth;
    expect(synth).toMatchObject({ target: '127.0.0.1:7001', max_rate: 'off', args: [{ type: 'f' }, { type: 'd', value: '{{ receivedAt }}' }] });
  });

  it('gives the same-work ceiling its command path alone: the same source, the operators up to the control node, the osc sink to its own port', async () => {
    const bench = await benchPipeline(scenario, 7001, 42);
    const text = sameWorkPipeline(bench, 7002);
    expect(ids(text, 'source')).toEqual(['demo']);
    expect(ids(text, 'operator')).toEqual(['clean', 'once', 'cmds', 'fair', 'crowd', 'cv']);
    expect(ids(text, 'sink')).toEqual(['synth']);
    const doc = parse(text) as { resources?: unknown; sources: Record<string, unknown>; sinks: Record<string, Record<string, unknown>> };
    const source = parse(bench) as { sources: Record<string, unknown>; sinks: Record<string, Record<string, unknown>> };
    expect(doc.resources).toBeUndefined();
    // The same chat (rate, seed, commands, viewers) and the same osc sink, to another port.
    expect(doc.sources).toEqual(source.sources);
    expect(doc.sinks.synth).toEqual({ ...source.sinks.synth, target: '127.0.0.1:7002' });
  });

  it('keeps only what the sink reads from, whatever the other nodes are', () => {
    const text = sameWorkPipeline(
      [
        'version: 1',
        'sources:',
        '  a: { type: simulate, rate: 10/s }',
        '  b: { type: simulate, rate: 10/s }',
        'operators:',
        '  clean: { type: normalize, inputs: [a] }',
        '  side: { type: normalize, inputs: [b] }',
        '  cmds: { type: parse_command, inputs: [clean], commands: { cv: { args: [name, "value:number(0..1)"] } } }',
        '  cv: { type: control, inputs: [cmds.cv], variables: { x: { range: [0, 1] } } }',
        'sinks:',
        '  synth: { type: osc, inputs: [cv], target: "127.0.0.1:1" }',
        '  other: { type: blackhole, inputs: [side, cmds._invalid] }',
      ].join('\n'),
      7003,
    );
    expect(ids(text, 'source')).toEqual(['a']);
    expect(ids(text, 'operator')).toEqual(['clean', 'cmds', 'cv']);
    expect(ids(text, 'sink')).toEqual(['synth']);
    expect(() => sameWorkPipeline('version: 1\nsinks: {}\n', 7003)).toThrow(/no sink synth/);
  });
});

describe("osc-latency's verdict beside the machine's ceilings", () => {
  const spread = (p99Ms: number, count = 100) => ({ count, p50Ms: p99Ms / 2, p99Ms, maxMs: p99Ms * 2 });
  const figures = (chatflow: number, sameWork: number, bare: number, losses: Record<string, number> = {}): ScenarioFigures => ({
    atReceiverProcess: spread(chatflow),
    sinks: { synth: { losses: {} }, history: { losses } },
    mainThreadWaitingForCorePercent: 12.5,
    ceilings: {
      sameWork: { atReceiverProcess: spread(sameWork), mainThreadWaitingForCorePercent: 8 },
      bare: { atReceiverProcess: spread(bare), mainThreadWaitingForCorePercent: 1 },
    },
  });
  const goal = { rate: 5000, p99Ms: 1 };

  it('passes on chatflow alone; says which ceiling meets the goal and how far chatflow is from each', () => {
    const v = latencyVerdict(goal, figures(1.5, 1.2, 0.05));
    expect(v).toMatchObject({ pass: false, sameWorkCeilingPasses: false, ceilingPasses: true, sameWorkCeilingP99Ms: 1.2, bareCeilingP99Ms: 0.05 });
    expect(v.againstSameWork).toEqual({ overMs: 0.3, ratio: 1.25 });
    expect(v.againstBare).toEqual({ overMs: 1.45, ratio: 30 });
    expect(v.mainThreadWaitingForCorePercent).toEqual({ chatflow: 12.5, sameWork: 8, bare: 1 });
    expect(latencyVerdict(goal, figures(1, 0.9, 0.05))).toMatchObject({ pass: true, sameWorkCeilingPasses: true, ceilingPasses: true });
  });

  it('fails on a loss, or on a lane that received nothing, however fast', () => {
    expect(latencyVerdict(goal, figures(0.2, 0.2, 0.05, { buffer_full: 3 }))).toMatchObject({ pass: false, sinkLosses: 3 });
    const silent: ScenarioFigures = {
      ...figures(0.2, 0.2, 0.05),
      atReceiverProcess: spread(Number.NaN, 0),
      ceilings: {
        sameWork: { atReceiverProcess: spread(Number.NaN, 0), mainThreadWaitingForCorePercent: null },
        bare: { atReceiverProcess: spread(0.05), mainThreadWaitingForCorePercent: null },
      },
    };
    expect(latencyVerdict(goal, silent)).toMatchObject({ pass: false, sameWorkCeilingPasses: false, ceilingPasses: true });
  });

  it('has no ceiling figures where none ran (storage-osc)', () => {
    const { ceilings: _none, ...alone } = figures(0.4, 0, 0);
    expect(latencyVerdict(goal, alone)).toMatchObject({ pass: true, ceilingPasses: null, sameWorkCeilingPasses: null, againstSameWork: null });
  });
});
