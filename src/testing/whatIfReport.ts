/**
 * What-if results as text for a terminal (compact: a line per variable with a sparkline, a row
 * per node, a row per drop reason) and as JSON for scripts.
 */
import type { WhatIfDiff } from './whatIfDiff.js';
import type { ControlChange, VariableTimeline, WhatIfResult } from './whatIf.js';

/** Columns of a variable's sparkline. */
export const SPARK_WIDTH = 24;
/** Changes listed one by one on a variable's line; the rest are counted. */
const SHOWN_CHANGES = 4;
/** Skipped lines listed one by one; the rest are counted. */
const SHOWN_SKIPPED = 10;
const BARS = '▁▂▃▄▅▆▇█';

/** A virtual time: `3.4s`, `12:03.4`, `1:02:03.4`. */
export function formatShowTime(ms: number): string {
  const tenths = Math.round(ms / 100);
  const seconds = tenths / 10;
  if (seconds < 60) return `${seconds.toFixed(1).replace(/\.0$/, '')}s`;
  const s = (tenths % 600) / 10;
  const minutes = Math.floor(tenths / 600);
  const ss = s.toFixed(1).padStart(4, '0');
  return minutes < 60 ? `${minutes}:${ss}` : `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${ss}`;
}

const count = (n: number): string => n.toLocaleString('en-US');
const signed = (n: number): string => (n > 0 ? `+${count(n)}` : n < 0 ? `−${count(-n)}` : '0');
const value = (v: number): string => String(Number(v.toFixed(3)));

/** The report of one run. */
export function formatWhatIf(result: WhatIfResult, recording: string): string {
  const lines = [`chatflow whatif: ${recording} through ${result.pipeline}`, ...header(result), ''];
  lines.push('Control changes');
  if (result.variables.length === 0) lines.push('  (no control node)');
  const names = result.variables.map((t) => `${t.node}.${t.variable}`);
  const nameWidth = Math.max(0, ...names.map((n) => n.length));
  result.variables.forEach((timeline, i) => {
    const n = timeline.changes.length;
    const changes = `${count(n).padStart(5)} change${n === 1 ? ' ' : 's'}`;
    const spark = sparkline(timeline, result.endedAt);
    lines.push(`  ${(names[i] as string).padEnd(nameWidth)}  ${changes}  ${spark}  ${listChanges(timeline.changes)}`.trimEnd());
  });
  lines.push('', ...nodeTable(result), '', 'Drops by reason');
  if (result.drops.length === 0) lines.push('  (none)');
  const nodeWidth = Math.max(0, ...result.drops.map((d) => d.node.length));
  const reasonWidth = Math.max(0, ...result.drops.map((d) => d.reason.length));
  for (const d of result.drops) {
    lines.push(`  ${d.node.padEnd(nodeWidth)}  ${d.reason.padEnd(reasonWidth)}  ${count(d.count).padStart(8)}${d.intentional ? '' : '  (not intentional)'}`);
  }
  lines.push(...skippedLines(result, recording));
  return `${lines.join('\n')}\n`;
}

/** The report of two runs of the same recording: what B would have done differently from A. */
export function formatWhatIfDiff(a: WhatIfResult, b: WhatIfResult, diff: WhatIfDiff, recording: string): string {
  const lines = [
    `chatflow whatif: ${recording}, A = ${a.pipeline}, B = ${b.pipeline}`,
    ...(a.source === b.source ? header(a) : header(a, `"${a.source}" (A), "${b.source}" (B)`)),
    '',
  ];
  if (diff.same) {
    lines.push('No difference: both pipelines do the same with this recording.');
    lines.push(...skippedLines(a, recording));
    return `${lines.join('\n')}\n`;
  }
  const names = diff.variables.map((v) => `${v.node}.${v.variable}`);
  const nameWidth = Math.max(17, ...names.map((n) => n.length));
  lines.push(`${'Changes'.padEnd(nameWidth + 2)}  ${'A'.padStart(6)}  ${'B'.padStart(6)}  first divergence`);
  diff.variables.forEach((v, i) => {
    const changes = (n: number | undefined) => (n === undefined ? '—' : count(n)).padStart(6);
    const first = v.firstDivergence;
    const where =
      first === undefined
        ? 'same'
        : `at ${formatShowTime(first.at)}: A ${describeChange(first.a)}, B ${describeChange(first.b)}`;
    lines.push(`  ${(names[i] as string).padEnd(nameWidth)}  ${changes(v.changesA)}  ${changes(v.changesB)}  ${where}`);
  });
  lines.push('');
  if (diff.nodes.length > 0) {
    const idWidth = Math.max(13, ...diff.nodes.map((n) => n.id.length + (n.presence === 'both' ? 0 : 9)));
    lines.push(`${'Nodes (B − A)'.padEnd(idWidth + 2)}  ${'in'.padStart(8)}  ${'out'.padStart(8)}  ${'dropped'.padStart(8)}  ports`);
    for (const n of diff.nodes) {
      const id = n.presence === 'both' ? n.id : `${n.id} (${n.presence === 'only_a' ? 'A only' : 'B only'})`;
      const outTotal = Object.values(n.out).reduce((s, x) => s + x, 0);
      const ports = Object.entries(n.out)
        .filter(([port]) => port !== '')
        .map(([port, d]) => `${port} ${signed(d)}`)
        .join(', ');
      lines.push(`  ${id.padEnd(idWidth)}  ${signed(n.in).padStart(8)}  ${signed(outTotal).padStart(8)}  ${signed(n.dropped).padStart(8)}  ${ports}`.trimEnd());
    }
    lines.push('');
  }
  if (diff.drops.length > 0) {
    const nodeWidth = Math.max(0, ...diff.drops.map((d) => d.node.length));
    const keyWidth = Math.max(23, ...diff.drops.map((d) => nodeWidth + d.reason.length + 2));
    lines.push(`${'Drops by reason (B − A)'.padEnd(keyWidth + 2)}  ${'A'.padStart(8)}  ${'B'.padStart(8)}  ${'Δ'.padStart(8)}`);
    for (const d of diff.drops) {
      const key = `${d.node.padEnd(nodeWidth)}  ${d.reason}`;
      lines.push(`  ${key.padEnd(keyWidth)}  ${count(d.a).padStart(8)}  ${count(d.b).padStart(8)}  ${signed(d.delta).padStart(8)}`);
    }
  }
  lines.push(...skippedLines(a, recording));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** What `--json` prints: the runs (one or two) and, for two, their difference. */
export function whatIfJson(recording: string, runs: readonly WhatIfResult[], diff?: WhatIfDiff): string {
  return `${JSON.stringify(diff === undefined ? { recording, runs } : { recording, runs, diff }, null, 2)}\n`;
}

function header(
  result: WhatIfResult,
  source = `"${result.source}"${result.sourceEnabledForRun ? ' (disabled in the file, enabled for this run)' : ''}`,
): string[] {
  const r = result.recording;
  return [
    `  ${count(r.lines)} line${r.lines === 1 ? '' : 's'}: ${count(r.events)} event${r.events === 1 ? '' : 's'} over ${formatShowTime(r.durationMs)} of show, ${count(r.skipped.length)} skipped; fed to source ${source}, ran to ${formatShowTime(result.endedAt)} (virtual)`,
  ];
}

function nodeTable(result: WhatIfResult): string[] {
  const labels = result.nodes.map((n) => `${n.id} (${n.type})`);
  const width = Math.max(5, ...labels.map((l) => l.length));
  const rows = [`${'Nodes'.padEnd(width + 2)}  ${'in'.padStart(8)}  ${'out'.padStart(8)}  ${'dropped'.padStart(8)}  ports`];
  result.nodes.forEach((n, i) => {
    const out = Object.values(n.out).reduce((s, x) => s + x, 0);
    const dropped = Object.values(n.dropped).reduce((s, x) => s + x, 0);
    const ports = Object.entries(n.out)
      .filter(([port, c]) => port !== '' && c > 0)
      .map(([port, c]) => `${port} ${count(c)}`)
      .join(', ');
    const errors = n.errors > 0 ? `  ${count(n.errors)} error(s)` : '';
    rows.push(`  ${(labels[i] as string).padEnd(width)}  ${count(n.in).padStart(8)}  ${count(out).padStart(8)}  ${count(dropped).padStart(8)}  ${ports}${errors}`.trimEnd());
  });
  return rows;
}

function skippedLines(result: WhatIfResult, recording: string): string[] {
  const skipped = result.recording.skipped;
  if (skipped.length === 0) return [];
  const lines = ['', 'Skipped lines'];
  for (const s of skipped.slice(0, SHOWN_SKIPPED)) lines.push(`  ${recording}:${s.line}: skipped: ${s.reason}`);
  if (skipped.length > SHOWN_SKIPPED) lines.push(`  … and ${count(skipped.length - SHOWN_SKIPPED)} more`);
  return lines;
}

function describeChange(change: ControlChange | undefined): string {
  return change === undefined ? '—' : `${value(change.value)} at ${formatShowTime(change.at)} (${change.origin})`;
}

/** `0.5@0s 0.7@1.2s 0.2@3.4s … 9 more … 0.65@9:58.1`. */
function listChanges(changes: readonly ControlChange[]): string {
  const one = (c: ControlChange) => `${value(c.value)}@${formatShowTime(c.at)}`;
  if (changes.length <= SHOWN_CHANGES + 1) return changes.map(one).join(' ');
  const head = changes.slice(0, SHOWN_CHANGES).map(one).join(' ');
  return `${head} … ${count(changes.length - SHOWN_CHANGES - 1)} more … ${one(changes.at(-1) as ControlChange)}`;
}

/**
 * The variable's value over the run, one bar per column (the value at the column's end), scaled
 * to its declared range (else to the values it took); blank before its first change.
 */
export function sparkline(timeline: VariableTimeline, endedAt: number, width = SPARK_WIDTH): string {
  const { changes } = timeline;
  if (changes.length === 0) return ' '.repeat(width);
  const values = changes.map((c) => c.value);
  const [lo, hi] = timeline.range ?? [Math.min(...values), Math.max(...values)];
  const span = hi - lo;
  let out = '';
  let i = -1;
  const end = Math.max(endedAt, (changes.at(-1) as ControlChange).at, 1);
  for (let col = 0; col < width; col++) {
    const t = ((col + 1) * end) / width;
    while (i + 1 < changes.length && (changes[i + 1] as ControlChange).at <= t) i += 1;
    if (i < 0) {
      out += ' ';
      continue;
    }
    const v = (changes[i] as ControlChange).value;
    const level = span > 0 ? Math.round(((v - lo) / span) * (BARS.length - 1)) : 0;
    out += BARS[Math.min(BARS.length - 1, Math.max(0, level))];
  }
  return out;
}
