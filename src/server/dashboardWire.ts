/**
 * What the dashboard and the HTTP API say to each other: the JSON of every `/api` route and of
 * the dashboard's WebSocket (`/api/stream`). The server (metrics sink, API routes) builds
 * these; `dashboard/dashboard.ts` reads them. Change both sides together.
 */
import type { AlertEvent, HistogramSummary, Platform } from '../core/events.js';
import type { NodeKind, NodeMetricsSnapshot, NodeStatus } from '../core/metrics.js';

/** The dashboard's WebSocket path; the token comes as `?token=` (browsers cannot set headers). */
export const DASHBOARD_STREAM_PATH = '/api/stream';
/** The dashboard page. */
export const DASHBOARD_PAGE_PATH = '/dashboard';

/** One measurement, as a `metric` event carries it, without `receivedAt`. */
export interface MetricPoint {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value?: number;
  readonly summary?: HistogramSummary;
  readonly instance: string;
  /** Epoch ms. */
  readonly ts: number;
}

/** An alert as the API and the stream show it (the `alert` event without kind and `receivedAt`). */
export type AlertView = Omit<AlertEvent, 'kind' | 'receivedAt'>;
export type AlertSeverity = AlertView['severity'];
export type AlertState = AlertView['state'];

/** A node of `/api/graph`, with its live counts. */
export interface GraphNodeView {
  readonly id: string;
  readonly kind: NodeKind;
  readonly type: string;
  readonly status: NodeStatus;
  readonly metrics: NodeMetricsSnapshot;
}

/** An edge of `/api/graph`: `from` (port `port`, '' for the default) feeds `to`. */
export interface GraphEdgeView {
  readonly from: string;
  readonly port: string;
  readonly to: string;
  /** Events sent over this edge so far (the `from` node's count for that port). */
  readonly count: number;
}

export interface GraphView {
  readonly nodes: readonly GraphNodeView[];
  readonly edges: readonly GraphEdgeView[];
}

/** An active control variable (`/api/variables`). */
export interface VariableView {
  readonly name: string;
  readonly value: number;
  readonly by?: { readonly login: string; readonly platform: Platform };
  /** Epoch ms of the last change. */
  readonly at: number;
}

/** A question from chat (`/api/questions`), from the `questions` table. */
export interface QuestionView {
  readonly id: number;
  readonly platform: Platform;
  readonly channel: string;
  readonly login: string;
  readonly text: string;
  readonly upvotes: number;
  readonly answered: boolean;
  /** Epoch ms. */
  readonly ts: number;
}

/** `/health`: 200 when every enabled source and sink is up, 503 otherwise. */
export interface HealthView {
  readonly status: 'ok' | 'degraded';
  readonly instance: string;
  readonly uptimeS: number;
  readonly sources: readonly { readonly id: string; readonly type: string; readonly status: NodeStatus }[];
  readonly sinks: readonly {
    readonly id: string;
    readonly type: string;
    readonly status: NodeStatus;
    readonly bufferDepth: number;
  }[];
}

/** One instance in `/api/metrics/aggregated` (from the Redis instance registry). */
export interface InstanceView {
  readonly instance: string;
  /** Epoch ms of its last heartbeat. */
  readonly lastSeen: number;
  readonly metrics: readonly MetricPoint[];
}

/** Messages on `/api/stream`, server to client. Clients send nothing. */
export type DashboardMessage =
  /** First message after connecting: everything needed to draw the page. */
  | {
      readonly type: 'hello';
      readonly instance: string;
      readonly graph: GraphView;
      readonly metrics: readonly MetricPoint[];
      readonly alerts: readonly AlertView[];
      readonly variables: readonly VariableView[];
    }
  /** One `sample_metrics` tick (throttled by the sink), with the graph's live counts. */
  | {
      readonly type: 'metrics';
      readonly ts: number;
      readonly metrics: readonly MetricPoint[];
      readonly graph: GraphView;
    }
  | { readonly type: 'alert'; readonly alert: AlertView }
  | { readonly type: 'variables'; readonly variables: readonly VariableView[] };
