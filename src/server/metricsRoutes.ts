/**
 * Routes the `metrics` sink serves (docs/api.md): the dashboard stream, `/api/metrics/realtime`,
 * `/api/metrics/aggregated`, `/api/alerts`, `/api/variables` and Prometheus `/metrics`. None is
 * public: with `server.token` set they need it (the stream as `?token=`).
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type {
  AggregatedResponse,
  AlertsResponse,
  ApiError,
  MetricPoint,
  VariableView,
} from './dashboardWire.js';
import { DASHBOARD_STREAM_PATH } from './dashboardWire.js';

/** What the routes read from the sink. */
export interface MetricsEndpoints {
  accept(ws: WebSocket): void;
  realtime(): readonly MetricPoint[];
  alerts(): AlertsResponse;
  variables(): Promise<readonly VariableView[]>;
  aggregated(): Promise<AggregatedResponse>;
  readonly prometheus: { readonly contentType: string; scrape(): Promise<string> } | undefined;
}

/** Paths of the routes, for the API's "no metrics sink" answers. */
export const METRICS_SINK_PATHS = [
  DASHBOARD_STREAM_PATH,
  '/api/metrics/realtime',
  '/api/metrics/aggregated',
  '/api/alerts',
  '/api/variables',
  '/metrics',
] as const;

function unavailable(what: string, err: unknown): ApiError {
  return { error: 'unavailable', message: `${what} could not be read: ${err instanceof Error ? err.message : String(err)}` };
}

export function metricsRoutes(sink: MetricsEndpoints) {
  return (app: FastifyInstance): void => {
    app.get(DASHBOARD_STREAM_PATH, { websocket: true }, (socket: WebSocket) => sink.accept(socket));
    app.get('/api/metrics/realtime', async () => sink.realtime());
    app.get('/api/alerts', async () => sink.alerts());
    app.get('/api/variables', async (_request, reply) => {
      try {
        return await sink.variables();
      } catch (err) {
        return reply.code(503).send(unavailable('Variables', err));
      }
    });
    app.get('/api/metrics/aggregated', async (_request, reply) => {
      try {
        return await sink.aggregated();
      } catch (err) {
        return reply.code(503).send(unavailable('The instance registry', err));
      }
    });
    app.get('/metrics', async (_request, reply) => {
      const prometheus = sink.prometheus;
      if (!prometheus) {
        const body: ApiError = { error: 'not_found', message: 'Prometheus is off: set `prometheus: true` on the metrics sink.' };
        return reply.code(404).send(body);
      }
      const text = await prometheus.scrape();
      return reply.type(prometheus.contentType).header('cache-control', 'no-store').send(text);
    });
  };
}
