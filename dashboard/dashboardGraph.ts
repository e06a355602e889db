/**
 * The pipeline graph as SVG, laid out by dagre (see dashboardLayout.ts): a status colour per
 * node, and each edge labelled with its port and the events sent over it so far (`cv 1.2k`;
 * `cmds.cv → fair` and the rate in the tooltip). A new graph is laid out again; a graph with
 * the same shape only has its numbers and colours updated. The SVG keeps its natural size and
 * the panel scrolls, so text stays readable on a phone, where the layers run top to bottom.
 */
import type { GraphEdgeView, GraphNodeView, GraphView } from '../src/server/dashboardWire.js';
import {
  type EdgeRoute,
  edgeKey,
  edgeLabel,
  flowLine,
  LABEL_HEIGHT,
  type Layout,
  labelWidth,
  layoutGraph,
  nodeDetail,
  type Orientation,
  type Point,
  shortCount,
  statusClass,
} from './dashboardLayout.js';
import { diskLines } from './dashboardDisk.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Below this width the layers run top to bottom. */
const NARROW_PX = 640;
/**
 * A graph a little wider than the panel is scaled down to fit, at most this far (labels stay
 * at least ~9px); a wider one keeps its size and the panel scrolls.
 */
const MIN_SCALE = 0.8;
const ID_CHARS = 18;
const DETAIL_CHARS = 22;
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
  readonly port: string;
  readonly label: SVGTextElement | undefined;
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
  #stale = false;
  #size: { readonly width: number; readonly height: number } | undefined;
  /** Layouts of the current shape, by orientation (a resize must not lay it out again). */
  readonly #layouts = new Map<Orientation, Layout>();
  /** Nodes a reload added or changed, highlighted until their timer ends. */
  readonly #highlighted = new Map<string, number>();
  #onSelect: ((node: string, ports: readonly string[]) => void) | undefined;

  constructor(host: HTMLElement) {
    this.#host = host;
  }

  /**
   * Calls `select` with a node's id and the ports its edges leave from ('' the default) when
   * it is clicked (or tapped, or Enter on it).
   */
  onSelect(select: (node: string, ports: readonly string[]) => void): void {
    this.#onSelect = select;
  }

  /** Highlights `nodes` (`data-highlight` and the `fresh` class) for `ms`. */
  highlight(nodes: readonly string[], ms: number): void {
    for (const id of nodes) {
      clearTimeout(this.#highlighted.get(id));
      this.#highlighted.set(
        id,
        window.setTimeout(() => {
          this.#highlighted.delete(id);
          if (this.#graph) this.#update(this.#graph);
        }, ms),
      );
    }
    if (this.#graph) this.#update(this.#graph);
  }

  /** Draws or updates the graph. */
  show(graph: GraphView): void {
    this.#graph = graph;
    const shape = shapeOf(graph);
    if (shape !== this.#shape) this.#layouts.clear();
    const orientation = this.#wantedOrientation(graph);
    if (shape !== this.#shape || orientation !== this.#orientation) this.#draw(graph, orientation, shape);
    this.#update(graph);
  }

  /** Greys every node out while the instance does not answer (`data-stale` on the SVG). */
  stale(stale: boolean): void {
    this.#stale = stale;
    const root = this.#host.querySelector('svg');
    root?.classList.toggle('stale', stale);
    if (root) root.dataset.stale = String(stale);
  }

  /** Redraws when another orientation suits the new width; else rescales. */
  resize(): void {
    if (this.#graph && this.#wantedOrientation(this.#graph) !== this.#orientation) this.show(this.#graph);
    else this.#fit();
  }

  /** Natural size, or scaled down to the panel's width when that keeps the text readable. */
  #fit(): void {
    const root = this.#host.querySelector('svg');
    const size = this.#size;
    if (!root || !size) return;
    const available = this.#host.clientWidth;
    const scale = available > 0 && available < size.width && available / size.width >= MIN_SCALE ? available / size.width : 1;
    root.setAttribute('width', String(Math.floor(size.width * scale)));
    root.setAttribute('height', String(Math.floor(size.height * scale)));
  }

  /**
   * Top to bottom on a narrow screen. On a wide one, left to right when that fits (scaled by
   * at least {@link MIN_SCALE}); else whichever needs the smaller scale-down, as a long chain of
   * nodes with many sinks often fits better top to bottom.
   */
  #wantedOrientation(graph: GraphView): Orientation {
    const width = this.#host.clientWidth;
    if (width <= 0) return this.#orientation;
    if (width < NARROW_PX) return 'vertical';
    const wide = this.#layout(graph, 'horizontal');
    if (width / wide.width >= MIN_SCALE) return 'horizontal';
    const tall = this.#layout(graph, 'vertical');
    return tall.width < wide.width ? 'vertical' : 'horizontal';
  }

  #layout(graph: GraphView, orientation: Orientation): Layout {
    let layout = this.#layouts.get(orientation);
    if (!layout) {
      const taps = new Set(graph.nodes.filter((n) => TAP_TYPES.has(n.type)).map((n) => n.id));
      layout = layoutGraph({ nodes: graph.nodes, edges: graph.edges.map((e) => ({ ...e, quiet: taps.has(e.to) })) }, orientation);
      this.#layouts.set(orientation, layout);
    }
    return layout;
  }

  #draw(graph: GraphView, orientation: Orientation, shape: string): void {
    this.#shape = shape;
    this.#orientation = orientation;
    this.#nodes.clear();
    this.#edges.clear();
    const taps = new Set(graph.nodes.filter((n) => TAP_TYPES.has(n.type)).map((n) => n.id));
    const layout = this.#layout(graph, orientation);
    const root = svg('svg', {
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      role: 'img',
      'aria-label': 'Pipeline graph',
      height: layout.height,
      class: `graph ${orientation}${this.#stale ? ' stale' : ''}`,
    });
    root.dataset.stale = String(this.#stale);
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
    for (const edge of graph.edges) {
      const parts = this.#edge(edge, layout, taps.has(edge.to));
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
    this.#size = { width: layout.width, height: layout.height };
    this.#fit();
  }

  #node(node: GraphNodeView, layout: Layout): NodeParts | undefined {
    const box = layout.boxes.get(node.id);
    if (!box) return undefined;
    const group = svg('g', { class: `node kind-${node.kind}`, transform: `translate(${box.x},${box.y})` });
    group.dataset.node = node.id;
    group.setAttribute('tabindex', '0');
    group.setAttribute('role', 'button');
    group.setAttribute('aria-label', `Tap ${node.id}`);
    const select = () => this.#onSelect?.(node.id, this.#portsOf(node.id));
    group.addEventListener('click', select);
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') select();
    });
    const title = svg('title');
    const rect = svg('rect', { width: layout.nodeWidth, height: layout.nodeHeight, rx: node.kind === 'operator' ? 6 : 14 });
    const name = svg('text', { x: 10, y: 17, class: 'name' });
    name.textContent = clip(node.id);
    const detail = svg('text', { x: 10, y: 33, class: 'detail' });
    group.append(title, rect, name, detail);
    return { group, detail, title };
  }

  #portsOf(node: string): string[] {
    const ports = new Set((this.#graph?.edges ?? []).filter((e) => e.from === node).map((e) => e.port));
    return ports.size === 0 ? [''] : [...ports].sort();
  }

  #edge(edge: GraphEdgeView, layout: Layout, tap: boolean): EdgeParts | undefined {
    const route = layout.edges.get(edgeKey(edge));
    if (!route || route.points.length < 2) return undefined;
    const group = svg('g', { class: tap ? 'edge tap' : 'edge' });
    group.dataset.from = edge.from;
    group.dataset.to = edge.to;
    group.dataset.port = edge.port;
    const title = svg('title');
    const path = svg('path', { d: pathOf(route), 'marker-end': 'url(#cf-arrow)' });
    group.append(title, path);
    let label: SVGTextElement | undefined;
    if (route.label) {
      // The label's box is the one dagre kept free for it; the text is centred in it.
      const w = labelWidth(edge.port);
      const bg = svg('rect', {
        x: route.label.x - w / 2,
        y: route.label.y - LABEL_HEIGHT / 2,
        width: w,
        height: LABEL_HEIGHT,
        rx: 3,
        class: 'label-bg',
      });
      label = svg('text', { x: route.label.x, y: route.label.y, class: 'count', 'text-anchor': 'middle', 'dominant-baseline': 'central' });
      group.append(bg, label);
    }
    return { group, port: edge.port, label, title };
  }

  #update(graph: GraphView): void {
    const now = performance.now();
    for (const node of graph.nodes) {
      const parts = this.#nodes.get(node.id);
      if (!parts) continue;
      const cls = statusClass(node.status);
      const fresh = this.#highlighted.has(node.id);
      parts.group.setAttribute('class', `node kind-${node.kind} st-${cls}${fresh ? ' fresh' : ''}`);
      parts.group.dataset.highlight = String(fresh);
      parts.group.dataset.status = node.status;
      const dropped = Object.values(node.metrics?.dropped ?? {}).reduce((sum, d) => sum + d.count, 0);
      // A sink with events waiting on disk says so instead of its status (its colour stays).
      const disk = diskLines(node.metrics?.gauges);
      parts.group.dataset.disk = disk?.card ?? '';
      parts.detail.textContent = clip(
        disk ? `${node.type} · ${disk.card}` : nodeDetail(node.type, node.status, node.metrics?.flow),
        DETAIL_CHARS,
      );
      parts.title.textContent =
        `${node.id} (${node.kind} ${node.type}): ${node.status}\n` +
        `in ${node.metrics?.eventsIn ?? 0}, dropped ${dropped}, errors ${node.metrics?.errors ?? 0}` +
        flowLine(node.metrics?.flow) +
        (disk ? `\n${disk.tooltip}` : '') +
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
      if (parts.label) parts.label.textContent = edgeLabel(parts.port, shortCount(count));
      parts.group.dataset.count = String(count);
      parts.group.classList.toggle('idle', count === 0);
      const port = edge.port === '' ? '' : `.${edge.port}`;
      parts.title.textContent = `${edge.from}${port} → ${edge.to}: ${count} events${rate === undefined ? '' : `, ${rate.toFixed(1)}/s`}`;
    }
  }
}

/** A smooth line through dagre's points: straight ends, quadratic bends through the midpoints. */
function pathOf(route: EdgeRoute): string {
  const pts: readonly Point[] = route.points;
  const first = pts[0] as Point;
  const last = pts[pts.length - 1] as Point;
  let d = `M${first.x},${first.y}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const p = pts[i] as Point;
    const next = pts[i + 1] as Point;
    const mx = i === pts.length - 2 ? next.x : (p.x + next.x) / 2;
    const my = i === pts.length - 2 ? next.y : (p.y + next.y) / 2;
    d += ` Q${p.x},${p.y} ${mx},${my}`;
  }
  if (pts.length === 2) d += ` L${last.x},${last.y}`;
  return d;
}
