/**
 * The repo's default pipeline.yaml as the benches run it: every sink on (console into nothing,
 * osc to a receiver that listens, overlay and metrics on a real HTTP server, redis_state and
 * postgres on private embedded servers), its `simulate` source at a fixed offered rate, with
 * the few edits a bench needs (fresh ids, the OSC message carrying `receivedAt`, metrics off,
 * the postgres sink off or replaced by a null sink).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { type Document, isMap, parseDocument, type YAMLMap } from 'yaml';
import { defaultRegistry } from '../src/components.js';
import type { Resources } from '../src/core/component.js';
import { silentLogger } from '../src/core/logger.js';
import type { NodeMetricsSnapshot } from '../src/core/metrics.js';
import type { Registry } from '../src/core/registry.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { type StopReport, startPipeline } from '../src/pipelines/run.js';
import { startEmbeddedPostgres, startEmbeddedRedis } from '../src/resources/embedded.js';
import { migrate } from '../src/resources/migrate.js';
import { createHttpServer } from '../src/server/httpServer.js';

export interface GraphEdits {
  /** Messages/s offered by `demo`, or `max`. */
  readonly rate: number | 'max';
  /** Messages in all (the source then ends); unbounded when absent. */
  readonly count?: number;
  /** Simulate's seed: its message ids are `sim-<seed>-<n>`, so a new seed is a new set of ids. */
  readonly seed: number;
  readonly users?: number;
  /** Simulate's command templates (its default when absent). */
  readonly commands?: readonly string[];
  /** Where the osc sink sends. */
  readonly oscTarget: string;
  /** Append the chat message's `receivedAt` (float64) to each OSC message, for a receiver to time. */
  readonly oscCarriesReceivedAt?: boolean;
  /**
   * `false`: without its `sample_metrics` node(s) and `metrics` sink (and their ports elsewhere).
   * `stand_in`: as `false`, but each `sample_metrics` node replaced by a `filter` on the same
   * inputs that drops every event (one predicate and one counter per event): what any node reading
   * those events costs, however little it does with them.
   */
  readonly metrics: boolean | 'stand_in';
  /** `off`: the postgres sink taken out; `null`: replaced by a blackhole with the same inputs. */
  readonly postgres: 'on' | 'off' | 'null';
}

/** pipeline.yaml's text, edited as `edits` say. */
export function defaultGraphText(source: string, edits: GraphEdits): string {
  const doc: Document = parseDocument(source);
  const section = (name: string) => {
    const node = doc.get(name);
    return isMap(node) ? (node as YAMLMap<unknown, unknown>) : undefined;
  };
  const typeOf = (pair: { value: unknown }) => (pair.value as YAMLMap).get('type');
  for (const pair of section('sources')?.items ?? []) {
    const node = pair.value as YAMLMap<unknown, unknown>;
    if (node.get('type') !== 'simulate') continue;
    node.set('rate', edits.rate === 'max' ? 'max' : `${edits.rate}/s`);
    node.set('seed', edits.seed);
    if (edits.count !== undefined) node.set('count', edits.count);
    if (edits.users !== undefined) node.set('users', edits.users);
    if (edits.commands !== undefined) node.set('commands', doc.createNode([...edits.commands]));
  }
  const operators = section('operators');
  const sinks = section('sinks');
  if (edits.metrics !== true) {
    const samplers = (operators?.items ?? []).filter((p) => typeOf(p) === 'sample_metrics');
    const stats = samplers.map((p) => String(p.key));
    for (const pair of samplers) {
      const inputs = (pair.value as YAMLMap<unknown, unknown>).toJSON().inputs as string[];
      if (edits.metrics === 'stand_in') operators?.set(pair.key, doc.createNode({ type: 'filter', inputs, not: {} }));
      else operators?.delete(pair.key);
    }
    for (const pair of [...(sinks?.items ?? [])]) {
      if (typeOf(pair) === 'metrics') {
        sinks?.delete(pair.key);
        continue;
      }
      const node = pair.value as YAMLMap<unknown, unknown>;
      const inputs = (node.toJSON().inputs as string[] | undefined) ?? [];
      const kept = inputs.filter((i) => !stats.includes(i.split('.')[0] as string));
      if (kept.length === 0) sinks?.delete(pair.key);
      else if (kept.length !== inputs.length) node.set('inputs', doc.createNode(kept));
    }
  }
  for (const pair of [...(sinks?.items ?? [])]) {
    const node = pair.value as YAMLMap<unknown, unknown>;
    if (typeOf(pair) === 'postgres' && edits.postgres === 'off') sinks?.delete(pair.key);
    else if (typeOf(pair) === 'postgres' && edits.postgres === 'null') {
      sinks?.set(pair.key, doc.createNode({ type: 'blackhole', inputs: node.toJSON().inputs }));
    } else if (typeOf(pair) === 'osc') {
      node.set('target', edits.oscTarget);
      if (edits.oscCarriesReceivedAt) {
        node.set(
          'args',
          doc.createNode([
            { type: 'f', value: '{{ value }}' },
            { type: 'd', value: '{{ receivedAt }}' },
          ]),
        );
      }
    }
  }
  return doc.toString();
}

export async function readDefaultPipeline(): Promise<string> {
  return readFile(new URL('../pipeline.yaml', import.meta.url), 'utf8');
}

/** Private redis-server and PostgreSQL (migrated) for the storage sinks. */
export interface BenchStorage {
  readonly resources: Pick<Resources, 'redis' | 'postgres'>;
  readonly postgresUrl: string;
  /** Empties every history table. */
  truncate(): Promise<void>;
  /** Rows in `chat_messages`. */
  chatRows(): Promise<number>;
  /** The postmaster's process id (from its data directory's postmaster.pid), undefined when unreadable. */
  postmasterPid(): number | undefined;
  stop(): Promise<void>;
}

export async function startBenchStorage(root: string): Promise<BenchStorage> {
  const redis = await startEmbeddedRedis(join(root, 'redis'));
  const postgres = await startEmbeddedPostgres(join(root, 'pg'));
  await migrate(postgres.url);
  const query = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => {
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    try {
      return (await db.query<T>(sql)).rows;
    } finally {
      await db.end();
    }
  };
  return {
    resources: { redis: { url: redis.url }, postgres: { url: postgres.url } },
    postgresUrl: postgres.url,
    truncate: async () => {
      const tables = await query<{ name: string }>(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '%migrations%' AND tablename NOT LIKE 'raw_copy_%'",
      );
      if (tables.length > 0) await query(`TRUNCATE ${tables.map((t) => `"${t.name}"`).join(', ')}`);
    },
    chatRows: async () => Number((await query<{ n: string }>('SELECT count(*) AS n FROM chat_messages'))[0]?.n ?? 0),
    postmasterPid: () => {
      try {
        const pid = Number(readFileSync(join(postgres.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
      } catch {
        return undefined;
      }
    },
    stop: async () => {
      await redis.stop();
      await postgres.stop();
    },
  };
}

export interface RunningGraph {
  snapshot(): Map<string, NodeMetricsSnapshot>;
  stop(): Promise<StopReport>;
}

/** Loads and starts a pipeline text written to `root`, with an HTTP server on a free port. */
export async function startGraph(
  text: string,
  options: {
    readonly root: string;
    readonly name: string;
    readonly storage?: Pick<BenchStorage, 'resources'>;
    readonly registry?: Registry;
  },
): Promise<RunningGraph> {
  const { writeFile } = await import('node:fs/promises');
  const file = join(options.root, `${options.name}.yaml`);
  await writeFile(file, text);
  const env = { CHATFLOW_LISTEN: '127.0.0.1:0', REDIS_URL: 'off', DATABASE_URL: 'off' };
  const graph = loadPipeline(file, { registry: options.registry ?? defaultRegistry(), env });
  const logger = silentLogger();
  const http = createHttpServer({ listen: '127.0.0.1:0', token: '' }, logger);
  const runtime = await startPipeline(graph, {
    logger,
    wallClock: Date.now,
    resources: {
      baseDir: options.root,
      instance: 'bench',
      http,
      // The `show` console sink's lines go nowhere.
      stdout: new Writable({ write: (_chunk, _encoding, done) => done() }),
      ...options.storage?.resources,
    },
  });
  await http.listen();
  return {
    snapshot: () => new Map(runtime.snapshot().map((n) => [n.id, n])),
    stop: async () => {
      const report = await runtime.stop();
      await http.close();
      return report;
    },
  };
}

/** A node's unintentional drops (events it could not keep), by reason. */
export function losses(node: NodeMetricsSnapshot | undefined): Record<string, number> {
  return Object.fromEntries(
    Object.entries(node?.dropped ?? {})
      .filter(([, d]) => !d.intentional)
      .map(([reason, d]) => [reason, d.count]),
  );
}

export const sumOf = (counts: Readonly<Record<string, number>>): number => Object.values(counts).reduce((a, b) => a + b, 0);
