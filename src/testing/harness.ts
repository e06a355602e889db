/**
 * What the test runner needs of the virtual-time harness (src/testing/virtualRun.ts): its
 * options and result, as docs/testing.md and the issue #16 design give them. The runner takes
 * the harness as a function, so matching and reporting are tested over hand-made results.
 */
import type { ChatflowEvent } from '../core/events.js';
import type { NodeMetricsSnapshot } from '../core/metrics.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';

/** One event fed to the pipeline at a virtual time, in place of a source's output. */
export interface VirtualInput {
  readonly at: number;
  readonly source?: string;
  readonly event: ChatflowEvent;
}

export interface VirtualRunOptions {
  readonly graph: PipelineGraph;
  readonly inputs: readonly VirtualInput[];
  readonly until?: number;
  readonly settleMs?: number;
  readonly startWallClock?: number;
  readonly record?: readonly { readonly node: string; readonly port: string }[];
}

/** What one sink would have sent, one entry per unit it sends. */
export interface CapturedOutput {
  readonly at: number;
  readonly sink: string;
  readonly type: string;
  readonly output: Readonly<Record<string, unknown>>;
}

export interface RecordedEvent {
  readonly at: number;
  readonly node: string;
  readonly port: string;
  readonly event: ChatflowEvent;
}

export interface VirtualRunResult {
  readonly outputs: readonly CapturedOutput[];
  readonly recorded: readonly RecordedEvent[];
  readonly snapshot: readonly NodeMetricsSnapshot[];
  readonly endedAt: number;
}

export type RunVirtual = (options: VirtualRunOptions) => Promise<VirtualRunResult>;

/** Virtual time 0 as a date (`ctx.wallClock`), unless a run says otherwise. */
export const DEFAULT_START_WALL_CLOCK = Date.UTC(2026, 0, 1);
