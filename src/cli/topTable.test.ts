import { describe, expect, it } from 'vitest';
import type { NodeMetricsSnapshot } from '../core/metrics.js';
import type { GraphView } from '../server/dashboardWire.js';
import { renderTop, sortRows, topRows } from './topTable.js';

const hist = (p99: number) => ({ count: p99 > 0 ? 1 : 0, sum: p99, p50: p99, p95: p99, p99, max: p99 });
function node(id: string, kind: 'source' | 'operator' | 'sink', m: Partial<NodeMetricsSnapshot>): GraphView['nodes'][number] {
  const metrics: NodeMetricsSnapshot = {
    id,
    kind,
    type: 't',
    status: 'running',
    eventsIn: 0,
    eventsOut: {},
    dropped: {},
    errors: 0,
    processingMs: hist(0),
    latencyMs: hist(0),
    bufferDepth: 0,
    ...m,
  };
  return { id, kind, type: 't', status: metrics.status, metrics };
}

describe('top table', () => {
  const before: GraphView = {
    nodes: [node('src', 'source', { eventsOut: { '': 100 } }), node('r', 'operator', { eventsIn: 100, eventsOut: { '': 50, x: 50 } })],
    edges: [],
  };
  const now: GraphView = {
    nodes: [
      node('src', 'source', { eventsOut: { '': 300 } }),
      node('r', 'operator', {
        eventsIn: 300,
        eventsOut: { '': 50, x: 250 },
        dropped: { no_consumer: { count: 7, intentional: true } },
        processingMs: hist(1.5),
      }),
      node('added', 'sink', { eventsIn: 40, bufferDepth: 3, bufferCapacity: 100 }),
    ],
    edges: [],
  };

  it('gives rates over the interval per port, drops by reason, p99 and buffer fill; a node added since counts from 0', () => {
    const rows = topRows(before, now, 2);
    expect(rows.map((r) => [r.id, r.inPerS, r.outPerS])).toEqual([
      ['src', 0, { '': 100 }],
      ['r', 100, { '': 0, x: 100 }],
      ['added', 20, {}],
    ]);
    expect(rows[1]?.drops).toEqual({ no_consumer: 7 });
    expect(rows[1]?.p99Ms).toBe(1.5);
    expect(rows[2]?.buffer).toEqual({ depth: 3, capacity: 100 });
  });

  it('sorts highest first', () => {
    const rows = topRows(before, now, 2);
    expect(sortRows(rows, 'in').map((r) => r.id)).toEqual(['r', 'added', 'src']);
    expect(sortRows(rows, 'drops')[0]?.id).toBe('r');
    expect(sortRows(rows, undefined).map((r) => r.id)).toEqual(['src', 'r', 'added']);
  });

  it('renders a header and a row per node', () => {
    const text = renderTop(topRows(before, now, 2)).split('\n');
    expect(text).toHaveLength(4);
    expect(text[2]).toMatch(/^r\s+operator\s+t\s+running\s+100\s+default=0\.0 x=100\s+no_consumer=7\s+1\.50\s+-$/);
    expect(text[3]).toMatch(/ 3\/100$/);
  });

  it('shows a source paused by backpressure, and by which sink', () => {
    const flow = (paused: boolean) => ({ paused, pausedBy: paused ? ['history'] : [], pausedMs: 10, pauses: 1 });
    const view: GraphView = {
      nodes: [node('demo', 'source', { status: 'live', flow: flow(true) }), node('tv', 'source', { status: 'live', flow: flow(false) })],
      edges: [],
    };
    expect(topRows(undefined, view, 1).map((r) => r.status)).toEqual(['paused:history', 'live']);
  });
});
