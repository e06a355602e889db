/**
 * Database migrations: the numbered SQL files of `migrations/` (`001_init.sql`, …), applied in
 * order, each in its own transaction, recorded in `schema_migrations`. A session-level advisory
 * lock serializes migrators, so two instances starting at once apply each file exactly once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PipelineError } from '../core/errors.js';

/** The migrations shipped with chatflow. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Arbitrary constant for `pg_advisory_lock`: "chatflow" in ASCII, as a bigint. */
const LOCK_KEY = '7163581046484115319';

const FILE_PATTERN = /^(\d+)_[\w-]+\.sql$/;

export interface MigrationFile {
  readonly version: string;
  readonly name: string;
  readonly path: string;
}

export interface MigrateResult {
  /** File names applied by this call, in order. */
  readonly applied: readonly string[];
  /** File names that were already applied. */
  readonly skipped: readonly string[];
}

/** The migration files of `dir`, ordered by number. */
export async function listMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => FILE_PATTERN.test(n));
  return names
    .map((name) => ({ version: (FILE_PATTERN.exec(name) as RegExpExecArray)[1] as string, name, path: join(dir, name) }))
    .sort((a, b) => Number(a.version) - Number(b.version));
}

/**
 * Applies every pending migration of `dir` (or only `only`, a file name or path) to the database
 * at `url`. Safe to run concurrently from several processes; a second run is a no-op.
 */
export async function migrate(url: string, options: { dir?: string; only?: string } = {}): Promise<MigrateResult> {
  let files = await listMigrations(options.dir);
  if (options.only !== undefined) {
    const wanted = basename(options.only);
    files = files.filter((f) => f.name === wanted);
    if (files.length === 0) throw new PipelineError('ERR_CONFIG_INVALID', 'config', `No migration named "${wanted}".`);
  }
  const client = new pg.Client({ connectionString: url, application_name: 'chatflow-migrate' });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new PipelineError('ERR_RESOURCE', 'config', 'Cannot connect to PostgreSQL to migrate.', { cause: err });
  }
  const applied: string[] = [];
  const skipped: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const file of files) {
      if (done.has(file.version)) {
        skipped.push(file.name);
        continue;
      }
      const sql = await readFile(file.path, 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [file.version, file.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new PipelineError('ERR_RESOURCE', 'config', `Migration ${file.name} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      applied.push(file.name);
    }
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
  } finally {
    await client.end().catch(() => {});
  }
  return { applied, skipped };
}
