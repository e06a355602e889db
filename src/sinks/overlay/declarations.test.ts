import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../core/registry.js';
import { operatorComponents } from '../../operators/index.js';
import { buildGraph } from '../../pipelines/graph.js';
import type { PipelineGraph } from '../../core/pipelineGraph.js';
import { loadText } from '../../pipelines/load.js';
import { sourceComponents } from '../../sources/index.js';
import { sinkComponents } from '../index.js';
import { type UpstreamGraph, upstreamDeclarations } from './declarations.js';

function graphOf(yaml: string): PipelineGraph {
  const registry = buildRegistry(sourceComponents, operatorComponents, sinkComponents);
  const result = buildGraph(loadText(yaml, { file: 'p.yaml', env: {} }), registry);
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.graph;
}

const PIPELINE = `
version: 1
sources:
  demo: { type: simulate, rate: 1/s }
operators:
  cmds: { type: parse_command, inputs: [demo], commands: { cv: { args: [name, "value:number(0..1)"] } } }
  cv:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
      pitch: { range: [-2, 3], quantize: semitone, input: note }
      hz: { range: [20, 2000], input: raw, volts_per_octave: 2 }
  fx:
    type: control
    inputs: [cmds.cv]
    variables:
      cutoff: { range: [0, 10] }
      mix: { range: [0, 1], default: 0.25 }
sinks:
  overlay: { type: overlay, inputs: [cv] }
  both: { type: overlay, inputs: [cv, fx], path: /both }
  chat: { type: overlay, inputs: [demo], path: /chat }
`;

describe('upstreamDeclarations', () => {
  const graph = graphOf(PIPELINE);

  it('reads range, input kind, default and volts per octave from the control node upstream', () => {
    expect(upstreamDeclarations(graph, 'overlay')).toEqual([
      { n: 'cutoff', r: [0, 1], k: 'normalized', d: 0.5, o: 1 },
      { n: 'hz', r: [20, 2000], k: 'raw', d: 20, o: 2 },
      { n: 'pitch', r: [-2, 3], k: 'note', d: 0, o: 1 },
    ]);
  });

  it('merges several control nodes, the first input winning a name declared twice', () => {
    const names = upstreamDeclarations(graph, 'both').map((d) => [d.n, d.r]);
    expect(names).toEqual([
      ['cutoff', [0, 1]],
      ['hz', [20, 2000]],
      ['mix', [0, 1]],
      ['pitch', [-2, 3]],
    ]);
  });

  it('is empty without a control node upstream, or without a graph', () => {
    expect(upstreamDeclarations(graph, 'chat')).toEqual([]);
    expect(upstreamDeclarations(undefined, 'overlay')).toEqual([]);
  });

  it('reads the variables any upstream node declares, whatever its type, and stops there', () => {
    const grain = { name: 'grain', range: [0, 8], input: 'raw', default: 2, voltsPerOctave: 1 } as const;
    const hidden = { ...grain, name: 'hidden' };
    const custom: UpstreamGraph = {
      nodes: new Map<string, UpstreamGraph['nodes'] extends ReadonlyMap<string, infer N> ? N : never>([
        ['above', { inputs: [], variables: [hidden] }],
        ['sampler', { inputs: [{ node: 'above' }], variables: [grain] }],
        ['relay', { inputs: [{ node: 'sampler' }] }],
        ['view', { inputs: [{ node: 'relay' }] }],
      ]),
    };
    expect(upstreamDeclarations(custom, 'view')).toEqual([{ n: 'grain', r: [0, 8], k: 'raw', d: 2, o: 1 }]);
  });
});
