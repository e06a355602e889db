/**
 * Which sinks each source feeds, through any operators: the paths backpressure travels back
 * along (docs/storage.md, "Backpressure").
 */
import type { GraphShape } from '../../core/pipelineView.js';

/**
 * For every enabled source, the enabled sinks reachable from it along enabled nodes (a
 * disabled operator passes nothing on). Any port counts: a sink fed by one port of a `route`
 * is fed by the source.
 */
export function sinksFedBySource(graph: GraphShape): Map<string, ReadonlySet<string>> {
  const consumers = new Map<string, string[]>();
  for (const node of graph.nodes.values()) {
    if (!node.enabled) continue;
    for (const ref of node.inputs) {
      const list = consumers.get(ref.node);
      if (list) list.push(node.id);
      else consumers.set(ref.node, [node.id]);
    }
  }
  const fed = new Map<string, ReadonlySet<string>>();
  for (const node of graph.nodes.values()) {
    if (node.kind !== 'source' || !node.enabled) continue;
    const seen = new Set<string>([node.id]);
    const sinks = new Set<string>();
    const stack = [node.id];
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      for (const next of consumers.get(id) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        if (graph.nodes.get(next)?.kind === 'sink') sinks.add(next);
        else stack.push(next);
      }
    }
    fed.set(node.id, sinks);
  }
  return fed;
}
