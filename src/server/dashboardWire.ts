/**
 * What the dashboard and the HTTP API say to each other: the JSON of every `/api` route and of
 * the dashboard's WebSocket (`/api/stream`). The server (metrics sink, API routes) builds
 * these; `dashboard/dashboard.ts` reads them. Change both sides together.
 */
import type { AlertEvent, ControlOrigin, CumulativeHistogram, HistogramSummary, Platform, PlatformItem, Verdict } from '../core/events.js';
import type { NodeKind, NodeMetricsSnapshot, NodeStatus, PartHealth } from '../core/metrics.js';

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
  /** Beside a `summary`: the same measurements since the node started, in cumulative buckets (ms). */
  readonly histogram?: CumulativeHistogram;
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
  /** Who set it (a slewing value: who set the target it moves toward). */
  readonly by?: { readonly login: string; readonly platform: Platform };
  /** How it was set (a slewing value: the target's origin, never `slew`); absent from Redis. */
  readonly origin?: ControlOrigin;
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

/**
 * A moderation verdict (`/api/moderation`), from the `moderation_events` table. `text`, `login`
 * and `channel` come from chat: hostile, shown as text only.
 */
export interface ModerationView {
  readonly id: number;
  readonly platform: Platform;
  readonly channel: string;
  readonly login: string;
  /** `allow` in shadow mode (the reasons then end with `shadow`, `would_<verdict>`). */
  readonly verdict: Verdict;
  /** The rules that caught the message (`links`, `caps`, a regex rule's name…). */
  readonly reasons: readonly string[];
  /** The author's escalation points after this message. */
  readonly points: number;
  readonly text: string;
  /** Epoch ms of the chat message. */
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
    /** The services it talks to (the `chat` sink: each platform), when it reports them. */
    readonly parts?: readonly PartHealth[];
  }[];
}

/** One instance in `/api/metrics/aggregated` (from the Redis instance registry). */
export interface InstanceView {
  readonly instance: string;
  /** Epoch ms of its last heartbeat. */
  readonly lastSeen: number;
  readonly metrics: readonly MetricPoint[];
}

/** The channel activities the dashboard shows live (`twitch_events` platform events). */
export const CHANNEL_ACTIVITY_TYPES = ['poll', 'prediction', 'hype_train'] as const;
export type ChannelActivityType = (typeof CHANNEL_ACTIVITY_TYPES)[number];

/**
 * The latest state of a poll, a prediction or a hype train on one channel: the platform
 * event's `data` (with `phase`, `title`…) and `items` (choices, outcomes, top contributions),
 * as docs/twitch.md lists them. Titles and names come from Twitch viewers: shown as text only.
 */
export interface ChannelActivityView {
  readonly type: ChannelActivityType;
  readonly platform: Platform;
  readonly channel: string;
  readonly data: Readonly<Record<string, string | number | boolean | null>>;
  readonly items: readonly PlatformItem[];
  /** Epoch ms of the event. */
  readonly ts: number;
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
      /** The latest poll, prediction and hype train of each channel (none until one happens). */
      readonly channel: readonly ChannelActivityView[];
    }
  /** One `sample_metrics` tick (throttled by the sink), with the graph's live counts. */
  | {
      readonly type: 'metrics';
      readonly ts: number;
      readonly metrics: readonly MetricPoint[];
      readonly graph: GraphView;
    }
  | { readonly type: 'alert'; readonly alert: AlertView }
  | { readonly type: 'variables'; readonly variables: readonly VariableView[] }
  /** A poll, prediction or hype train changed: every activity held, as in hello. */
  | { readonly type: 'channel'; readonly channel: readonly ChannelActivityView[] };

// --- route responses (src/server/metricsRoutes.ts, src/server/apiRoutes.ts; docs/api.md) ------

/** `GET /api/alerts`: rules firing now (one per rule), and the recent changes, oldest first. */
export interface AlertsResponse {
  readonly active: readonly AlertView[];
  readonly recent: readonly AlertView[];
}

/** `GET /api/metrics/aggregated`: every live instance and each series summed across them. */
export interface AggregatedResponse {
  /** `redis`: from the instance registry; `local`: this process alone (no Redis, or it is down). */
  readonly source: 'redis' | 'local';
  readonly instances: readonly InstanceView[];
  readonly totals: {
    readonly instances: number;
    readonly series: readonly {
      readonly name: string;
      readonly labels: Readonly<Record<string, string>>;
      readonly value: number;
    }[];
  };
}

/** `GET /api/metrics/historical`: stored points, oldest first. */
export interface HistoricalResponse {
  readonly points: readonly MetricPoint[];
  /** More rows matched than `limit`; narrow the time range. */
  readonly truncated: boolean;
}

/** `GET /api/moderation`: recent verdicts, newest first, and counts over the whole window. */
export interface ModerationResponse {
  /** Epoch ms: the window is from here to now. */
  readonly since: number;
  /** The newest `limit` verdicts of the window. */
  readonly verdicts: readonly ModerationView[];
  /** More verdicts are in the window than `verdicts` holds. */
  readonly truncated: boolean;
  /** Every verdict of the window, not only those listed. */
  readonly counts: {
    readonly total: number;
    readonly byVerdict: Readonly<Partial<Record<Verdict, number>>>;
    /** A verdict with two reasons counts once under each. */
    readonly byReason: Readonly<Record<string, number>>;
  };
}

/** `GET /api/performance`. */
export interface PerformanceView {
  readonly instance: string;
  /** End-to-end latency (`receivedAt` to arrival) at each sink, ms. */
  readonly sinks: readonly { readonly id: string; readonly type: string; readonly latencyMs: HistogramSummary }[];
  /** Time spent inside each source/operator per event (sampled), ms. */
  readonly nodes: readonly {
    readonly id: string;
    readonly kind: NodeKind;
    readonly type: string;
    readonly processingMs: HistogramSummary;
  }[];
  /** Event-loop delay since start, ms. */
  readonly eventLoopLagMs: { readonly mean: number; readonly p50: number; readonly p99: number; readonly max: number };
  /** `process.memoryUsage()`, bytes. */
  readonly memory: {
    readonly rss: number;
    readonly heapUsed: number;
    readonly heapTotal: number;
    readonly external: number;
  };
}

/** `GET /api/stats`. */
export interface StatsView {
  readonly instance: string;
  readonly uptimeS: number;
  /** Chat messages in (events out of sources), in total and per platform (source type). */
  readonly messages: { readonly total: number; readonly byPlatform: Readonly<Record<string, number>> };
  /** Commands recognised by `parse_command` nodes (command ports, not `_` side ports). */
  readonly commands: { readonly total: number; readonly byName: Readonly<Record<string, number>> };
  /** Distinct chatters in the last `windowS` seconds, from PostgreSQL; `null` without it. */
  readonly activeChatters: { readonly count: number; readonly windowS: number } | null;
}

/** `POST /api/control/:verb`. */
export interface ControlResponse {
  readonly verb: 'pause' | 'resume' | 'panic';
  /** Control nodes that received it. */
  readonly reached: number;
}

/** Every error body of the API (401, 404, 409, 429, 503…). */
export interface ApiError {
  readonly error: string;
  readonly message: string;
}
