/**
 * What-if on a recorded show (issue 16, item 3): runs a recording through a pipeline in virtual
 * time and says what the pipeline would have done with it: every control variable's changes,
 * every node's counts, and the drops by reason; and, for two pipelines, how they differ. The
 * text and JSON forms are in whatIfReport.ts; `chatflow whatif` prints them.
 */
import { PipelineError } from '../core/errors.js';
import type { ControlOrigin } from '../core/events.js';
import type { NodeMetricsSnapshot } from '../core/metrics.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { suggest } from '../core/suggest.js';
import type { Recording, SkippedLine } from './recording.js';
import { runVirtual, type VirtualRunOptions, type VirtualRunResult } from './virtualRun.js';

/** One change of a variable: a command, a vote, a panic or reset, its default at start. */
export interface ControlChange {
  /** Virtual ms of the change (from the first recorded event). */
  readonly at: number;
  /** Where the change settles: its value after the slew it starts, if any. */
  readonly value: number;
  readonly origin: ControlOrigin;
}

/** Every change of one variable of one node (a `control`), in time order. */
export interface VariableTimeline {
  readonly node: string;
  readonly variable: string;
  /** Declared range, when the variable is declared (for scaling a sparkline). */
  readonly range?: readonly [number, number];
  readonly changes: readonly ControlChange[];
  /** Slew steps between the changes (each is also a control event the sinks get). */
  readonly steps: number;
}

/** What one node counted during the run. */
export interface NodeCounts {
  readonly id: string;
  readonly kind: NodeMetricsSnapshot['kind'];
  readonly type: string;
  readonly in: number;
  /** Per port, `''` for the default output. */
  readonly out: Readonly<Record<string, number>>;
  /** Per reason. */
  readonly dropped: Readonly<Record<string, number>>;
  readonly errors: number;
}

/** One reason some node dropped events for. */
export interface DropCount {
  readonly node: string;
  readonly reason: string;
  readonly count: number;
  /** Policy (throttled, a moderation verdict), as opposed to a failure. */
  readonly intentional: boolean;
}

export interface WhatIfResult {
  /** The pipeline file. */
  readonly pipeline: string;
  /** The source node the recording was fed to. */
  readonly source: string;
  /** The source is disabled in the file (often until an env var is set) and was enabled for the run. */
  readonly sourceEnabledForRun: boolean;
  readonly recording: {
    /** Lines that were not blank. */
    readonly lines: number;
    readonly events: number;
    readonly skipped: readonly SkippedLine[];
    /** Virtual ms from the first to the last event. */
    readonly durationMs: number;
  };
  /** Virtual ms at which the run ended (the last event, the settle time, the sinks' drain). */
  readonly endedAt: number;
  readonly variables: readonly VariableTimeline[];
  /** In the pipeline's order (every node after its inputs). */
  readonly nodes: readonly NodeCounts[];
  /** Every (node, reason) with a count, most first. */
  readonly drops: readonly DropCount[];
}

export interface WhatIfOptions {
  /** A validated graph, built with `defaultRegistry()`. */
  readonly graph: PipelineGraph;
  readonly recording: Recording;
  /**
   * The source node the recording replaces; default: the pipeline's first enabled source, else
   * its first source. A disabled source is enabled for the run (nothing connects anyway).
   */
  readonly source?: string;
  /** Virtual ms to run on after the last event, so windows and slews finish; default 10 s. */
  readonly settleMs?: number;
  /** The harness; tests may pass another. */
  readonly run?: (options: VirtualRunOptions) => Promise<VirtualRunResult>;
}

/** Default quiet time after the last event: long enough for the usual vote windows and slews. */
export const WHAT_IF_SETTLE_MS = 10_000;

/**
 * Runs `recording` through `graph` in virtual time.
 *
 * @throws PipelineError `ERR_CONFIG_INVALID` when `source` is not a source of the graph, or the
 *   graph has none.
 */
export async function whatIf(options: WhatIfOptions): Promise<WhatIfResult> {
  const { recording } = options;
  const source = sourceOf(options.graph, options.source);
  const sourceEnabledForRun = options.graph.nodes.get(source)?.enabled === false;
  const graph = sourceEnabledForRun ? enabling(options.graph, source) : options.graph;
  const controls = [...graph.nodes.values()].filter((node) => node.enabled && node.variables !== undefined);
  const run = options.run ?? runVirtual;
  const result = await run({
    graph,
    inputs: recording.inputs.map(({ at, event }) => ({ at, source, event })),
    settleMs: options.settleMs ?? WHAT_IF_SETTLE_MS,
    record: controls.map((node) => ({ node: node.id, port: '' })),
  });

  const timelines = new Map<string, { node: string; variable: string; changes: ControlChange[]; steps: number }>();
  for (const node of controls) {
    for (const declared of node.variables ?? []) {
      timelines.set(`${node.id}\0${declared.name}`, { node: node.id, variable: declared.name, changes: [], steps: 0 });
    }
  }
  for (const { at, node, event } of result.recorded) {
    if (event.kind !== 'control') continue;
    const key = `${node}\0${event.variable}`;
    let timeline = timelines.get(key);
    if (timeline === undefined) {
      timeline = { node, variable: event.variable, changes: [], steps: 0 };
      timelines.set(key, timeline);
    }
    const last = timeline.changes.at(-1);
    if (event.origin === 'slew' && last !== undefined) {
      timeline.steps += 1;
      timeline.changes[timeline.changes.length - 1] = { ...last, value: event.value };
    } else {
      timeline.changes.push({ at, value: event.value, origin: event.origin });
    }
  }
  const ranges = new Map<string, readonly [number, number]>();
  for (const node of controls) for (const v of node.variables ?? []) ranges.set(`${node.id}\0${v.name}`, v.range);
  const variables: VariableTimeline[] = [...timelines.entries()].map(([key, timeline]) => {
    const range = ranges.get(key);
    return range === undefined ? timeline : { ...timeline, range: [range[0], range[1]] };
  });

  const nodes: NodeCounts[] = [];
  const drops: DropCount[] = [];
  const byId = new Map(result.snapshot.map((s) => [s.id, s]));
  for (const id of graph.order) {
    const s = byId.get(id);
    if (s === undefined) continue;
    const dropped: Record<string, number> = {};
    for (const [reason, { count, intentional }] of Object.entries(s.dropped)) {
      if (count === 0) continue;
      dropped[reason] = count;
      drops.push({ node: id, reason, count, intentional });
    }
    nodes.push({ id, kind: s.kind, type: s.type, in: s.eventsIn, out: { ...s.eventsOut }, dropped, errors: s.errors });
  }
  drops.sort((a, b) => b.count - a.count);

  return {
    pipeline: graph.file,
    source,
    sourceEnabledForRun,
    recording: {
      lines: recording.lines,
      events: recording.inputs.length,
      skipped: recording.skipped,
      durationMs: recording.durationMs,
    },
    endedAt: result.endedAt,
    variables,
    nodes,
    drops,
  };
}

/** The source to feed: the one asked for, else the first enabled source, else the first source. */
function sourceOf(graph: PipelineGraph, wanted: string | undefined): string {
  const sources = graph.order.filter((id) => graph.nodes.get(id)?.kind === 'source');
  const invalid = (message: string) => new PipelineError('ERR_CONFIG_INVALID', 'config', message);
  if (wanted === undefined) {
    const first = sources.find((id) => graph.nodes.get(id)?.enabled) ?? sources[0];
    if (first === undefined) throw invalid('The pipeline has no source to feed the recording to');
    return first;
  }
  if (sources.includes(wanted)) return wanted;
  const meant = suggest(wanted, sources);
  throw invalid(
    `No source "${wanted}" to feed the recording to (sources: ${sources.join(', ') || 'none'})${meant ? `. Did you mean "${meant}"?` : ''}`,
  );
}

/** The same graph with one disabled node enabled (its config was validated all the same). */
function enabling(graph: PipelineGraph, id: string): PipelineGraph {
  const nodes = new Map(graph.nodes);
  const node = graph.nodes.get(id);
  if (node) nodes.set(id, { ...node, enabled: true });
  return { ...graph, nodes };
}
