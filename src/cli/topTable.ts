/**
 * The table of `chatflow top`, from two readings of `/api/graph`: per node its status, events
 * in and out per second (out per port), drops by reason, processing-time p99 and sink buffer
 * fill. Pure.
 */
import type { GraphView } from '../server/dashboardWire.js';

export type TopSort = 'in' | 'out' | 'drops' | 'p99';
export const TOP_SORTS: readonly TopSort[] = ['in', 'out', 'drops', 'p99'];

export interface TopRow {
  readonly id: string;
  readonly kind: string;
  readonly type: string;
  readonly status: string;
  readonly inPerS: number;
  /** Per port ('' is the default one). */
  readonly outPerS: Readonly<Record<string, number>>;
  readonly drops: Readonly<Record<string, number>>;
  readonly p99Ms: number;
  /** Sinks: events held and the most the buffer holds. */
  readonly buffer?: { readonly depth: number; readonly capacity: number | undefined };
}

const sum = (values: Iterable<number>) => {
  let n = 0;
  for (const v of values) n += v;
  return n;
};

/** Rows for every node of `now`; rates over `seconds` since `before` (a node new since then counts from 0). */
export function topRows(before: GraphView | undefined, now: GraphView, seconds: number): TopRow[] {
  const prior = new Map(before?.nodes.map((n) => [n.id, n.metrics]) ?? []);
  const per = (delta: number) => (seconds > 0 ? Math.max(0, delta) / seconds : 0);
  return now.nodes.map(({ id, kind, type, status, metrics }) => {
    const was = prior.get(id);
    const outPerS: Record<string, number> = {};
    for (const [port, n] of Object.entries(metrics.eventsOut)) outPerS[port] = per(n - (was?.eventsOut[port] ?? 0));
    const drops: Record<string, number> = {};
    for (const [reason, d] of Object.entries(metrics.dropped)) drops[reason] = d.count;
    return {
      id,
      kind,
      type,
      // A source held back by backpressure says by which sink (docs/storage.md#backpressure).
      status: metrics.flow?.paused ? `paused:${metrics.flow.pausedBy.join(',')}` : status,
      inPerS: per(metrics.eventsIn - (was?.eventsIn ?? 0)),
      outPerS,
      drops,
      p99Ms: metrics.processingMs.count > 0 ? metrics.processingMs.p99 : metrics.latencyMs.p99,
      ...(kind === 'sink' ? { buffer: { depth: metrics.bufferDepth, capacity: metrics.bufferCapacity } } : {}),
    };
  });
}

export function sortRows(rows: readonly TopRow[], by: TopSort | undefined): TopRow[] {
  if (by === undefined) return [...rows];
  const key = (r: TopRow): number =>
    by === 'in' ? r.inPerS : by === 'out' ? sum(Object.values(r.outPerS)) : by === 'drops' ? sum(Object.values(r.drops)) : r.p99Ms;
  return [...rows].sort((a, b) => key(b) - key(a));
}

const rate = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** The table as text, columns padded; one line per node under a header. */
export function renderTop(rows: readonly TopRow[]): string {
  const header = ['NODE', 'KIND', 'TYPE', 'STATUS', 'IN/s', 'OUT/s', 'DROPS', 'P99ms', 'BUFFER'];
  const cells = rows.map((r) => {
    const ports = Object.entries(r.outPerS);
    const out =
      ports.length === 0
        ? '-'
        : ports.length === 1 && ports[0]?.[0] === ''
          ? rate(ports[0][1])
          : ports.map(([port, n]) => `${port || 'default'}=${rate(n)}`).join(' ');
    const drops = Object.entries(r.drops);
    return [
      r.id,
      r.kind,
      r.type,
      r.status,
      rate(r.inPerS),
      out,
      drops.length === 0 ? '0' : drops.map(([reason, n]) => `${reason}=${n}`).join(' '),
      r.p99Ms.toFixed(2),
      r.buffer === undefined ? '-' : `${r.buffer.depth}/${r.buffer.capacity ?? '?'}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
