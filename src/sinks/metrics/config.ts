/** The `metrics` sink's configuration: its schema and config types. */
import { z } from 'zod';
import { duration } from '../../core/units.js';

const INSTANCE = /^[A-Za-z0-9._:-]{1,64}$/;

export const MetricsConfig = z
  .strictObject({
    instance: z
      .string()
      .regex(INSTANCE, 'Expected 1–64 letters, digits, `.`, `_`, `:` or `-`')
      .optional()
      .describe(
        "This process's name in Redis and on the dashboard. Default: `CHATFLOW_INSTANCE`, else a random id per run.",
      ),
    stream_every: duration()
      .refine((ms) => ms >= 50, 'At least 50ms')
      .prefault('1s')
      .describe(
        'Least time between two `metrics` messages on the dashboard stream; metric events in between are coalesced (each series keeps its newest point).',
      ),
    prefix: z
      .string()
      .default('chatflow:')
      .describe(
        'Prefix of the Redis keys (`<prefix>metrics:<instance>`, `<prefix>instances`) and of the alert channel (`<prefix>alerts`); the same as redis_state\'s, whose variables `/api/variables` reads when no control events reach this sink.',
      ),
    heartbeat: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('2s')
      .describe("How often this instance's latest metrics and its registry entry are written to Redis."),
    instance_ttl: duration()
      .prefault('10s')
      .describe(
        'An instance without a heartbeat for this long leaves `/api/metrics/aggregated` (its key expires after it too). Keep it a few heartbeats long.',
      ),
    alert_history: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe('Recent alerts (firing and resolved) kept for `/api/alerts` and a new dashboard.'),
    max_series: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Metric series (name + labels) held; new series beyond it are dropped and counted as `max_series`.'),
    max_variables: z
      .number()
      .int()
      .positive()
      .max(10_000)
      .default(200)
      .describe('Control variables held for the dashboard; the least recently changed is forgotten beyond it.'),
    prometheus: z.boolean().default(true).describe('Serve `/metrics` in the Prometheus text format.'),
    process_metrics: z
      .boolean()
      .default(true)
      .describe("Add prom-client's process metrics (`chatflow_process_…`, `chatflow_nodejs_…`: CPU, memory, event-loop lag) to `/metrics`."),
    max_clients: z
      .number()
      .int()
      .positive()
      .default(100)
      .describe('Dashboard connections served at once; more are refused with close code 1013 and counted.'),
    max_buffered_bytes: z
      .number()
      .int()
      .min(4096)
      .default(1_048_576)
      .describe(
        'Unsent bytes one dashboard client may hold. One that falls behind further is sent nothing (counted as `slow_client`) until it drains, then gets a fresh `hello`.',
      ),
    ping_interval: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('15s')
      .describe('How often dashboard clients are pinged; one that has not answered the previous ping is disconnected.'),
    stuck_timeout: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('10s')
      .describe(
        'How far behind a dashboard client may fall: one that has not read, this long after, what it was sent is disconnected with close code 1008 `too_slow` and counted as `slow_client_closed`.',
      ),
  })
  .superRefine((config, ctx) => {
    if (config.instance_ttl < config.heartbeat * 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['instance_ttl'],
        message: '`instance_ttl` must be at least twice `heartbeat`, or live instances would blink out',
      });
    }
  })
  .describe('Live metrics, alerts and variables for the dashboard, Prometheus and other instances.');
export type MetricsConfig = z.output<typeof MetricsConfig>;
