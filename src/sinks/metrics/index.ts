/** The `metrics` sink's registry record: the dashboard stream, Prometheus and Redis metrics (the sink is in metrics.ts). */
import { defineSink } from '../../core/component.js';
import { PipelineError } from '../../core/errors.js';
import { createRedis } from '../../resources/redisClient.js';
import { graphView } from '../../server/graphView.js';
import { MetricsConfig } from './config.js';
import { MetricsSink } from './metrics.js';
import { metricsPreview } from './preview.js';

export const metricsComponent = defineSink({
  type: 'metrics',
  summary: 'Streams metrics, alerts and variables to the dashboard, serves /api/metrics and Prometheus /metrics, and registers the instance in Redis.',
  description:
    'Wire `sample_metrics` into it (and `control` nodes, for the dashboard\'s variables; and `twitch_events`, for its live polls, predictions and hype train). Serves the dashboard\'s WebSocket (`/api/stream`: `hello`, then `metrics` at most every `stream_every`, `alert` and `channel` as they happen, `variables` at most every 100 ms), `/api/metrics/realtime`, `/api/metrics/aggregated`, `/api/alerts`, `/api/variables` and `/metrics` (Prometheus text, `chatflow_` names). With `resources.redis`, every `heartbeat` it writes its latest metrics to `<prefix>metrics:<instance>` (expiring after `instance_ttl`) and refreshes `<prefix>instances`, so the aggregate shows every live instance; alerts are published on `<prefix>alerts`. Redis down: counted as `redis_failed`, everything else goes on, and the next heartbeat after it is back rewrites the state. Alerts the runtime raises by itself (`data_loss:<node>`: a node losing events, whatever the `sample_metrics` rules say) are shown and published the same way. History is the job of a `postgres` sink: feed it a `sample_metrics` node (the default pipeline samples every 10 s for it) and `/api/metrics/historical` reads it back. See docs/api.md.',
  config: MetricsConfig,
  driver: { batchTimeoutMs: 0, whenFull: 'latest_per_key', bufferMax: 20_000, batchMax: 1000 },
  examples: ['stream_every: 1s', 'instance: studio-a\nheartbeat: 1s\ninstance_ttl: 5s\nprometheus: false'],
  needs: () => ['redis'],
  create: (config, ctx) => {
    const http = ctx.resources.http;
    if (!http) {
      throw new PipelineError('ERR_RESOURCE', 'config', `Sink "${ctx.id}" needs the HTTP server, and this process has none.`, {
        node: ctx.id,
      });
    }
    const pipeline = ctx.resources.pipeline;
    const url = ctx.resources.redis?.url;
    return new MetricsSink(ctx.id, config, {
      http,
      instance: ctx.resources.instance,
      ...(pipeline ? { graph: () => graphView(pipeline.graph, pipeline.snapshot()) } : {}),
      ...(pipeline?.alerts ? { runtimeAlerts: pipeline.alerts } : {}),
      ...(url === undefined ? {} : { redis: () => createRedis(url, `chatflow-${ctx.id}`) }),
      scheduler: ctx.scheduler,
      now: ctx.wallClock,
      drops: ctx.metrics,
      logger: ctx.logger,
    });
  },
  preview: metricsPreview,
});

export { MetricsConfig } from './config.js';
export { type MetricsDeps, MetricsSink } from './metrics.js';
