/**
 * `chatflow run` with `resources: embedded` as a real process: it starts its own redis-server
 * and PostgreSQL under `.chatflow/`, migrates, stores chat and state, stops the servers with
 * the pipeline; the data directory is reused by `chatflow migrate` (nothing to apply) and by a
 * later launcher start (history persisted). `off` turns the sinks off with one warning.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { storedChat } from '../support/storedChat.js';
import { storagePipeline } from '../fixtures/storagePipeline.js';
import { startTestRedis } from '../support/servers.js';
import { tempDirs } from '../support/tempDirs.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());

/**
 * Redis's clock (ms; the clock of its throttle buckets) and how many keys match `ARGV[1]`,
 * read in one step: while none match, no take has happened yet.
 */
const TIME_AND_KEYS = `local t = redis.call('TIME')
return {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), #redis.call('KEYS', ARGV[1])}`;

async function project(resources: string): Promise<string> {
  const dir = await temp.make('chatflow-storage-run-', { traversable: true });
  await writeFile(join(dir, 'pipeline.yaml'), storagePipeline({ resources, rate: '300/s', users: 50 }));
  return dir;
}

describe('chatflow run with storage', () => {
  it('starts embedded servers, stores history, stops them, and keeps the data for the next run', async () => {
    const dir = await project('{}');
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
    await pipelinesStarted([run], 40_000);
    await new Promise((r) => setTimeout(r, 1500));
    const done = await stop(run);
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('Embedded server started.');
    expect(done.stderr).not.toContain('Embedded server failed');

    const migrate = chatflow(['migrate', 'pipeline.yaml'], { cwd: dir });
    const migrated = await migrate.finished;
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain('Migrations: 0 applied, 2 already applied.');

    const stored = await storedChat(join(dir, '.chatflow', 'postgres'));
    expect(stored.rows).toBeGreaterThan(100);
    expect(stored.distinctIds).toBe(stored.rows);
  });

  it('with resources off, the storage sinks are off and the run goes on', async () => {
    const dir = await project('{ redis: { url: "off" }, postgres: { url: "off" } }');
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
    await pipelinesStarted([run], 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const done = await stop(run);
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain('Embedded server started.');
    expect(done.stderr).toMatch(/resource_off/);
  });

  it('embedded without the binaries: the sinks are off, said once, and the run goes on', async () => {
    // PATH without redis-server (Postgres is off here: its tools are also found in Debian's
    // /usr/lib/postgresql/NN/bin, whatever PATH says).
    const dir = await project('{ postgres: { url: "off" } }');
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir, env: { PATH: '/nonexistent' } });
    await pipelinesStarted([run], 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const done = await stop(run);
    expect(done.code).toBe(0);
    const warnings = done.stderr.split('\n').filter((l) => l.includes('Embedded server binaries not found'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"level":40');
    expect(warnings[0]).toContain('"resource":"redis"');
  });

  it('two chatflow processes sharing one Redis bucket never exceed its rate together', async () => {
    const redisServer = await startTestRedis();
    try {
      const dir = await temp.make('chatflow-shared-bucket-');
      const pipeline = (seed: number) => `version: 1
resources: { redis: { url: "${redisServer.url}" }, postgres: { url: "off" } }
sources:
  demo: { type: simulate, rate: 300/s, users: 50, seed: ${seed} }
operators:
  fair: { type: throttle, inputs: [demo], per: global, rate: 5/s, burst: 5, scope: redis, exempt_roles: [] }
sinks:
  out: { type: file, inputs: [fair], path: out-${seed}.jsonl }
`;
      await writeFile(join(dir, 'a.yaml'), pipeline(1));
      await writeFile(join(dir, 'b.yaml'), pipeline(2));
      // The window in the bucket's own clock, Redis's: from the last moment no bucket existed
      // (before the first take) to the bucket's `at` when both have exited (the last take).
      const redis = new Redis(redisServer.url);
      const bucketClock = async () => (await redis.eval(TIME_AND_KEYS, 0, 'chatflow:throttle:fair:*')) as [number, number];
      let windowStart = (await bucketClock())[0];
      let watching = true;
      const firstTake = (async () => {
        const giveUp = Date.now() + 30_000;
        while (watching) {
          if (Date.now() > giveUp) throw new Error('No throttle bucket appeared in Redis.');
          const [now, buckets] = await bucketClock();
          if (buckets > 0) return;
          windowStart = now;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      try {
        const runs = ['a.yaml', 'b.yaml'].map((f) => chatflow(['run', f, '--quiet'], { cwd: dir }));
        await pipelinesStarted(runs, 20_000);
        await firstTake;
        await new Promise((r) => setTimeout(r, 2500));
        // On a loaded machine one process can lose every race for a token for a while: go on
        // until both have passed something (or 20 s), so the window shows them sharing it.
        const giveUp = Date.now() + 20_000;
        while (Date.now() < giveUp && (await Promise.all(['out-1.jsonl', 'out-2.jsonl'].map((f) => linesIn(join(dir, f))))).some((n) => n === 0)) {
          await new Promise((r) => setTimeout(r, 100));
        }
        const done = await Promise.all(runs.map(stop));
        expect(done.map((d) => d.code)).toEqual([0, 0]);
      } finally {
        watching = false;
        await firstTake;
      }
      const buckets = await redis.keys('chatflow:throttle:fair:*');
      const windowEnd = Number(await redis.hget(buckets[0] as string, 'at'));
      redis.disconnect();
      expect(buckets).toHaveLength(1);
      const counts = await Promise.all(
        ['out-1.jsonl', 'out-2.jsonl'].map(
          async (f) => (await readFile(join(dir, f), 'utf8')).split('\n').filter(Boolean).length,
        ),
      );
      const total = counts.reduce((sum, c) => sum + c, 0);
      // In the window from before the first take to the last (Redis's clock, the bucket's),
      // both processes together pass at most burst + rate·t; each alone would allow that much.
      const windowS = (windowEnd - windowStart) / 1000;
      expect(windowS).toBeGreaterThan(2.5);
      expect(total).toBeLessThanOrEqual(5 + Math.ceil(5 * windowS) + 1);
      expect(total).toBeGreaterThanOrEqual(5 + 5);
      expect(counts.every((c) => c > 0)).toBe(true);
    } finally {
      await redisServer.destroy();
    }
  });
});

/** Lines in `file` so far; 0 while it does not exist. */
async function linesIn(file: string): Promise<number> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
