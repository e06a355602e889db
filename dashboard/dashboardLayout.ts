/**
 * Where the pipeline graph's boxes go, without the DOM: each node in the layer of its
 * topological depth (the longest path from a node nothing feeds), layers left to right (or top
 * to bottom on a narrow screen), nodes within a layer in a stable order.
 */

export interface LayoutInput {
  readonly nodes: readonly { readonly id: string; readonly kind: string }[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

export type Orientation = 'horizontal' | 'vertical';

export interface NodeBox {
  readonly id: string;
  readonly depth: number;
  /** Top-left corner. */
  readonly x: number;
  readonly y: number;
}

export interface Layout {
  readonly boxes: ReadonlyMap<string, NodeBox>;
  readonly width: number;
  readonly height: number;
  readonly nodeWidth: number;
  readonly nodeHeight: number;
}

export const NODE_WIDTH = 150;
export const NODE_HEIGHT = 42;
/** Space between layers (room for an edge's count) and between nodes of a layer. */
const LAYER_GAP = { horizontal: 72, vertical: 54 } as const;
const NODE_GAP = { horizontal: 18, vertical: 14 } as const;
const MARGIN = 8;

const KIND_ORDER: Readonly<Record<string, number>> = { source: 0, operator: 1, sink: 2 };

/**
 * Depth of every node: 0 for nodes without inputs, else one more than the deepest input.
 * Edges to unknown nodes are ignored; a cycle (which validation forbids) cannot loop forever.
 */
export function depths(input: LayoutInput): Map<string, number> {
  const ids = new Set(input.nodes.map((n) => n.id));
  const inputs = new Map<string, string[]>();
  for (const e of input.edges) {
    if (!ids.has(e.from) || !ids.has(e.to) || e.from === e.to) continue;
    const list = inputs.get(e.to) ?? [];
    list.push(e.from);
    inputs.set(e.to, list);
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let d = 0;
    for (const from of inputs.get(id) ?? []) d = Math.max(d, visit(from) + 1);
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const n of input.nodes) visit(n.id);
  return depth;
}

/** Lays the graph out in layers by depth. */
export function layoutGraph(input: LayoutInput, orientation: Orientation): Layout {
  const depth = depths(input);
  const layers: { id: string; kind: string }[][] = [];
  for (const n of input.nodes) {
    const d = depth.get(n.id) ?? 0;
    const layer = layers[d] ?? [];
    layer.push(n);
    layers[d] = layer;
  }
  // Within a layer: sources, operators, sinks, then by id, so a redraw never reshuffles.
  for (const layer of layers) {
    layer?.sort((a, b) => (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9) || a.id.localeCompare(b.id));
  }
  const layerGap = LAYER_GAP[orientation];
  const nodeGap = NODE_GAP[orientation];
  const along = orientation === 'horizontal' ? NODE_WIDTH + layerGap : NODE_HEIGHT + layerGap;
  const across = orientation === 'horizontal' ? NODE_HEIGHT + nodeGap : NODE_WIDTH + nodeGap;
  const widest = Math.max(1, ...layers.map((l) => l?.length ?? 0));
  const boxes = new Map<string, NodeBox>();
  layers.forEach((layer, d) => {
    if (!layer) return;
    // Centre each layer across the widest one.
    const offset = ((widest - layer.length) * across) / 2;
    layer.forEach((n, i) => {
      const a = MARGIN + d * along;
      const c = MARGIN + offset + i * across;
      boxes.set(n.id, orientation === 'horizontal' ? { id: n.id, depth: d, x: a, y: c } : { id: n.id, depth: d, x: c, y: a });
    });
  });
  const count = Math.max(1, layers.length);
  const alongSize = MARGIN * 2 + count * along - layerGap;
  const acrossSize = MARGIN * 2 + widest * across - nodeGap;
  return {
    boxes,
    width: orientation === 'horizontal' ? alongSize : acrossSize,
    height: orientation === 'horizontal' ? acrossSize : alongSize,
    nodeWidth: NODE_WIDTH,
    nodeHeight: NODE_HEIGHT,
  };
}

/** A short count for an edge label: 950, 1.2k, 34k, 1.5M. */
export function shortCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs < 1000) return String(Math.round(n));
  if (abs < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (abs < 1_000_000) return `${Math.round(n / 1000)}k`;
  if (abs < 10_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${Math.round(n / 1_000_000)}M`;
}

/** The status colour class of a node: ok (green), warn (amber), bad (red), off (grey). */
export function statusClass(status: string): 'ok' | 'warn' | 'bad' | 'off' {
  switch (status) {
    case 'live':
    case 'running':
      return 'ok';
    case 'failed':
      return 'bad';
    case 'disabled':
    case 'stopped':
    case 'stopping':
      return 'off';
    default:
      return 'warn';
  }
}
