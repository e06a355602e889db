/**
 * The compact live status line of `chatflow run` in a terminal, and the summary on exit.
 */
import type { NodeMetricsSnapshot } from '../core/metrics.js';

export interface Totals {
  /** Events the sources emitted. */
  readonly in: number;
  /** Events that reached sinks. */
  readonly out: number;
  /** Drops the runtime counts as losses (a full buffer, a failed write). */
  readonly lost: number;
  /** Drops that are policy doing its job (throttled, chat that is no command, a line limit). */
  readonly filtered: number;
  readonly atMs: number;
}

export function totals(nodes: readonly NodeMetricsSnapshot[], atMs: number): Totals {
  let inCount = 0;
  let outCount = 0;
  let lost = 0;
  let filtered = 0;
  for (const node of nodes) {
    if (node.kind === 'source') for (const n of Object.values(node.eventsOut)) inCount += n;
    if (node.kind === 'sink') outCount += node.eventsIn;
    for (const d of Object.values(node.dropped)) {
      if (d.intentional) filtered += d.count;
      else lost += d.count;
    }
  }
  return { in: inCount, out: outCount, lost, filtered, atMs };
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * One line, e.g. `chatflow ▸ 20 ev/s in · 18 ev/s out · 2 lost (buffer_full 2) · 140 filtered · demo live · 0:42`.
 * Losses and intended filtering are apart, so a healthy show never reads as one losing events.
 */
export function renderStatusLine(
  nodes: readonly NodeMetricsSnapshot[],
  now: Totals,
  previous: Totals,
  startedAtMs: number,
): string {
  const seconds = Math.max(0.001, (now.atMs - previous.atMs) / 1000);
  const rateIn = (now.in - previous.in) / seconds;
  const rateOut = (now.out - previous.out) / seconds;
  const reasons = new Map<string, number>();
  for (const node of nodes) {
    for (const [reason, d] of Object.entries(node.dropped)) {
      if (!d.intentional) reasons.set(reason, (reasons.get(reason) ?? 0) + d.count);
    }
  }
  const top = [...reasons.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([reason, n]) => `${reason} ${fmt.format(n)}`)
    .join(', ');
  const health = nodes
    .filter((n) => n.kind === 'source')
    .map((n) => `${n.id} ${n.status}`)
    .join(', ');
  const parts = [
    `${fmt.format(rateIn)} ev/s in`,
    `${fmt.format(rateOut)} ev/s out`,
    `${fmt.format(now.lost)} lost${top ? ` (${top})` : ''}`,
    `${fmt.format(now.filtered)} filtered`,
    health,
    clock(now.atMs - startedAtMs),
  ];
  return `chatflow ▸ ${parts.filter(Boolean).join(' · ')}`;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A table of every node's counts, printed when the pipeline stops. */
export function renderSummary(nodes: readonly NodeMetricsSnapshot[]): string {
  const header = ['node', 'type', 'status', 'in', 'out', 'filtered', 'lost', 'errors'];
  const drops = (n: NodeMetricsSnapshot, intentional: boolean): string =>
    Object.entries(n.dropped)
      .filter(([, d]) => d.intentional === intentional)
      .map(([reason, d]) => `${reason}=${d.count}`)
      .join(' ') || '0';
  const rows = nodes.map((n) => {
    const out = Object.values(n.eventsOut).reduce((a, b) => a + b, 0);
    return [n.id, n.type, n.status, fmt.format(n.eventsIn), fmt.format(out), drops(n, true), drops(n, false), String(n.errors)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
