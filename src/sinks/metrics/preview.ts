/**
 * The `metrics` sink's preview: what it publishes for each event, in the dashboard's own views
 * (hub.ts): a metric sample as the point `/api/metrics/realtime` and the stream serve, an alert
 * as sent to the dashboard and published on Redis, a control change as the variable shown.
 */
import type { ComponentContext, PreviewEmit, SinkPreview } from '../../core/component.js';
import type { ChatflowEvent } from '../../core/events.js';
import type { MetricsConfig } from './config.js';
import { alertView, metricPoint, metricsEventKey, seriesKey, variableView } from './hub.js';

/**
 * `{ metric }`, `{ alert }` or `{ variable }` per event; other kinds are counted `not_shown`,
 * a non-finite variable `invalid_value`, a series beyond `max_series` `max_series`, as the hub
 * counts them.
 */
export function metricsPreview(config: MetricsConfig, ctx: ComponentContext, emit: PreviewEmit): SinkPreview {
  const series = new Set<string>();
  return {
    write: (batch: readonly ChatflowEvent[]) => {
      for (const event of batch) {
        switch (event.kind) {
          case 'metric': {
            const key = seriesKey(event.name, event.labels);
            if (!series.has(key) && series.size >= config.max_series) {
              ctx.metrics.drop('max_series', false);
              break;
            }
            series.add(key);
            emit({ metric: metricPoint(event) });
            break;
          }
          case 'alert':
            emit({ alert: alertView(event) });
            break;
          case 'control':
            if (Number.isFinite(event.value)) emit({ variable: variableView(event, ctx.wallClock()) });
            else ctx.metrics.drop('invalid_value', false);
            break;
          default:
            ctx.metrics.drop('not_shown', true);
        }
      }
    },
    keyOf: metricsEventKey,
  };
}
