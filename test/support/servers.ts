/**
 * Throwaway Redis and PostgreSQL servers for integration tests, started with the same launcher
 * as `resources.*.url: embedded` (src/resources/embedded.ts), in a temp directory removed after.
 * A missing binary fails the test run, naming the package to install (never a skip, never a mock).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  embeddedAvailable,
  type EmbeddedServer,
  startEmbeddedPostgres,
  startEmbeddedRedis,
} from '../../src/resources/embedded.js';
import { migrate } from '../../src/resources/migrate.js';

export interface TestServer extends EmbeddedServer {
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

async function throwaway(kind: 'redis' | 'postgres'): Promise<TestServer> {
  if (!embeddedAvailable(kind)) {
    throw new Error(
      kind === 'redis'
        ? 'redis-server is not installed: apt-get install -y redis-server'
        : 'PostgreSQL 15 is not installed (initdb/pg_ctl): apt-get install -y postgresql-15 and put its bin/ on PATH',
    );
  }
  const root = await mkdtemp(join(tmpdir(), `chatflow-${kind}-`));
  // As root, Postgres runs as the postgres user, which must be able to traverse the temp dir.
  await chmod(root, 0o711);
  let server: EmbeddedServer;
  try {
    server =
      kind === 'redis' ? await startEmbeddedRedis(join(root, 'redis'), { persist: false }) : await startEmbeddedPostgres(join(root, 'pg'));
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return {
    ...server,
    stop: () => server.stop(),
    destroy: async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A fresh PostgreSQL with chatflow's migrations applied. */
export async function startTestPostgres(options: { migrate?: boolean } = {}): Promise<TestServer> {
  const server = await throwaway('postgres');
  if (options.migrate ?? true) await migrate(server.url);
  return server;
}

/** A fresh, non-persistent Redis. */
export function startTestRedis(): Promise<TestServer> {
  return throwaway('redis');
}
