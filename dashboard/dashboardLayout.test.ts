import { describe, expect, it } from 'vitest';
import {
  edgeKey,
  edgeLabel,
  flowLine,
  LABEL_HEIGHT,
  labelWidth,
  layoutGraph,
  NODE_HEIGHT,
  NODE_WIDTH,
  nodeDetail,
  shortCount,
  statusClass,
} from './dashboardLayout.js';

/** The default pipeline's shape: one node feeds another from two ports, a tap reads a lot. */
const GRAPH = {
  nodes: [
    { id: 'show', kind: 'sink' },
    { id: 'synth', kind: 'sink' },
    { id: 'overlay', kind: 'sink' },
    { id: 'cv', kind: 'operator' },
    { id: 'demo', kind: 'source' },
    { id: 'twitch', kind: 'source' },
    { id: 'clean', kind: 'operator' },
    { id: 'cmds', kind: 'operator' },
    { id: 'fair', kind: 'operator' },
    { id: 'crowd', kind: 'operator' },
    { id: 'stats', kind: 'operator' },
    { id: 'history', kind: 'sink' },
  ],
  edges: [
    { from: 'demo', port: '', to: 'clean' },
    { from: 'twitch', port: '', to: 'clean' },
    { from: 'clean', port: '', to: 'cmds' },
    { from: 'cmds', port: 'cv', to: 'fair' },
    { from: 'cmds', port: 'pitch', to: 'fair' },
    { from: 'cmds', port: 'vote', to: 'crowd' },
    { from: 'fair', port: '', to: 'cv' },
    { from: 'crowd', port: '', to: 'cv' },
    { from: 'cv', port: '', to: 'show' },
    { from: 'cv', port: '', to: 'synth' },
    { from: 'cv', port: '', to: 'overlay' },
    { from: 'cv', port: '', to: 'history' },
    { from: 'cmds', port: '_invalid', to: 'history' },
    { from: 'clean', port: '', to: 'history' },
    { from: 'clean', port: '', to: 'stats', quiet: true },
    { from: 'cmds', port: '', to: 'stats', quiet: true },
  ],
};

interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}
const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('layoutGraph', () => {
  for (const orientation of ['horizontal', 'vertical'] as const) {
    it(`gives every edge label (${orientation}) a box that overlaps no other label and no node`, () => {
      const layout = layoutGraph(GRAPH, orientation);
      const labels: Rect[] = [];
      for (const e of GRAPH.edges) {
        const route = layout.edges.get(edgeKey(e));
        expect(route, edgeKey(e)).toBeDefined();
        if (e.quiet) {
          expect(route?.label).toBeUndefined();
          continue;
        }
        const at = route?.label as { x: number; y: number };
        const w = labelWidth(e.port);
        labels.push({ x: at.x - w / 2, y: at.y - LABEL_HEIGHT / 2, w, h: LABEL_HEIGHT });
      }
      const nodes = [...layout.boxes.values()].map((b) => ({ x: b.x, y: b.y, w: NODE_WIDTH, h: NODE_HEIGHT }));
      for (let i = 0; i < labels.length; i++) {
        for (let j = i + 1; j < labels.length; j++) expect(overlaps(labels[i] as Rect, labels[j] as Rect)).toBe(false);
        for (const n of nodes) expect(overlaps(labels[i] as Rect, n)).toBe(false);
      }
      for (const box of layout.boxes.values()) {
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + NODE_WIDTH).toBeLessThanOrEqual(layout.width);
        expect(box.y + NODE_HEIGHT).toBeLessThanOrEqual(layout.height);
      }
    });
  }

  it('runs left to right on a wide screen and top to bottom on a narrow one, the same every time', () => {
    const wide = layoutGraph(GRAPH, 'horizontal');
    const narrow = layoutGraph(GRAPH, 'vertical');
    const at = (layout: typeof wide, id: string) => layout.boxes.get(id) as { x: number; y: number };
    expect(at(wide, 'clean').x).toBeGreaterThan(at(wide, 'demo').x);
    expect(at(wide, 'cv').x).toBeGreaterThan(at(wide, 'fair').x);
    expect(at(narrow, 'clean').y).toBeGreaterThan(at(narrow, 'demo').y);
    expect(at(narrow, 'cv').y).toBeGreaterThan(at(narrow, 'fair').y);
    const shuffled = { nodes: [...GRAPH.nodes].reverse(), edges: [...GRAPH.edges].reverse() };
    expect([...layoutGraph(shuffled, 'vertical').boxes.entries()].sort()).toEqual([...narrow.boxes.entries()].sort());
  });

  it('lays out an empty graph and leaves out edges to unknown nodes', () => {
    const layout = layoutGraph({ nodes: [{ id: 'a', kind: 'source' }], edges: [{ from: 'ghost', to: 'a' }, { from: 'a', to: 'a' }] }, 'horizontal');
    expect(layout.boxes.size).toBe(1);
    expect(layout.edges.size).toBe(0);
    expect(layoutGraph({ nodes: [], edges: [] }, 'horizontal').width).toBeGreaterThan(0);
  });
});

describe('edgeLabel', () => {
  it('names the port, and fits the widest count in the box kept for it', () => {
    expect(edgeLabel('cv', '1.2k')).toBe('cv 1.2k');
    expect(edgeLabel('', '17')).toBe('17');
    expect(labelWidth('cv')).toBeGreaterThan(labelWidth(''));
  });
});

describe('shortCount', () => {
  it('shortens large counts', () => {
    expect([0, 999, 1000, 1234, 56_789, 1_500_000, 25_000_000].map(shortCount)).toEqual([
      '0',
      '999',
      '1.0k',
      '1.2k',
      '57k',
      '1.5M',
      '25M',
    ]);
    expect(shortCount(Number.NaN)).toBe('–');
  });
});

describe('statusClass', () => {
  it('colours live/running green, waiting amber, failed red, off grey', () => {
    expect(['live', 'running', 'stale', 'reconnecting', 'connecting', 'starting', 'failed', 'disabled', 'stopped'].map(statusClass)).toEqual([
      'ok',
      'ok',
      'warn',
      'warn',
      'warn',
      'warn',
      'bad',
      'off',
      'off',
    ]);
  });
});

describe('node card: backpressure', () => {
  it('says which sink pauses a source, and how long it was paused', () => {
    const paused = { paused: true, pausedBy: ['history'], pausedMs: 2500 };
    expect(nodeDetail('simulate', 'live', paused)).toBe('simulate · paused by history');
    expect(flowLine(paused)).toBe('\npaused by history (backpressure); 2.5 s paused in all');
  });
  it('shows the status otherwise; other nodes get no flow line', () => {
    const running = { paused: false, pausedBy: [], pausedMs: 12_000 };
    expect(nodeDetail('simulate', 'live', running)).toBe('simulate · live');
    expect(nodeDetail('twitch', 'live')).toBe('twitch · live');
    expect(flowLine(running)).toBe('\n12.0 s paused by backpressure in all');
    expect(flowLine(undefined)).toBe('');
  });
});
