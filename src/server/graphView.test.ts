import { describe, expect, it } from 'vitest';
import { NodeMetrics } from '../core/metrics.js';
import { buildGraph } from '../pipelines/graph.js';
import { loadText } from '../pipelines/load.js';
import { testRegistry } from '../../test/support/testRegistry.js';
import { graphView } from './graphView.js';

function graph(yaml: string) {
  const result = buildGraph(loadText(`version: 1\n${yaml}`, { file: 't.yaml', env: {} }), testRegistry());
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.graph;
}

describe('graphView', () => {
  it('lists nodes in order with their metrics, and edges with their port counts', () => {
    const g = graph(`sources:
  a: { type: gen, rate: 1/s }
operators:
  p: { type: pass, inputs: [a] }
sinks:
  s: { type: out, path: o.log, inputs: [p, a] }
`);
    const metrics = [...g.nodes.values()].map((n) => new NodeMetrics(n.id, n.kind, n.type));
    const [a, p] = metrics;
    if (!a || !p) throw new Error('nodes missing');
    a.out('').value = 7;
    p.out('').value = 3;
    p.status = 'running';
    const view = graphView(g, metrics.map((m) => m.snapshot()));
    expect(view.nodes.map((n) => [n.id, n.kind, n.type, n.status])).toEqual([
      ['a', 'source', 'gen', 'starting'],
      ['p', 'operator', 'pass', 'running'],
      ['s', 'sink', 'out', 'starting'],
    ]);
    expect(view.edges).toEqual([
      { from: 'a', port: '', to: 'p', count: 7 },
      { from: 'p', port: '', to: 's', count: 3 },
      { from: 'a', port: '', to: 's', count: 7 },
    ]);
  });

  it('leaves out nodes without a snapshot and their edges', () => {
    const g = graph(`sources:
  a: { type: gen, rate: 1/s }
sinks:
  s: { type: out, path: o.log, inputs: [a] }
`);
    const view = graphView(g, [new NodeMetrics('s', 'sink', 'out').snapshot()]);
    expect(view).toEqual({ nodes: [expect.objectContaining({ id: 's' })], edges: [] });
  });
});
