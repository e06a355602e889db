/**
 * The difference between two what-if runs of the same recording (pipeline A, the one in use,
 * and B, the one tried): per variable, how many changes each made and when they first differ;
 * per node, the count deltas; per (node, reason), the drop deltas. Deltas are B − A.
 */
import type { ControlChange, WhatIfResult } from './whatIf.js';

/** Two values closer than this are the same value (slews and curves are float arithmetic). */
export const VALUE_TOLERANCE = 1e-9;

export interface VariableDiff {
  readonly node: string;
  readonly variable: string;
  /** Changes in A and in B (`undefined`: the pipeline has no such variable). */
  readonly changesA: number | undefined;
  readonly changesB: number | undefined;
  /**
   * The first change that is not the same in both (time or settled value), with the two; absent
   * when the timelines are the same.
   */
  readonly firstDivergence?: {
    readonly at: number;
    readonly a: ControlChange | undefined;
    readonly b: ControlChange | undefined;
  };
}

export interface NodeDiff {
  readonly id: string;
  /** `only_a`/`only_b`: the node is in one pipeline; its counts are then against zero. */
  readonly presence: 'both' | 'only_a' | 'only_b';
  readonly in: number;
  /** Per port, only the ports that differ. */
  readonly out: Readonly<Record<string, number>>;
  readonly dropped: number;
  readonly errors: number;
}

export interface DropDiff {
  readonly node: string;
  readonly reason: string;
  readonly a: number;
  readonly b: number;
  readonly delta: number;
}

export interface WhatIfDiff {
  /** Every variable of either run; the same ones are flagged by having no `firstDivergence`. */
  readonly variables: readonly VariableDiff[];
  /** Nodes whose counts differ, in A's order then B's new nodes. */
  readonly nodes: readonly NodeDiff[];
  /** (node, reason) pairs whose counts differ, largest change first. */
  readonly drops: readonly DropDiff[];
  /** Nothing differs. */
  readonly same: boolean;
}

/** Compares the run of pipeline A with that of pipeline B on the same recording. */
export function diffWhatIf(a: WhatIfResult, b: WhatIfResult): WhatIfDiff {
  const variables: VariableDiff[] = [];
  const timelinesB = new Map(b.variables.map((t) => [`${t.node}\0${t.variable}`, t]));
  const seen = new Set<string>();
  for (const ta of a.variables) {
    const key = `${ta.node}\0${ta.variable}`;
    seen.add(key);
    const tb = timelinesB.get(key);
    variables.push(variableDiff(ta.node, ta.variable, ta.changes, tb?.changes));
  }
  for (const tb of b.variables) {
    if (!seen.has(`${tb.node}\0${tb.variable}`)) variables.push(variableDiff(tb.node, tb.variable, undefined, tb.changes));
  }

  const nodes: NodeDiff[] = [];
  const nodesB = new Map(b.nodes.map((n) => [n.id, n]));
  const idsA = new Set(a.nodes.map((n) => n.id));
  for (const na of a.nodes) {
    const nb = nodesB.get(na.id);
    const diff = nodeDiff(na.id, nb === undefined ? 'only_a' : 'both', na, nb);
    if (diff) nodes.push(diff);
  }
  for (const nb of b.nodes) {
    if (idsA.has(nb.id)) continue;
    const diff = nodeDiff(nb.id, 'only_b', undefined, nb);
    if (diff) nodes.push(diff);
  }

  const counts = new Map<string, { node: string; reason: string; a: number; b: number }>();
  for (const [side, run] of [['a', a], ['b', b]] as const) {
    for (const d of run.drops) {
      const key = `${d.node}\0${d.reason}`;
      const entry = counts.get(key) ?? { node: d.node, reason: d.reason, a: 0, b: 0 };
      entry[side] += d.count;
      counts.set(key, entry);
    }
  }
  const drops = [...counts.values()]
    .filter((d) => d.a !== d.b)
    .map((d) => ({ ...d, delta: d.b - d.a }))
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta));

  const same = variables.every((v) => v.firstDivergence === undefined) && nodes.length === 0 && drops.length === 0;
  return { variables, nodes, drops, same };
}

function variableDiff(
  node: string,
  variable: string,
  a: readonly ControlChange[] | undefined,
  b: readonly ControlChange[] | undefined,
): VariableDiff {
  const base = { node, variable, changesA: a?.length, changesB: b?.length };
  const xs = a ?? [];
  const ys = b ?? [];
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const x = xs[i];
    const y = ys[i];
    if (x !== undefined && y !== undefined && x.at === y.at && Math.abs(x.value - y.value) <= VALUE_TOLERANCE) continue;
    const at = Math.min(x?.at ?? Number.POSITIVE_INFINITY, y?.at ?? Number.POSITIVE_INFINITY);
    return { ...base, firstDivergence: { at, a: x, b: y } };
  }
  return base;
}

type Counted = { readonly in: number; readonly out: Readonly<Record<string, number>>; readonly dropped: Readonly<Record<string, number>>; readonly errors: number };

function nodeDiff(id: string, presence: NodeDiff['presence'], a: Counted | undefined, b: Counted | undefined): NodeDiff | undefined {
  const sum = (r: Readonly<Record<string, number>> | undefined) => Object.values(r ?? {}).reduce((s, n) => s + n, 0);
  const out: Record<string, number> = {};
  for (const port of new Set([...Object.keys(a?.out ?? {}), ...Object.keys(b?.out ?? {})])) {
    const delta = (b?.out[port] ?? 0) - (a?.out[port] ?? 0);
    if (delta !== 0) out[port] = delta;
  }
  const diff: NodeDiff = {
    id,
    presence,
    in: (b?.in ?? 0) - (a?.in ?? 0),
    out,
    dropped: sum(b?.dropped) - sum(a?.dropped),
    errors: (b?.errors ?? 0) - (a?.errors ?? 0),
  };
  const changed = presence !== 'both' || diff.in !== 0 || diff.dropped !== 0 || diff.errors !== 0 || Object.keys(out).length > 0;
  return changed ? diff : undefined;
}
