/**
 * Where the pipeline graph's boxes, edges and edge labels go, without the DOM: a layered
 * layout by dagre (@dagrejs/dagre), left to right on a wide screen and top to bottom on a
 * narrow one. Each edge label is laid out as a box of its own, so labels never overprint
 * each other or a node; its text names the port (`cv`) and its count.
 */
import dagre from '@dagrejs/dagre';

export interface LayoutInput {
  readonly nodes: readonly { readonly id: string; readonly kind: string }[];
  readonly edges: readonly LayoutEdge[];
}

export interface LayoutEdge {
  readonly from: string;
  /** The upstream port; '' for the default output. */
  readonly port?: string;
  readonly to: string;
  /** Drawn without a label (a tap reading everything). */
  readonly quiet?: boolean;
}

export type Orientation = 'horizontal' | 'vertical';

export interface NodeBox {
  readonly id: string;
  /** Top-left corner. */
  readonly x: number;
  readonly y: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface EdgeRoute {
  readonly from: string;
  readonly port: string;
  readonly to: string;
  /** Where the line runs, first to last (ends at the downstream box). */
  readonly points: readonly Point[];
  /** Centre of the label box (absent for a quiet edge). */
  readonly label?: Point;
}

export interface Layout {
  readonly boxes: ReadonlyMap<string, NodeBox>;
  /** By {@link edgeKey}. */
  readonly edges: ReadonlyMap<string, EdgeRoute>;
  readonly width: number;
  readonly height: number;
  readonly nodeWidth: number;
  readonly nodeHeight: number;
}

export const NODE_WIDTH = 140;
export const NODE_HEIGHT = 42;
/** Edge label text: 11px, at most this wide per character, one line. */
export const LABEL_CHAR_PX = 7;
export const LABEL_HEIGHT = 14;
/** Room kept for the count in a label (`999.9k`), so a growing count never overprints. */
const COUNT_CHARS = 6;
const SPACING = {
  horizontal: { rankdir: 'LR', ranksep: 28, nodesep: 14, edgesep: 8 },
  vertical: { rankdir: 'TB', ranksep: 30, nodesep: 14, edgesep: 8 },
} as const;
const MARGIN = 8;

const KIND_ORDER: Readonly<Record<string, number>> = { source: 0, operator: 1, sink: 2 };

/** One edge's identity: a node may feed another from two ports. */
export function edgeKey(e: { readonly from: string; readonly port?: string; readonly to: string }): string {
  return `${e.from}\u0000${e.port ?? ''}\u0000${e.to}`;
}

/** An edge label's text: the port name (when not the default) and the count. */
export function edgeLabel(port: string, count: string): string {
  return port === '' ? count : `${port} ${count}`;
}

/** The label box reserved for a port: its name and the widest count. */
export function labelWidth(port: string): number {
  return (port === '' ? COUNT_CHARS : port.length + 1 + COUNT_CHARS) * LABEL_CHAR_PX;
}

/**
 * Lays the graph out with dagre. Nodes and edges are added in a fixed order (sources,
 * operators, sinks, then by id) so the same graph always gets the same picture. Edges to
 * unknown nodes and self-loops are left out.
 */
export function layoutGraph(input: LayoutInput, orientation: Orientation): Layout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ ...SPACING[orientation], marginx: MARGIN, marginy: MARGIN });
  const nodes = [...input.nodes].sort(
    (a, b) => (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9) || a.id.localeCompare(b.id),
  );
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const edges = input.edges
    .filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to)
    .sort((a, b) => edgeKey(a).localeCompare(edgeKey(b)));
  for (const e of edges) {
    const port = e.port ?? '';
    const label = e.quiet ? { width: 0, height: 0 } : { width: labelWidth(port), height: LABEL_HEIGHT, labelpos: 'c' as const };
    g.setEdge(e.from, e.to, { ...label, minlen: 1 }, edgeKey(e));
  }
  dagre.layout(g);
  const boxes = new Map<string, NodeBox>();
  for (const n of nodes) {
    const at = g.node(n.id);
    boxes.set(n.id, { id: n.id, x: (at.x ?? 0) - NODE_WIDTH / 2, y: (at.y ?? 0) - NODE_HEIGHT / 2 });
  }
  const routes = new Map<string, EdgeRoute>();
  for (const e of edges) {
    const key = edgeKey(e);
    const at = g.edge(e.from, e.to, key);
    if (!at) continue;
    const points = (at.points ?? []).map((p: Point) => ({ x: p.x, y: p.y }));
    routes.set(key, {
      from: e.from,
      port: e.port ?? '',
      to: e.to,
      points,
      ...(e.quiet || at.x === undefined || at.y === undefined ? {} : { label: { x: at.x, y: at.y } }),
    });
  }
  const size = g.graph();
  return {
    boxes,
    edges: routes,
    width: Math.max(1, Math.ceil(size.width ?? 0)),
    height: Math.max(1, Math.ceil(size.height ?? 0)),
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

/** What a node card needs of a pausable source's backpressure (core/metrics.ts FlowSnapshot). */
export interface FlowView {
  readonly paused: boolean;
  readonly pausedBy: readonly string[];
  readonly pausedMs: number;
}

/**
 * The second line of a node card: `type · status`, or for a source held back by backpressure
 * `type · paused by history`, so a streamer sees why the demo slowed.
 */
export function nodeDetail(type: string, status: string, flow?: FlowView): string {
  if (flow?.paused) return `${type} · paused by ${flow.pausedBy.join(', ')}`;
  return `${type} · ${status}`;
}

/** The tooltip line of a pausable source: its paused time; '' for other nodes. */
export function flowLine(flow?: FlowView): string {
  if (flow === undefined) return '';
  const seconds = (flow.pausedMs / 1000).toFixed(1);
  return flow.paused
    ? `\npaused by ${flow.pausedBy.join(', ')} (backpressure); ${seconds} s paused in all`
    : `\n${seconds} s paused by backpressure in all`;
}
