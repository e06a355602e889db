/**
 * Plans how operators are compiled: a run of single-output operators, each feeding the next,
 * becomes one fused RxJS pipe (ending in a sink when a sink is the last one's consumer).
 * Fusing skips the port hop between such nodes, which is most of the engine's per-event cost;
 * the nodes still count their own metrics (src/pipelines/link.ts).
 *
 * At a fan-out the first consumer in graph order that reads only that port is fused, and the
 * others read the port as before: the hop hands each event to them too (`emitAside`). So a
 * side consumer such as `sample_metrics` on the deduplicated chat, or the history sink, does not
 * cost the main path its fusing.
 */
import type { GraphNode, PipelineGraph } from '../core/pipelineGraph.js';

export interface Chain {
  /** The operators, in order; the first one reads from ports. */
  readonly operators: readonly GraphNode[];
  /** A sink fused onto the end, or undefined when the last operator emits to its ports. */
  readonly sink: GraphNode | undefined;
}

export interface ChainPlan {
  readonly chains: readonly Chain[];
  /** Sinks that read from ports (several inputs, named ports, sources, shared outputs). */
  readonly sinks: readonly GraphNode[];
}

const portKey = (node: string, port: string) => `${node}\u0000${port}`;

export function planChains(graph: PipelineGraph, fuse = true): ChainPlan {
  const enabled = graph.order.map((id) => graph.nodes.get(id) as GraphNode).filter((n) => n.enabled);
  const consumers = new Map<string, GraphNode[]>();
  for (const node of enabled) {
    for (const ref of node.inputs) {
      const key = portKey(ref.node, ref.port);
      consumers.set(key, [...(consumers.get(key) ?? []), node]);
    }
  }
  const isSingleOutputOperator = (node: GraphNode): boolean =>
    node.enabled && node.definition.kind === 'operator' && node.definition.ports === undefined;
  /** The node fused after `node`, if any. */
  const successor = (node: GraphNode): GraphNode | undefined => {
    if (!fuse || !isSingleOutputOperator(node)) return undefined;
    const next = consumers.get(portKey(node.id, '')) ?? [];
    return next.find((candidate) => candidate.inputs.length === 1 && candidate.kind !== 'source');
  };
  const fusedAway = new Set<string>();
  for (const node of enabled) {
    const next = successor(node);
    if (next) fusedAway.add(next.id);
  }

  const chains: Chain[] = [];
  for (const head of enabled) {
    if (head.kind !== 'operator' || fusedAway.has(head.id)) continue;
    const operators = [head];
    let sink: GraphNode | undefined;
    let last = head;
    for (let next = successor(last); next; next = successor(last)) {
      if (next.kind === 'sink') {
        sink = next;
        break;
      }
      operators.push(next);
      last = next;
    }
    chains.push({ operators, sink });
  }
  const fusedSinks = new Set(chains.map((c) => c.sink?.id).filter((id) => id !== undefined));
  const sinks = enabled.filter((n) => n.kind === 'sink' && !fusedSinks.has(n.id));
  return { chains, sinks };
}
