/** What {@link PipelineRuntime.reload} did, for the CLI, the log, the API and the dashboard. */
import type { GraphDiff, NodeChange, SettingChange } from './reloadDiff.js';

export interface ReloadReport {
  /** False when the runtime was stopping and nothing was applied. */
  readonly applied: boolean;
  /** Node ids by how the new file changed them (see {@link NodeChange}), in id order. */
  readonly unchanged: readonly string[];
  readonly changed: readonly string[];
  readonly rewired: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /**
   * Nodes whose stream was re-subscribed: the changed and added ones, plus unchanged operators
   * that shared a fused chain with one (src/pipelines/chains.ts). They kept their `ctx.state`
   * and metrics; what they held in their stream (a pending `delay`) did not survive.
   */
  readonly restarted: readonly string[];
  /**
   * Nodes that could not be built (their component threw): left stopped, status `failed`,
   * while the rest of the reload applied. The next reload tries them again.
   */
  readonly failed: readonly ReloadFailure[];
  /** Settings that changed but apply only at the next start; everything else was applied. */
  readonly needsRestart: readonly SettingChange[];
  /** Events that sinks taken out (removed or rebuilt) could not write before their `flush_timeout`. */
  readonly lostInRetiredSinks: number;
  readonly durationMs: number;
}

export interface ReloadFailure {
  readonly node: string;
  readonly error: string;
}

export function reloadReport(
  diff: GraphDiff,
  rest: Pick<ReloadReport, 'applied' | 'restarted' | 'failed' | 'lostInRetiredSinks' | 'durationMs'>,
): ReloadReport {
  const of = (change: NodeChange) =>
    [...diff.nodes]
      .filter(([, c]) => c === change)
      .map(([id]) => id)
      .sort();
  return {
    applied: rest.applied,
    unchanged: of('unchanged'),
    changed: of('changed'),
    rewired: of('rewired'),
    added: of('added'),
    removed: of('removed'),
    restarted: [...rest.restarted].sort(),
    failed: rest.failed,
    needsRestart: diff.needsRestart,
    lostInRetiredSinks: rest.lostInRetiredSinks,
    durationMs: rest.durationMs,
  };
}
