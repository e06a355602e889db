/**
 * What the test runner needs of the virtual-time harness (src/testing/virtualRun.ts): its
 * options and result. The runner takes the harness as a function, so matching and reporting
 * are tested over hand-made results too.
 */
import type { VirtualRunOptions, VirtualRunResult } from './virtualRun.js';

export type { CapturedOutput, RecordedEvent, VirtualInput, VirtualRunOptions, VirtualRunResult } from './virtualRun.js';
export { DEFAULT_START_WALL_CLOCK } from './events.js';

/** Test results need only these of a run's result (a scripted harness gives just these). */
export type RunResult = Pick<VirtualRunResult, 'outputs' | 'recorded' | 'snapshot' | 'endedAt'>;

export type RunVirtual = (options: VirtualRunOptions) => Promise<RunResult>;
