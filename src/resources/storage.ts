/**
 * Resolves `resources.redis.url` / `resources.postgres.url` for a run: a URL is used as it is,
 * `embedded` starts a private server under `.chatflow/` (when its binaries exist), `off` is off.
 * A server that is needed but not available turns its sinks off with one loud warning; the
 * pipeline runs on. Postgres migrations are applied before the sinks start.
 */
import { join } from 'node:path';
import type { Resources } from '../core/component.js';
import type { Logger } from '../core/logger.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import { readStoredVariables } from '../sinks/redisState.js';
import { embeddedAvailable, type EmbeddedServer, startEmbeddedPostgres, startEmbeddedRedis } from './embedded.js';
import { migrate } from './migrate.js';

export type ResourceKind = 'redis' | 'postgres';

/** The storage servers of one run. */
export interface Storage {
  /** To spread into {@link Resources}: only the servers that are available. */
  readonly resources: Pick<Resources, 'redis' | 'postgres' | 'restoredVariables'>;
  /** Stops the embedded servers this run started; idempotent. */
  close(): Promise<void>;
}

const REDIS_SINKS = new Set(['redis_state', 'metrics']);
const POSTGRES_SINKS = new Set(['postgres']);

/** Which servers the enabled nodes of a graph use. */
export function resourcesNeeded(graph: PipelineGraph): Record<ResourceKind, boolean> {
  const needs = { redis: false, postgres: false };
  for (const node of graph.nodes.values()) {
    if (!node.enabled) continue;
    if (node.kind === 'sink' && POSTGRES_SINKS.has(node.type)) needs.postgres = true;
    if (node.kind === 'sink' && REDIS_SINKS.has(node.type)) needs.redis = true;
    if (node.kind === 'operator' && node.config.scope === 'redis') needs.redis = true;
  }
  return needs;
}

export interface OpenStorageOptions {
  /** Directory `.chatflow/` is created in (the pipeline file's). */
  readonly baseDir: string;
  readonly logger: Logger;
  /** Which servers are needed (default: {@link resourcesNeeded} of the graph). */
  readonly needs?: Record<ResourceKind, boolean>;
  /**
   * Cancels the start (a signal during start-up): a server starting is killed, one started is
   * stopped, and the result holds no servers (check `signal.aborted`).
   */
  readonly signal?: AbortSignal;
}

/**
 * Starts or connects the servers a graph needs. Never throws for an unavailable server: its
 * sinks are off and a warning says so once.
 */
export async function openStorage(graph: PipelineGraph, options: OpenStorageOptions): Promise<Storage> {
  const log = options.logger.child({ component: 'resources' });
  const needs = options.needs ?? resourcesNeeded(graph);
  const started: EmbeddedServer[] = [];
  const resources: {
    redis?: { url: string };
    postgres?: { url: string };
    restoredVariables?: ReadonlyMap<string, number>;
  } = {};

  const resolveUrl = async (kind: ResourceKind): Promise<string | undefined> => {
    const setting = graph.settings.resources[kind].url;
    if (!needs[kind] || setting === 'off') return undefined;
    if (setting !== 'embedded') return setting;
    if (!embeddedAvailable(kind)) {
      log.warn(
        { resource: kind, install: kind === 'redis' ? 'redis-server' : 'npm install (or postgresql-15)' },
        'Embedded server binaries not found; the sinks that need this server are off.',
      );
      return undefined;
    }
    const dir = join(options.baseDir, '.chatflow', kind);
    const signal = options.signal;
    if (signal?.aborted) return undefined;
    const cancel = signal ? { signal } : {};
    try {
      const server = kind === 'redis' ? await startEmbeddedRedis(dir, cancel) : await startEmbeddedPostgres(dir, cancel);
      started.push(server);
      log.info({ resource: kind, port: server.port, dir }, 'Embedded server started.');
      return server.url;
    } catch (err) {
      if (!signal?.aborted) {
        log.warn({ err, resource: kind, dir }, 'Embedded server failed to start; the sinks that need it are off.');
      }
      return undefined;
    }
  };

  const stopStarted = () => Promise.all(started.map((s) => s.stop())).then(() => undefined);
  const [redisUrl, postgresUrl] = await Promise.all([resolveUrl('redis'), resolveUrl('postgres')]);
  if (options.signal?.aborted) {
    await stopStarted();
    return { resources: {}, close: async () => {} };
  }
  if (redisUrl !== undefined) {
    resources.redis = { url: redisUrl };
    // `restore: true`: control operators start from the last stored values (read once, here,
    // because components are created synchronously).
    const restoring = [...graph.nodes.values()].find(
      (n) => n.enabled && n.kind === 'sink' && n.type === 'redis_state' && n.config.restore === true,
    );
    if (restoring) {
      const prefix = typeof restoring.config.prefix === 'string' ? restoring.config.prefix : 'chatflow:';
      resources.restoredVariables = await readStoredVariables(redisUrl, prefix);
      log.info({ variables: resources.restoredVariables.size }, 'Variables restored from Redis.');
    }
  }
  if (postgresUrl !== undefined) {
    try {
      const result = await migrate(postgresUrl);
      if (result.applied.length > 0) log.info({ applied: result.applied }, 'Database migrations applied.');
      resources.postgres = { url: postgresUrl };
    } catch (err) {
      log.warn({ err, resource: 'postgres' }, 'PostgreSQL is not reachable or not migrated; the postgres sinks are off.');
    }
  }

  let closing: Promise<void> | undefined;
  return {
    resources,
    close: () => {
      closing ??= stopStarted();
      return closing;
    },
  };
}
