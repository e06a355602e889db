/**
 * The pipeline graph as SVG: boxes in layers by topological depth, a status colour per node,
 * and each edge labelled with the events sent over it so far (its rate in the tooltip). A new
 * graph is laid out again; a graph with the same shape only has its numbers and colours updated.
 */
import type { GraphEdgeView, GraphNodeView, GraphView } from '../src/server/dashboardWire.js';
import { type Layout, layoutGraph, type Orientation, shortCount, statusClass } from './dashboardLayout.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Below this width the layers run top to bottom. */
const NARROW_PX = 640;
const ID_CHARS = 18;
const DETAIL_CHARS = 24;
/**
 * Nodes that read everything to measure it (`inputs: ["*"]`): their edges are drawn faint and
 * their counts are only in the tooltip, so they do not bury the chat's path.
 */
const TAP_TYPES: ReadonlySet<string> = new Set(['sample_metrics']);

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function edgeKey(e: GraphEdgeView): string {
  return `${e.from}\u0000${e.port}\u0000${e.to}`;
}

function shapeOf(graph: GraphView): string {
  const nodes = graph.nodes.map((n) => `${n.kind}:${n.id}`).sort();
  const edges = graph.edges.map(edgeKey).sort();
  return `${nodes.join('|')}#${edges.join('|')}`;
}

function clip(text: string, max = ID_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

interface EdgeParts {
  readonly group: SVGGElement;
  readonly label: SVGTextElement;
  readonly title: SVGTitleElement;
  last?: { count: number; at: number };
}

interface NodeParts {
  readonly group: SVGGElement;
  readonly detail: SVGTextElement;
  readonly title: SVGTitleElement;
}

export class GraphPanel {
  readonly #host: HTMLElement;
  readonly #nodes = new Map<string, NodeParts>();
  readonly #edges = new Map<string, EdgeParts>();
  #shape = '';
  #orientation: Orientation = 'horizontal';
  #graph: GraphView | undefined;

  constructor(host: HTMLElement) {
    this.#host = host;
  }

  /** Draws or updates the graph. */
  show(graph: GraphView): void {
    this.#graph = graph;
    const orientation = this.#wantedOrientation();
    const shape = shapeOf(graph);
    if (shape !== this.#shape || orientation !== this.#orientation) this.#draw(graph, orientation, shape);
    this.#update(graph);
  }

  /** Re-lays out when the width crosses between phone and desktop. */
  resize(): void {
    if (this.#graph && this.#wantedOrientation() !== this.#orientation) this.show(this.#graph);
  }

  #wantedOrientation(): Orientation {
    const width = this.#host.clientWidth;
    return width > 0 && width < NARROW_PX ? 'vertical' : 'horizontal';
  }

  #draw(graph: GraphView, orientation: Orientation, shape: string): void {
    this.#shape = shape;
    this.#orientation = orientation;
    this.#nodes.clear();
    this.#edges.clear();
    const layout = layoutGraph(graph, orientation);
    const root = svg('svg', {
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      role: 'img',
      'aria-label': 'Pipeline graph',
      class: `graph ${orientation}`,
    });
    const defs = svg('defs');
    const marker = svg('marker', {
      id: 'cf-arrow',
      viewBox: '0 0 8 8',
      refX: 7,
      refY: 4,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse',
    });
    marker.append(svg('path', { d: 'M0,0 L8,4 L0,8 z', class: 'arrow' }));
    defs.append(marker);
    root.append(defs);
    const edgeLayer = svg('g', { class: 'edges' });
    const nodeLayer = svg('g', { class: 'nodes' });
    root.append(edgeLayer, nodeLayer);
    const taps = new Set(graph.nodes.filter((n) => TAP_TYPES.has(n.type)).map((n) => n.id));
    for (const edge of graph.edges) {
      const parts = this.#edge(edge, layout, orientation, taps.has(edge.to));
      if (parts) {
        edgeLayer.append(parts.group);
        this.#edges.set(edgeKey(edge), parts);
      }
    }
    for (const node of graph.nodes) {
      const parts = this.#node(node, layout);
      if (parts) {
        nodeLayer.append(parts.group);
        this.#nodes.set(node.id, parts);
      }
    }
    this.#host.replaceChildren(root);
  }

  #node(node: GraphNodeView, layout: Layout): NodeParts | undefined {
    const box = layout.boxes.get(node.id);
    if (!box) return undefined;
    const group = svg('g', { class: `node kind-${node.kind}`, transform: `translate(${box.x},${box.y})` });
    group.dataset.node = node.id;
    const title = svg('title');
    const rect = svg('rect', { width: layout.nodeWidth, height: layout.nodeHeight, rx: node.kind === 'operator' ? 6 : 14 });
    const name = svg('text', { x: 10, y: 17, class: 'name' });
    name.textContent = clip(node.id);
    const detail = svg('text', { x: 10, y: 33, class: 'detail' });
    group.append(title, rect, name, detail);
    return { group, detail, title };
  }

  #edge(edge: GraphEdgeView, layout: Layout, orientation: Orientation, tap: boolean): EdgeParts | undefined {
    const a = layout.boxes.get(edge.from);
    const b = layout.boxes.get(edge.to);
    if (!a || !b) return undefined;
    const w = layout.nodeWidth;
    const h = layout.nodeHeight;
    let p0: [number, number];
    let p3: [number, number];
    let p1: [number, number];
    let p2: [number, number];
    if (orientation === 'horizontal') {
      p0 = [a.x + w, a.y + h / 2];
      p3 = [b.x - 2, b.y + h / 2];
      const mid = (p0[0] + p3[0]) / 2;
      p1 = [mid, p0[1]];
      p2 = [mid, p3[1]];
    } else {
      p0 = [a.x + w / 2, a.y + h];
      p3 = [b.x + w / 2, b.y - 2];
      const mid = (p0[1] + p3[1]) / 2;
      p1 = [p0[0], mid];
      p2 = [p3[0], mid];
    }
    const group = svg('g', { class: tap ? 'edge tap' : 'edge' });
    group.dataset.from = edge.from;
    group.dataset.to = edge.to;
    group.dataset.port = edge.port;
    const title = svg('title');
    const path = svg('path', {
      d: `M${p0[0]},${p0[1]} C${p1[0]},${p1[1]} ${p2[0]},${p2[1]} ${p3[0]},${p3[1]}`,
      'marker-end': 'url(#cf-arrow)',
    });
    // The label sits on the curve's midpoint: (p0 + 3·p1 + 3·p2 + p3) / 8.
    const lx = (p0[0] + 3 * p1[0] + 3 * p2[0] + p3[0]) / 8;
    const ly = (p0[1] + 3 * p1[1] + 3 * p2[1] + p3[1]) / 8;
    const label = svg('text', { x: lx, y: ly - 4, class: 'count', 'text-anchor': 'middle' });
    group.append(title, path, label);
    return { group, label, title };
  }

  #update(graph: GraphView): void {
    const now = performance.now();
    for (const node of graph.nodes) {
      const parts = this.#nodes.get(node.id);
      if (!parts) continue;
      const cls = statusClass(node.status);
      parts.group.setAttribute('class', `node kind-${node.kind} st-${cls}`);
      parts.group.dataset.status = node.status;
      const dropped = Object.values(node.metrics?.dropped ?? {}).reduce((sum, d) => sum + d.count, 0);
      parts.detail.textContent = clip(`${node.type} · ${node.status}`, DETAIL_CHARS);
      parts.title.textContent =
        `${node.id} (${node.kind} ${node.type}): ${node.status}\n` +
        `in ${node.metrics?.eventsIn ?? 0}, dropped ${dropped}, errors ${node.metrics?.errors ?? 0}` +
        (node.metrics?.lastError ? `\nlast error: ${node.metrics.lastError}` : '');
    }
    for (const edge of graph.edges) {
      const parts = this.#edges.get(edgeKey(edge));
      if (!parts) continue;
      const count = Number.isFinite(edge.count) ? edge.count : 0;
      let rate: number | undefined;
      if (parts.last && now > parts.last.at && count >= parts.last.count) {
        rate = ((count - parts.last.count) * 1000) / (now - parts.last.at);
      }
      parts.last = { count, at: now };
      parts.label.textContent = shortCount(count);
      parts.group.dataset.count = String(count);
      parts.group.classList.toggle('idle', count === 0);
      const port = edge.port === '' ? '' : `.${edge.port}`;
      parts.title.textContent = `${edge.from}${port} → ${edge.to}: ${count} events${rate === undefined ? '' : `, ${rate.toFixed(1)}/s`}`;
    }
  }
}
