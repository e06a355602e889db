/**
 * The `metrics` sink's preview: what a dashboard connected to its stream (`/api/stream`)
 * receives after its `hello`, from the sink's own hub (hub.ts), which also keeps the state
 * `/api/metrics/realtime` and Prometheus serve and counts drops as the sink does.
 */
import type { SchedulerAction, Subscription } from 'rxjs';
import type { ComponentContext, PreviewEmit, SinkPreview } from '../../core/component.js';
import type { ChatflowEvent } from '../../core/events.js';
import type { MetricsConfig } from './config.js';
import { alertView, MetricsHub, metricsEventKey } from './hub.js';

/**
 * `{ type: 'alert', alert }` for each alert, at once; `{ type: 'variables', variables }` (every
 * variable) after a batch with control changes; `{ type: 'metrics', ts, metrics }` (the latest
 * point of every series) every `stream_every` when a sample came in since the last one, as the
 * stream sends them (without the graph view it carries along). Other kinds are counted
 * `not_shown`, a series beyond `max_series` `max_series`, as the hub counts them.
 */
export function metricsPreview(config: MetricsConfig, ctx: ComponentContext, emit: PreviewEmit): SinkPreview {
  const hub = new MetricsHub(
    {
      instance: config.instance ?? ctx.resources.instance,
      streamEveryMs: config.stream_every,
      maxSeries: config.max_series,
      alertHistory: config.alert_history,
      maxVariables: config.max_variables,
      pingIntervalMs: config.ping_interval,
      maxBufferedBytes: config.max_buffered_bytes,
      stuckTimeoutMs: config.stuck_timeout,
      maxClients: config.max_clients,
    },
    {
      graph: () => ({ nodes: [], edges: [] }),
      scheduler: ctx.scheduler,
      now: ctx.wallClock,
      drops: ctx.metrics,
      logger: ctx.logger,
    },
  );
  let dirty = false;
  let tick: Subscription | undefined = ctx.scheduler.schedule(function (this: SchedulerAction<unknown>) {
    if (dirty) {
      dirty = false;
      emit({ type: 'metrics', ts: ctx.wallClock(), metrics: hub.state().metrics });
    }
    this.schedule(undefined, config.stream_every);
  }, config.stream_every);
  return {
    write: (batch: readonly ChatflowEvent[]) => {
      hub.publish(batch);
      let variables = false;
      for (const event of batch) {
        if (event.kind === 'metric') dirty = true;
        else if (event.kind === 'alert') emit({ type: 'alert', alert: alertView(event) });
        else if (event.kind === 'control') variables = true;
      }
      if (variables) emit({ type: 'variables', variables: hub.variables() });
    },
    stop: () => {
      tick?.unsubscribe();
      tick = undefined;
    },
    keyOf: metricsEventKey,
  };
}
