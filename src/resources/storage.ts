/**
 * Resolves `resources.redis.url` / `resources.postgres.url` for a run: a URL is used as it is,
 * `embedded` starts a private server under `.chatflow/` (when its binaries exist), `off` is off.
 * A server that is needed but not available turns its sinks off with one loud warning; the
 * pipeline runs on. Postgres migrations are applied before the sinks start.
 */
import { join } from 'node:path';
import type { PrepareContext, ResourceKind, Resources } from '../core/component.js';
import type { Logger } from '../core/logger.js';
import type { PipelineGraph } from '../core/pipelineGraph.js';
import type { Provided } from '../core/services.js';
import { embeddedAvailable, type EmbeddedServer, startEmbeddedPostgres, startEmbeddedRedis } from './embedded.js';
import { migrate } from './migrate.js';

export type { ResourceKind } from '../core/component.js';

/** The storage servers of one run. */
export interface Storage {
  /** To spread into {@link Resources}: only the servers that are available. */
  readonly resources: Pick<Resources, 'redis' | 'postgres'>;
  /** What the nodes' `prepare` hooks returned, for `resources.services`. */
  readonly provided: readonly Provided[];
  /** Stops the embedded servers this run started; idempotent. */
  close(): Promise<void>;
}

/** Which servers the enabled nodes of a graph use (each definition's `needs`). */
export function resourcesNeeded(graph: PipelineGraph): Record<ResourceKind, boolean> {
  const needs = { redis: false, postgres: false };
  for (const node of graph.nodes.values()) {
    if (!node.enabled) continue;
    for (const kind of node.definition.needs?.(node.config) ?? []) needs[kind] = true;
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
  const resources: { redis?: { url: string }; postgres?: { url: string } } = {};

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
    return { resources: {}, provided: [], close: async () => {} };
  }
  if (redisUrl !== undefined) resources.redis = { url: redisUrl };
  if (postgresUrl !== undefined) {
    try {
      const result = await migrate(postgresUrl);
      if (result.applied.length > 0) log.info({ applied: result.applied }, 'Database migrations applied.');
      resources.postgres = { url: postgresUrl };
    } catch (err) {
      log.warn({ err, resource: 'postgres' }, 'PostgreSQL is not reachable or not migrated; the postgres sinks are off.');
    }
  }

  const provided = await prepareNodes(graph, { ...resources, logger: options.logger });

  let closing: Promise<void> | undefined;
  return {
    resources,
    provided,
    close: () => {
      closing ??= stopStarted();
      return closing;
    },
  };
}

/**
 * Runs the `prepare` hook of every enabled node that declares one (e.g. `redis_state`'s
 * `restore: true` reads the stored variables), once storage is up: components are created
 * synchronously, so what they need read from storage is read here. A hook that fails is
 * logged and provides nothing; the run goes on.
 */
async function prepareNodes(graph: PipelineGraph, ctx: PrepareContext): Promise<Provided[]> {
  const provided: Provided[] = [];
  for (const node of graph.nodes.values()) {
    if (!node.enabled || !node.definition.prepare) continue;
    const logger = ctx.logger.child({ component: node.id, kind: node.kind, type: node.type });
    try {
      provided.push(...(await node.definition.prepare(node.config, { ...ctx, logger })));
    } catch (err) {
      logger.warn({ err }, 'Preparing the node failed; it starts without what it would provide.');
    }
  }
  return provided;
}
