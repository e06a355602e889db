import { defineOperator } from '../../core/component.js';
import { PROCESS_PROBE } from '../../core/processProbe.js';
import { RELOAD_STATUS } from '../../core/reloadStatus.js';
import { ALERTS_PORT, HISTORY_PORT, SampleMetricsConfig } from './config.js';
import { sampleMetrics } from './sampleMetrics.js';

export const sampleMetricsComponent = defineOperator({
  type: 'sample_metrics',
  summary: 'Emits metric events for every node, the process and the chat every `every`, and alerts from rules.',
  description:
    'Typically `inputs: [<deduplicated chat>, <parse_command nodes>]` (or `["*"]`), feeding the `metrics` sink (and `postgres`, which stores alerts). Each sample carries every node’s events in/out, drops, errors, processing time, sink latency and buffer depth, status, counts and gauges; the process’s memory, CPU, event-loop lag and GC pauses; and, from the events it sees, messages per second per channel, active chatters, commands accepted and rejected, throttled per minute, moderation reasons; and the end-to-end latency of the interval at each sink (from the runtime, whatever is wired), with the intended delay of slew steps and vote windows apart (`chatflow_intended_delay_ms`). Input events are not passed on. With `history: 10s`, a second sample over that longer interval goes to the `history` port (for the `postgres` sink), counted from the same events. Alert rules compare one metric with a `warning` and a `critical` threshold, with `for`, hysteresis and `clear_after`; their `alert` events go to the `alerts` port and, mirrored, to the default output. Every metric is listed in docs/metrics.md.',
  config: SampleMetricsConfig,
  ports: (config) => (config.history === undefined ? [ALERTS_PORT] : [ALERTS_PORT, HISTORY_PORT]),
  mirrorToDefault: [ALERTS_PORT],
  examples: [
    'every: 1s',
    [
      'every: 1s',
      'window: 5m',
      'alerts:',
      '  latency:',
      '    metric: chatflow_end_to_end_latency_ms',
      '    stat: p99',
      '    warning: 50',
      '    critical: 250',
      '    for: 10s',
      '    clear_after: 30s',
      '  commands_failing:',
      '    metric: chatflow_command_success_rate',
      '    below: true',
      '    warning: 0.5',
      '    critical: 0.2',
      '    for: 30s',
    ].join('\n'),
  ],
  create: (config, ctx) => {
    const pipeline = ctx.resources.pipeline;
    const reloadStatus = ctx.resources.services?.get(RELOAD_STATUS);
    const probe = ctx.resources.services?.get(PROCESS_PROBE);
    return sampleMetrics(config, {
      scheduler: ctx.scheduler,
      clock: ctx.clock,
      instance: ctx.resources.instance,
      drops: ctx.metrics,
      ...(pipeline ? { nodeMetrics: () => pipeline.snapshot() } : {}),
      ...(reloadStatus ? { reloadStatus } : {}),
      ...(probe ? { probe } : {}),
    });
  },
});

export { ALERTS_PORT, HISTORY_PORT, SampleMetricsConfig } from './config.js';
export { sampleMetrics, type SampleMetricsDeps } from './sampleMetrics.js';
export type { ProcessProbe, ProcessSample } from './process.js';
