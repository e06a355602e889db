/**
 * The runtime's own HTTP API (docs/api.md), registered by `chatflow run` once the pipeline is
 * built, whether or not it has a `metrics` sink: `/health`, `/api/graph`, `/api/performance`,
 * `/api/stats`, `/api/metrics/historical`, `/api/questions` (+ mark answered), `/api/moderation`
 * and `/api/control/pause|resume|panic`. The routes only the `metrics` sink can answer answer 404
 * with what to add when it is missing.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HistogramSummary } from '../core/events.js';
import pg from 'pg';
import type { PipelineView } from '../core/pipelineView.js';
import { BUS_VERBS, type BusVerb, type ControlBus } from '../core/controlBus.js';
import type { Logger } from '../core/logger.js';
import type { NodeMetricsSnapshot, NodeStatus } from '../core/metrics.js';
import {
  historicalQuery,
  type ModerationCountRow,
  type ModerationRow,
  moderationCounts,
  moderationCountsQuery,
  moderationListQuery,
  moderationRow,
  parseHistoricalQuery,
  parseModerationQuery,
  questionRow,
  type QuestionRow,
} from './apiQueries.js';
import type {
  ApiError,
  ControlResponse,
  HealthView,
  HistoricalResponse,
  MetricPoint,
  ModerationResponse,
  PerformanceView,
  QuestionView,
  StatsView,
} from './dashboardWire.js';
import { graphView } from './graphView.js';
import { METRICS_SINK_PATHS } from './metricsRoutes.js';

/** What the API needs of the process. */
export interface ApiDeps {
  readonly pipeline: PipelineView;
  readonly instance: string;
  /** Carries `POST /api/control/*` to the control nodes. */
  readonly controlBus: ControlBus;
  /** `resources.postgres.url`, when there is a database. */
  readonly postgresUrl?: string;
  /** Monotonic clock (ms), the runtime's (`startedAt` is on it). */
  readonly clock?: () => number;
  /** Wall time in epoch ms, for the history queries' default window (the CLI passes `Date.now`). */
  readonly wallClock: () => number;
  readonly logger: Logger;
}

/** Source and sink states that make `/health` answer 503. */
const UNHEALTHY: ReadonlySet<NodeStatus> = new Set(['connecting', 'reconnecting', 'stale', 'failed']);
/** The window of `activeChatters` in `/api/stats`. */
const ACTIVE_WINDOW_S = 300;

function apiError(reply: FastifyReply, code: number, error: string, message: string): FastifyReply {
  const body: ApiError = { error, message };
  return reply.code(code).send(body);
}

/**
 * `/health` from node snapshots: degraded when an enabled source or sink is not up. A sink's
 * parts (the chat sink's platforms) are shown, not judged: a platform nobody signed in to is
 * the user's choice, not an outage.
 */
export function healthView(instance: string, uptimeS: number, nodes: readonly NodeMetricsSnapshot[]): HealthView {
  const sources = nodes.filter((n) => n.kind === 'source').map((n) => ({ id: n.id, type: n.type, status: n.status }));
  const sinks = nodes
    .filter((n) => n.kind === 'sink')
    .map((n) => ({ id: n.id, type: n.type, status: n.status, bufferDepth: n.bufferDepth, ...(n.parts === undefined ? {} : { parts: n.parts }) }));
  const bad = [...sources, ...sinks].some((n) => UNHEALTHY.has(n.status));
  return { status: bad ? 'degraded' : 'ok', instance, uptimeS, sources, sinks };
}

/** `/api/stats` counts from node snapshots (activeChatters filled by the caller). */
export function statsCounts(nodes: readonly NodeMetricsSnapshot[]): Pick<StatsView, 'messages' | 'commands'> {
  const byPlatform: Record<string, number> = {};
  let messages = 0;
  const byName: Record<string, number> = {};
  let commands = 0;
  for (const node of nodes) {
    if (node.kind === 'source') {
      const n = node.eventsOut[''] ?? 0;
      messages += n;
      byPlatform[node.type] = (byPlatform[node.type] ?? 0) + n;
    } else if (node.roles?.commandPorts) {
      for (const [port, n] of Object.entries(node.eventsOut)) {
        if (port === '' || port.startsWith('_')) continue;
        commands += n;
        byName[port] = (byName[port] ?? 0) + n;
      }
    }
  }
  return { messages: { total: messages, byPlatform }, commands: { total: commands, byName } };
}

/** The API's routes; see the module comment. */
export function apiRoutes(deps: ApiDeps) {
  const clock = deps.clock ?? (() => performance.now());
  const log = deps.logger.child({ component: 'api' });
  const pipeline = deps.pipeline;
  const hasMetricsSink = [...pipeline.graph.nodes.values()].some((n) => n.type === 'metrics' && n.enabled);
  const uptimeS = () => Math.max(0, Math.round((clock() - pipeline.startedAt) / 1000));

  return (app: FastifyInstance): void => {
    let pool: pg.Pool | undefined;
    const db = (): pg.Pool | undefined => {
      if (deps.postgresUrl === undefined) return undefined;
      if (!pool) {
        pool = new pg.Pool({
          connectionString: deps.postgresUrl,
          application_name: 'chatflow-api',
          max: 2,
          idleTimeoutMillis: 10_000,
          connectionTimeoutMillis: 2_000,
        });
        pool.on('error', () => {}); // an idle client's lost connection; the next query reconnects
      }
      return pool;
    };
    const noDatabase = (reply: FastifyReply, err?: unknown) => {
      if (err !== undefined) log.debug({ err }, 'API query failed.');
      return apiError(
        reply,
        503,
        'postgres_unavailable',
        deps.postgresUrl === undefined
          ? 'No PostgreSQL: set resources.postgres.url (or install PostgreSQL for `embedded`).'
          : `PostgreSQL did not answer: ${err instanceof Error ? err.message : 'unknown error'}.`,
      );
    };
    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    app.addHook('onClose', async () => {
      lag.disable();
      await pool?.end().catch(() => undefined);
    });

    app.get('/health', async (_request, reply) => {
      const view = healthView(deps.instance, uptimeS(), pipeline.snapshot());
      return reply.code(view.status === 'ok' ? 200 : 503).send(view);
    });

    app.get('/api/graph', async () => graphView(pipeline.graph, pipeline.snapshot()));

    app.get('/api/performance', async (): Promise<PerformanceView> => {
      const nodes = pipeline.snapshot();
      const memory = process.memoryUsage();
      const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
      return {
        instance: deps.instance,
        sinks: nodes.filter((n) => n.kind === 'sink').map((n) => ({ id: n.id, type: n.type, latencyMs: n.latencyMs })),
        nodes: nodes
          .filter((n) => n.kind !== 'sink')
          .map((n) => ({ id: n.id, kind: n.kind, type: n.type, processingMs: n.processingMs })),
        eventLoopLagMs: { mean: ms(lag.mean), p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) },
        memory: { rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external },
      };
    });

    app.get('/api/stats', async (): Promise<StatsView> => {
      const counts = statsCounts(pipeline.snapshot());
      let activeChatters: StatsView['activeChatters'] = null;
      const pool = db();
      if (pool) {
        try {
          const { rows } = await pool.query<{ n: string }>(
            `SELECT count(DISTINCT (platform, author_login)) AS n FROM chat_messages WHERE ts > now() - make_interval(secs => $1)`,
            [ACTIVE_WINDOW_S],
          );
          activeChatters = { count: Number(rows[0]?.n ?? 0), windowS: ACTIVE_WINDOW_S };
        } catch (err) {
          log.debug({ err }, 'Active chatters could not be counted.');
        }
      }
      return { instance: deps.instance, uptimeS: uptimeS(), ...counts, activeChatters };
    });

    app.get('/api/metrics/historical', async (request, reply) => {
      const parsed = parseHistoricalQuery(request.query as Record<string, unknown>, deps.wallClock());
      if (!parsed.ok) return apiError(reply, 400, 'bad_request', parsed.message);
      const pool = db();
      if (!pool) return noDatabase(reply);
      try {
        const query = historicalQuery(parsed.value);
        const { rows } = await pool.query<{
          name: string;
          labels: Record<string, string>;
          value: number | null;
          summary: HistogramSummary | null;
          instance: string;
          ts: number;
        }>(query.text, query.values);
        const truncated = rows.length > parsed.value.limit;
        const points: MetricPoint[] = rows.slice(0, parsed.value.limit).map((r) => ({
          name: r.name,
          labels: r.labels,
          ...(r.value === null ? {} : { value: r.value }),
          ...(r.summary === null ? {} : { summary: r.summary }),
          instance: r.instance,
          ts: Number(r.ts),
        }));
        const body: HistoricalResponse = { points, truncated };
        return body;
      } catch (err) {
        return noDatabase(reply, err);
      }
    });

    app.get('/api/questions', async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const answered = q.answered === 'true' ? true : q.answered === 'false' ? false : null;
      if (q.answered !== undefined && answered === null) {
        return apiError(reply, 400, 'bad_request', '`answered` is true or false.');
      }
      const limit = q.limit === undefined ? 100 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        return apiError(reply, 400, 'bad_request', '`limit` is a whole number from 1 to 1000.');
      }
      const pool = db();
      if (!pool) return noDatabase(reply);
      try {
        const { rows } = await pool.query<QuestionRow>(
          `SELECT id, platform, channel, author_login, text, upvotes, answered,
                  (extract(epoch FROM ts) * 1000)::float8 AS ts
             FROM questions
            WHERE $1::boolean IS NULL OR answered = $1
            ORDER BY upvotes DESC, ts DESC
            LIMIT $2`,
          [answered, limit],
        );
        const questions: QuestionView[] = rows.map(questionRow);
        return questions;
      } catch (err) {
        return noDatabase(reply, err);
      }
    });

    app.post('/api/questions/:id/answer', async (request, reply) => {
      const id = (request.params as { id: string }).id;
      if (!/^[1-9][0-9]{0,17}$/.test(id)) return apiError(reply, 400, 'bad_request', 'A question id is a positive whole number.');
      const pool = db();
      if (!pool) return noDatabase(reply);
      try {
        const { rows } = await pool.query<QuestionRow>(
          `UPDATE questions SET answered = true, answered_at = coalesce(answered_at, now())
            WHERE id = $1
        RETURNING id, platform, channel, author_login, text, upvotes, answered,
                  (extract(epoch FROM ts) * 1000)::float8 AS ts`,
          [id],
        );
        const row = rows[0];
        if (!row) return apiError(reply, 404, 'not_found', `No question ${id}.`);
        return questionRow(row);
      } catch (err) {
        return noDatabase(reply, err);
      }
    });

    app.get('/api/moderation', async (request, reply) => {
      const parsed = parseModerationQuery(request.query as Record<string, unknown>, deps.wallClock());
      if (!parsed.ok) return apiError(reply, 400, 'bad_request', parsed.message);
      const pool = db();
      if (!pool) return noDatabase(reply);
      try {
        const list = moderationListQuery(parsed.value);
        const counts = moderationCountsQuery(parsed.value);
        const [listed, counted] = await Promise.all([
          pool.query<ModerationRow>(list.text, list.values),
          pool.query<ModerationCountRow>(counts.text, counts.values),
        ]);
        const body: ModerationResponse = {
          since: parsed.value.since,
          verdicts: listed.rows.slice(0, parsed.value.limit).map(moderationRow),
          truncated: listed.rows.length > parsed.value.limit,
          counts: moderationCounts(counted.rows),
        };
        return body;
      } catch (err) {
        return noDatabase(reply, err);
      }
    });

    app.post('/api/control/:verb', async (request, reply) => {
      const verb = (request.params as { verb: string }).verb;
      if (!(BUS_VERBS as readonly string[]).includes(verb)) {
        return apiError(reply, 404, 'not_found', `Unknown control action "${verb}"; use pause, resume or panic.`);
      }
      const reached = deps.controlBus.send({ verb: verb as BusVerb, source: 'api' });
      if (reached === 0) {
        return apiError(reply, 409, 'no_control_node', `No control node is running; nothing was done.`);
      }
      log.info({ verb, reached }, 'Control action from the API.');
      const body: ControlResponse = { verb: verb as BusVerb, reached };
      return body;
    });

    if (!hasMetricsSink) {
      for (const path of METRICS_SINK_PATHS) {
        app.get(path, async (_request, reply) =>
          apiError(
            reply,
            404,
            'no_metrics_sink',
            `${path} is served by a \`metrics\` sink, and this pipeline has none: add \`metrics: { type: metrics, inputs: [stats] }\` fed by a sample_metrics node.`,
          ),
        );
      }
    }
  };
}
