import { z } from 'zod';
import { duration } from '../../core/units.js';
import { AlertRuleConfig } from './alerts.js';

export const SampleMetricsConfig = z
  .strictObject({
    every: duration()
      .prefault('1s')
      .refine((ms) => ms >= 10, 'Sample at most every 10ms')
      .describe('How often a sample of every metric is emitted.'),
    history: duration()
      .refine((ms) => ms >= 10, 'Sample the history at most every 10ms')
      .optional()
      .describe(
        'Also emit a sample every `history` (e.g. `10s`) to the `history` port, for storage: the same metrics over that longer interval, from the same counts, so chat is counted once for both (a second `sample_metrics` node would count it again). Alert rules run on the `every` samples only.',
      ),
    window: duration()
      .prefault('5m')
      .describe('The window of `chatflow_active_chatters`: authors who wrote within it count as active.'),
    max_chatters: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe('Most authors remembered per platform for `chatflow_active_chatters`; beyond it the least recent are forgotten (bounded memory).'),
    process: z
      .boolean()
      .default(true)
      .describe('Also sample the process: memory, CPU, event-loop lag and garbage-collection pauses.'),
    alerts: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_]*$/, 'Alert ids are snake_case'),
        AlertRuleConfig,
      )
      .default({})
      .describe('Alert rules by id: each watches one metric and emits `alert` events when it fires, changes severity or resolves.'),
  })
  .describe('Samples every node’s metrics, the process and the chat itself, and evaluates alert rules.');
export type SampleMetricsConfig = z.output<typeof SampleMetricsConfig>;

/** The port alerts are sent to (and, mirrored, the default output with the metrics). */
export const ALERTS_PORT = 'alerts';

/** The port of the `history` samples (not mirrored: the default output has the `every` ones). */
export const HISTORY_PORT = 'history';
