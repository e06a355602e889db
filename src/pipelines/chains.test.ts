import { describe, expect, it } from 'vitest';
import { testRegistry } from '../../test/support/testRegistry.js';
import { planChains } from './chains.js';
import { buildGraph } from './graph.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { loadText } from './load.js';

function graph(yaml: string): PipelineGraph {
  const result = buildGraph(loadText(`version: 1\n${yaml}`, { file: 't.yaml', env: {} }), testRegistry());
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.graph;
}

const shape = (plan: ReturnType<typeof planChains>) => ({
  chains: plan.chains.map((c) => [...c.operators.map((n) => n.id), ...(c.sink ? [`→${c.sink.id}`] : [])]),
  sinks: plan.sinks.map((n) => n.id),
});

describe('planChains', () => {
  it('fuses a straight line of single-output operators into one chain ending in its sink', () => {
    const g = graph(`
sources: { s: { type: gen, rate: 1/s } }
operators:
  a: { type: pass, inputs: [s] }
  b: { type: pass, inputs: [a] }
  c: { type: pass, inputs: [b] }
sinks: { out: { type: out, path: x, inputs: [c] } }
`);
    expect(shape(planChains(g))).toEqual({ chains: [['a', 'b', 'c', '→out']], sinks: [] });
  });

  it('fuses the first single-input consumer at a fan-out; stops at a fan-in, a ported operator and a disabled node', () => {
    const g = graph(`
sources: { s: { type: gen, rate: 1/s }, t: { type: gen, rate: 1/s } }
operators:
  a: { type: pass, inputs: [s] }
  fan1: { type: pass, inputs: [a] }
  fan2: { type: pass, inputs: [a] }
  join: { type: pass, inputs: [fan1, t] }
  lim: { type: limit, rate: 1/s, inputs: [join] }
  after: { type: pass, inputs: [lim] }
  off: { type: pass, inputs: [after], enabled: false }
sinks:
  o1: { type: out, path: x, inputs: [fan2] }
  o2: { type: out, path: x, inputs: [after] }
  o3: { type: out, path: x, inputs: [off] }
`);
    expect(shape(planChains(g))).toEqual({
      // `a` fuses with fan1, its first consumer; fan2 reads a's port (the hop hands it each event).
      // `after` fuses with o2: its other consumer is disabled and never subscribes.
      chains: [['a', 'fan1'], ['fan2', '→o1'], ['join', 'lim'], ['after', '→o2']],
      sinks: ['o3'],
    });
  });

  it('passes over a consumer that reads other ports too when choosing whom to fuse at a fan-out', () => {
    const g = graph(`
sources: { s: { type: gen, rate: 1/s }, t: { type: gen, rate: 1/s } }
operators:
  a: { type: pass, inputs: [s] }
  both: { type: pass, inputs: [a, t] }
  only: { type: pass, inputs: [a] }
sinks:
  o1: { type: out, path: x, inputs: [both] }
  o2: { type: out, path: x, inputs: [only] }
`);
    expect(shape(planChains(g))).toEqual({ chains: [['a', 'only', '→o2'], ['both', '→o1']], sinks: [] });
  });

  it('fuses nothing when asked not to', () => {
    const g = graph(`
sources: { s: { type: gen, rate: 1/s } }
operators: { a: { type: pass, inputs: [s] }, b: { type: pass, inputs: [a] } }
sinks: { out: { type: out, path: x, inputs: [b] } }
`);
    expect(shape(planChains(g, false))).toEqual({ chains: [['a'], ['b']], sinks: ['out'] });
  });
});
