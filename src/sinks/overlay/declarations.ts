/**
 * What the overlay needs to know of the variables it shows, read from the nodes upstream of it
 * that declare variables (the `variables` fact of their definition, e.g. `control`'s, carried
 * on the pipeline graph): each variable's declared range, input kind (`note` is shown as a
 * note name), default and volts per octave.
 */
import type { VariableDeclaration } from '../../core/variables.js';
import type { WireDeclaration } from './wire.js';

/**
 * The part of the pipeline graph the walk reads. The runtime's `PipelineGraph` fits it; a sink
 * does not import the runtime (pipelines/ sits above the components).
 */
export interface UpstreamGraph {
  readonly nodes: ReadonlyMap<
    string,
    {
      readonly inputs: readonly { readonly node: string }[];
      readonly variables?: readonly VariableDeclaration[];
    }
  >;
}

/**
 * The declarations of every variable a node upstream of `sink` declares, by name (the nearest
 * declaring node wins a name declared twice). The walk stops at declaring nodes: what lies
 * above them reaches the overlay only through them. Empty when the sink is fed by no such
 * node, or the graph is not known.
 */
export function upstreamDeclarations(graph: UpstreamGraph | undefined, sink: string): WireDeclaration[] {
  if (!graph) return [];
  const out = new Map<string, WireDeclaration>();
  const seen = new Set<string>([sink]);
  let frontier = [...(graph.nodes.get(sink)?.inputs ?? [])].map((ref) => ref.node);
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const id of frontier) {
      if (seen.has(id)) continue;
      seen.add(id);
      const node = graph.nodes.get(id);
      if (!node) continue;
      if (node.variables) {
        for (const v of node.variables) if (!out.has(v.name)) out.set(v.name, wireDeclaration(v));
        continue;
      }
      for (const ref of node.inputs) next.push(ref.node);
    }
    frontier = next;
  }
  return [...out.values()].sort((a, b) => a.n.localeCompare(b.n));
}

function wireDeclaration(v: VariableDeclaration): WireDeclaration {
  return { n: v.name, r: [v.range[0], v.range[1]], k: v.input, d: v.default, o: v.voltsPerOctave };
}
