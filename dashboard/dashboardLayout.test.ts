import { describe, expect, it } from 'vitest';
import { depths, layoutGraph, NODE_HEIGHT, NODE_WIDTH, shortCount, statusClass } from './dashboardLayout.js';

const GRAPH = {
  nodes: [
    { id: 'sink', kind: 'sink' },
    { id: 'cv', kind: 'operator' },
    { id: 'demo', kind: 'source' },
    { id: 'twitch', kind: 'source' },
    { id: 'clean', kind: 'operator' },
    { id: 'stats', kind: 'operator' },
  ],
  edges: [
    { from: 'demo', to: 'clean' },
    { from: 'twitch', to: 'clean' },
    { from: 'clean', to: 'cv' },
    { from: 'cv', to: 'sink' },
    // A tap on everything sits after the deepest node it reads.
    { from: 'demo', to: 'stats' },
    { from: 'cv', to: 'stats' },
  ],
};

describe('depths', () => {
  it('puts a node one layer after its deepest input', () => {
    expect(Object.fromEntries(depths(GRAPH))).toEqual({ sink: 3, cv: 2, demo: 0, twitch: 0, clean: 1, stats: 3 });
  });

  it('ignores edges to unknown nodes and self-loops, and ends on a cycle', () => {
    const d = depths({
      nodes: [
        { id: 'a', kind: 'operator' },
        { id: 'b', kind: 'operator' },
      ],
      edges: [
        { from: 'ghost', to: 'a' },
        { from: 'a', to: 'a' },
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
      ],
    });
    expect(d.size).toBe(2);
    expect(Math.max(...d.values())).toBeLessThanOrEqual(2);
  });
});

describe('layoutGraph', () => {
  it('lays layers left to right, sources first within a layer, and fits every box', () => {
    const layout = layoutGraph(GRAPH, 'horizontal');
    const at = (id: string) => layout.boxes.get(id)!;
    expect(at('demo').x).toBe(at('twitch').x);
    expect(at('demo').y).toBeLessThan(at('twitch').y);
    expect(at('clean').x).toBeGreaterThan(at('demo').x);
    expect(at('sink').x).toBe(at('stats').x);
    // Within a layer: operators before sinks.
    expect(at('stats').y).toBeLessThan(at('sink').y);
    for (const box of layout.boxes.values()) {
      expect(box.x + NODE_WIDTH).toBeLessThanOrEqual(layout.width);
      expect(box.y + NODE_HEIGHT).toBeLessThanOrEqual(layout.height);
    }
  });

  it('lays layers top to bottom when vertical, and is the same every time', () => {
    const layout = layoutGraph(GRAPH, 'vertical');
    const at = (id: string) => layout.boxes.get(id)!;
    expect(at('clean').y).toBeGreaterThan(at('demo').y);
    expect(at('demo').y).toBe(at('twitch').y);
    expect(layout.height).toBeGreaterThan(layout.width);
    const shuffled = { nodes: [...GRAPH.nodes].reverse(), edges: [...GRAPH.edges].reverse() };
    expect([...layoutGraph(shuffled, 'vertical').boxes.entries()].sort()).toEqual([...layout.boxes.entries()].sort());
  });

  it('lays out an empty graph', () => {
    const layout = layoutGraph({ nodes: [], edges: [] }, 'horizontal');
    expect(layout.boxes.size).toBe(0);
    expect(layout.width).toBeGreaterThan(0);
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
