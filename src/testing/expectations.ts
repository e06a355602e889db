/**
 * Checks one expectation of a test against a run's result, and says how it failed: the
 * expected and the received around the first mismatch, each with its node and virtual time.
 * The text is deterministic (no wall time, no object identity), so tests assert it exactly.
 */
import type { NodeMetricsSnapshot } from '../core/metrics.js';
import type { MatchMode } from './testFileSchema.js';
import { ABSENT, type Difference, differences, project, show } from './match.js';

/** Something that came out: a sink's output or an event on a port. */
export interface Received {
  readonly at: number;
  /** `synth (osc)`, `cmds.cv`. */
  readonly label: string;
  readonly value: unknown;
}

/** One expected output: its time (when written) and the fields to compare. */
export interface ExpectedItem {
  readonly at?: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface OutputsCheck {
  /** `synth (osc)` or `cmds.cv`: whose outputs these are. */
  readonly subject: string;
  /** What a sink does (`sent`) or a port (`emitted`). */
  readonly verb: 'sent' | 'emitted';
  readonly outputs?: readonly ExpectedItem[] | undefined;
  readonly never?: readonly ExpectedItem[] | undefined;
  readonly match: MatchMode;
  readonly tolerance: number;
  readonly timeTolerance: number;
}

/** Lines around a mismatch: up to this many received outputs before and after it. */
const CONTEXT = 2;
/** Unmatched outputs listed, per side, in a `set` failure. */
const LISTED = 5;

/** `5.000s`: virtual times always with milliseconds, so columns line up. */
export function formatTime(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

function itemDifferences(expected: ExpectedItem, received: Received, check: OutputsCheck): Difference[] {
  const found = differences(expected.fields, received.value, check.tolerance);
  // `2.010s` parses to 2009.9999999999998 ms: a float's rounding is no difference in time either.
  if (expected.at !== undefined && Math.abs(expected.at - received.at) > check.timeTolerance + 1e-6) {
    return [{ path: 'at', expected: expected.at, received: received.at }, ...found];
  }
  return found;
}

function matches(expected: ExpectedItem, received: Received, check: OutputsCheck): boolean {
  return itemDifferences(expected, received, check).length === 0;
}

function expectedLine(mark: string, index: number | undefined, item: ExpectedItem, check: OutputsCheck): string {
  const number = index === undefined ? '' : `#${index + 1} `;
  const at = item.at === undefined ? '' : ` at ${formatTime(item.at)}${check.timeTolerance > 0 ? ` ±${check.timeTolerance}ms` : ''}`;
  return `${mark} ${number}expected${at}: ${show(item.fields, 400)}`;
}

function receivedLine(mark: string, index: number, received: Received, like?: ExpectedItem): string {
  const value = like === undefined ? show(received.value) : project(like.fields as Record<string, unknown>, received.value);
  return `${mark} #${index + 1} ${received.label} at ${formatTime(received.at)}: ${value}`;
}

function differenceLines(found: readonly Difference[]): string[] {
  return found.map(({ path, expected, received }) => {
    if (path === 'at') return `      at: expected ${formatTime(expected as number)}, received ${formatTime(received as number)}`;
    const what = path === '' ? 'value' : path;
    return received === ABSENT ? `      ${what}: expected ${show(expected)}, absent` : `      ${what}: expected ${show(expected)}, received ${show(received)}`;
  });
}

/** Context lines for the received outputs in [from, to), each beside the expectation it met. */
function contextLines(received: readonly Received[], from: number, to: number, expected: readonly ExpectedItem[]): string[] {
  const lines: string[] = [];
  for (let i = Math.max(0, from); i < Math.min(received.length, to); i++) {
    lines.push(receivedLine(' ', i, received[i] as Received, expected[i]));
  }
  return lines;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The failure of a `sink` or `port` expectation against what it received (in order), or
 * undefined when it holds. `endedAt` says when the run stopped, for "nothing more was sent".
 */
export function checkOutputs(check: OutputsCheck, received: readonly Received[], endedAt: number): string[] | undefined {
  const failures: string[] = [];
  if (check.outputs !== undefined) {
    const failed =
      check.match === 'sequence'
        ? checkSequence(check, check.outputs, received, endedAt)
        : check.match === 'set'
          ? checkSet(check, check.outputs, received)
          : checkContains(check, check.outputs, received, endedAt);
    if (failed) failures.push(...failed);
  }
  if (check.never !== undefined) {
    const failed = checkNever(check, check.never, received);
    if (failed) failures.push(...failed);
  }
  return failures.length > 0 ? failures : undefined;
}

function checkSequence(check: OutputsCheck, expected: readonly ExpectedItem[], received: readonly Received[], endedAt: number): string[] | undefined {
  const length = Math.max(expected.length, received.length);
  for (let i = 0; i < length; i++) {
    const want = expected[i];
    const got = received[i];
    if (want !== undefined && got !== undefined) {
      const found = itemDifferences(want, got, check);
      if (found.length === 0) continue;
      return [
        `${check.subject}: output #${i + 1} is not the one expected (in order, exactly these ${expected.length})`,
        ...contextLines(received, i - CONTEXT, i, expected),
        expectedLine('-', i, want, check),
        receivedLine('+', i, got, want),
        ...differenceLines(found),
        ...contextLines(received, i + 1, i + 1 + CONTEXT, expected),
      ];
    }
    const counts = `${check.subject} ${check.verb} ${plural(received.length, 'output')}, ${expected.length} expected`;
    if (want !== undefined) {
      return [
        counts,
        ...contextLines(received, i - CONTEXT, i, expected),
        expectedLine('-', i, want, check),
        `+ #${i + 1} nothing: no more by the end at ${formatTime(endedAt)}`,
      ];
    }
    return [
      counts,
      ...contextLines(received, i - CONTEXT, i, expected),
      `${receivedLine('+', i, got as Received)} (not expected)`,
      ...(received.length > i + 1 ? [`  … and ${plural(received.length - i - 1, 'more output')}`] : []),
    ];
  }
  return undefined;
}

/** Pairs expected items with received ones (each used once), as many as can be: Kuhn's matching. */
function pairUp(check: OutputsCheck, expected: readonly ExpectedItem[], received: readonly Received[]): (number | undefined)[] {
  const ownerOf: (number | undefined)[] = received.map(() => undefined);
  const fits = expected.map((want) => received.flatMap((got, j) => (matches(want, got, check) ? [j] : [])));
  const assign = (i: number, visited: Set<number>): boolean => {
    for (const j of fits[i] ?? []) {
      if (visited.has(j)) continue;
      visited.add(j);
      const owner = ownerOf[j];
      if (owner === undefined || assign(owner, visited)) {
        ownerOf[j] = i;
        return true;
      }
    }
    return false;
  };
  for (let i = 0; i < expected.length; i++) assign(i, new Set());
  return ownerOf;
}

function checkSet(check: OutputsCheck, expected: readonly ExpectedItem[], received: readonly Received[]): string[] | undefined {
  const ownerOf = pairUp(check, expected, received);
  const paired = new Set(ownerOf.filter((i): i is number => i !== undefined));
  const missing = expected.flatMap((item, i) => (paired.has(i) ? [] : [{ item, i }]));
  const extra = received.flatMap((got, j) => (ownerOf[j] === undefined ? [{ got, j }] : []));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const lines = [
    `${check.subject}: ${plural(missing.length, 'expected output')} not ${check.verb}, ${plural(extra.length, `${check.verb} output`)} not expected (exactly these ${expected.length}, in any order)`,
  ];
  for (const { item, i } of missing.slice(0, LISTED)) lines.push(expectedLine('-', i, item, check));
  if (missing.length > LISTED) lines.push(`  … and ${missing.length - LISTED} more expected`);
  for (const { got, j } of extra.slice(0, LISTED)) lines.push(receivedLine('+', j, got));
  if (extra.length > LISTED) lines.push(`  … and ${extra.length - LISTED} more ${check.verb}`);
  return lines;
}

function checkContains(check: OutputsCheck, expected: readonly ExpectedItem[], received: readonly Received[], endedAt: number): string[] | undefined {
  let next = 0;
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i] as ExpectedItem;
    let found = -1;
    for (let j = next; j < received.length; j++) {
      if (matches(want, received[j] as Received, check)) {
        found = j;
        break;
      }
    }
    if (found >= 0) {
      next = found + 1;
      continue;
    }
    const after = next === 0 ? 'from the start' : `after #${next}`;
    const lines = [`${check.subject}: expected output ${i + 1} of ${expected.length} was not ${check.verb} ${after} (these ${expected.length}, in this order, others between)`];
    lines.push(expectedLine('-', i, want, check));
    const rest = received.slice(next);
    if (rest.length === 0) {
      lines.push(`+ nothing: no more by the end at ${formatTime(endedAt)}`);
      return lines;
    }
    // The nearest one (fewest differing fields) is most likely the one that was meant.
    let nearest = next;
    let fewest = Number.POSITIVE_INFINITY;
    for (let j = next; j < received.length; j++) {
      const count = itemDifferences(want, received[j] as Received, check).length;
      if (count < fewest) {
        fewest = count;
        nearest = j;
      }
    }
    lines.push(receivedLine('+', nearest, received[nearest] as Received, want), ...differenceLines(itemDifferences(want, received[nearest] as Received, check)));
    if (rest.length > 1) lines.push(`  (the nearest of ${plural(rest.length, `output`)} ${check.verb} ${after})`);
    return lines;
  }
  return undefined;
}

function checkNever(check: OutputsCheck, never: readonly ExpectedItem[], received: readonly Received[]): string[] | undefined {
  for (let j = 0; j < received.length; j++) {
    const got = received[j] as Received;
    const k = never.findIndex((item) => matches(item, got, check));
    if (k < 0) continue;
    const others = received.slice(j + 1).filter((r) => never.some((item) => matches(item, r, check))).length;
    return [
      `${check.subject} ${check.verb} what it must never ${check.verb === 'sent' ? 'send' : 'emit'}`,
      `  never[${k}]: ${show((never[k] as ExpectedItem).fields, 400)}`,
      receivedLine('+', j, got),
      ...(others > 0 ? [`  … and ${plural(others, 'more such output')}`] : []),
    ];
  }
  return undefined;
}

/** A count as written in a test: exactly, or within `{ min, max }`. */
export type ExpectedCount = number | { readonly min?: number | undefined; readonly max?: number | undefined };

/** The value of a count path (`cv.dropped.undeclared`) in a run's snapshot; undefined for an unknown node. */
export function countOf(path: string, snapshot: readonly NodeMetricsSnapshot[]): number | undefined {
  const [node, what, ...rest] = path.split('.');
  const metrics = snapshot.find((m) => m.id === node);
  if (metrics === undefined) return undefined;
  const name = rest.join('.');
  switch (what) {
    case 'in':
      return rest.length === 0 ? metrics.eventsIn : undefined;
    case 'out':
      return metrics.eventsOut[name] ?? 0;
    case 'dropped':
      return rest.length === 0 ? Object.values(metrics.dropped).reduce((sum, d) => sum + d.count, 0) : (metrics.dropped[name]?.count ?? 0);
    case 'errors':
      return rest.length === 0 ? metrics.errors : undefined;
    case 'count':
      return metrics.counts?.[name] ?? 0;
    default:
      return undefined;
  }
}

/** Count paths a test may name, for checking a path before the run. */
export const COUNT_PATH = /^[^.]+\.(in|errors|out(\..+)?|dropped(\..+)?|count\..+)$/;

function describeCount(expected: ExpectedCount): string {
  if (typeof expected === 'number') return String(expected);
  if (expected.min !== undefined && expected.max !== undefined) return `between ${expected.min} and ${expected.max}`;
  if (expected.min !== undefined) return `at least ${expected.min}`;
  return `at most ${expected.max}`;
}

/** The failures of a `counts` expectation: one line per count that is off. */
export function checkCounts(counts: Readonly<Record<string, ExpectedCount>>, snapshot: readonly NodeMetricsSnapshot[]): string[] | undefined {
  const lines: string[] = [];
  for (const [path, expected] of Object.entries(counts)) {
    const actual = countOf(path, snapshot) ?? 0;
    const ok =
      typeof expected === 'number'
        ? actual === expected
        : (expected.min === undefined || actual >= expected.min) && (expected.max === undefined || actual <= expected.max);
    if (!ok) lines.push(`counts: ${path} is ${actual}, expected ${describeCount(expected)}`);
  }
  return lines.length > 0 ? lines : undefined;
}
