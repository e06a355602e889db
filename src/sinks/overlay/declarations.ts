/**
 * What the overlay needs to know of the variables it shows, read from the `control` nodes
 * upstream of it in the pipeline graph: each variable's declared range, input kind (`note`
 * is shown as a note name), default and volts per octave. A sink never imports an operator,
 * so the parsed control config is read through the few fields used here.
 */
import { z } from 'zod';
import type { WireDeclaration } from './wire.js';

/**
 * The part of the pipeline graph the walk reads. The runtime's `PipelineGraph` fits it; a sink
 * does not import the runtime (pipelines/ sits above the components).
 */
export interface UpstreamGraph {
  readonly nodes: ReadonlyMap<
    string,
    {
      readonly type: string;
      readonly config: Readonly<Record<string, unknown>>;
      readonly inputs: readonly { readonly node: string }[];
    }
  >;
}

/** The fields of one parsed `control` variable the overlay reads (the rest are ignored). */
const DeclaredVariable = z.object({
  range: z.tuple([z.number(), z.number()]),
  default: z.number().optional(),
  input: z.enum(['normalized', 'raw', 'note']),
  volts_per_octave: z.number().positive(),
});
const ControlVariables = z.object({ variables: z.record(z.string(), z.unknown()) });

/**
 * The declarations of every variable a `control` node upstream of `sink` declares, by name
 * (the nearest control node wins a name declared twice). The walk stops at control nodes:
 * what lies above them reaches the overlay only through them. Empty when the sink is fed by
 * no control node, or the graph is not known.
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
      if (node.type === 'control') {
        for (const d of declarationsOf(node.config)) if (!out.has(d.n)) out.set(d.n, d);
        continue;
      }
      for (const ref of node.inputs) next.push(ref.node);
    }
    frontier = next;
  }
  return [...out.values()].sort((a, b) => a.n.localeCompare(b.n));
}

/** The declarations in one parsed `control` config. */
function declarationsOf(config: Readonly<Record<string, unknown>>): WireDeclaration[] {
  const parsed = ControlVariables.safeParse(config);
  if (!parsed.success) return [];
  const out: WireDeclaration[] = [];
  for (const [name, raw] of Object.entries(parsed.data.variables)) {
    const v = DeclaredVariable.safeParse(raw);
    if (!v.success) continue;
    const [lo, hi] = v.data.range;
    // As `control` does: left out, the default is 0 when 0 is in range, else the nearer end.
    const d = v.data.default ?? Math.min(Math.max(0, lo), hi);
    out.push({ n: name, r: [lo, hi], k: v.data.input, d, o: v.data.volts_per_octave });
  }
  return out;
}
