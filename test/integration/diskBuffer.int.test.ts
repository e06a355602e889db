/**
 * The postgres sink's disk buffer against real PostgreSQL and a live source (the fake Twitch
 * server, which cannot be paused): PostgreSQL is held up by a `LOCK TABLE` in another session
 * while chat keeps coming, so the memory buffer fills and the rest spills to disk; when the
 * lock goes, the disk buffer drains and every message is stored once. Then the same with
 * `chatflow run` as a child process killed with SIGKILL while the disk buffer holds events: the
 * next run replays them and each is stored exactly once.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import { silentLogger } from '../../src/core/logger.js';
import type { NodeMetricsSnapshot } from '../../src/core/metrics.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { walkRecords } from '../../src/pipelines/sinkDriver/diskBuffer/records.js';
import { diskLines } from '../../dashboard/dashboardDisk.js';
import { freePort } from '../../src/resources/embedded.js';
import type { GraphView } from '../../src/server/dashboardWire.js';
import { FakeTwitchServer, privmsgLine } from '../fakes/twitchServer.js';
import { chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { until } from '../support/poll.js';
import { startTestPostgres, type TestServer } from '../support/servers.js';
import { tempDirs } from '../support/tempDirs.js';

const temp = tempDirs();
let postgres: TestServer;
let twitch: FakeTwitchServer;

beforeAll(async () => {
  [postgres, twitch] = await Promise.all([startTestPostgres(), FakeTwitchServer.start({ linesPerFrame: 50 })]);
}, 120_000);
afterAll(async () => {
  await twitch?.close();
  await postgres?.destroy();
  await temp.removeAll();
});

const pipeline = (channel: string, port?: number) => `version: 1
resources: { redis: { url: "off" }, postgres: { url: "${postgres.url}" } }
${port === undefined ? '' : `server: { listen: "127.0.0.1:${port}" }`}
sources:
  chat: { type: twitch, channels: [${channel}], server: "${twitch.url}" }
${port === undefined ? '' : 'operators:\n  stats: { type: sample_metrics, inputs: [chat], every: 200ms, process: false }'}
sinks:
  history: { type: postgres, inputs: [chat], kinds: [chat], buffer: { max_events: 200 }, batch: { max_events: 500, timeout: 20ms } }
${port === undefined ? '' : '  metrics: { type: metrics, inputs: [stats] }'}
`;

const line = (channel: string, prefix: string) => (n: number) =>
  privmsgLine(channel, { id: `${prefix}-${n}`, text: `message ${n} of a flood`, login: `viewer${n % 50}` });

async function stored(client: pg.Client, prefix: string): Promise<{ rows: number; distinct: number }> {
  const { rows } = await client.query<{ rows: string; distinct: string }>(
    `SELECT count(*) AS rows, count(DISTINCT message_id) AS distinct FROM chat_messages WHERE message_id LIKE $1`,
    [`${prefix}-%`],
  );
  return { rows: Number(rows[0]?.rows), distinct: Number(rows[0]?.distinct) };
}

/** Unintentional drops only (`kind_not_stored` is the sink leaving out what `kinds` excludes). */
function losses(snapshot: NodeMetricsSnapshot | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, d] of Object.entries(snapshot?.dropped ?? {})) if (!d.intentional) out[reason] = d.count;
  return out;
}

/** Holds `chat_messages` with an exclusive lock in its own session until `release()`. */
async function lockChat(): Promise<{ release: () => Promise<void> }> {
  const locker = new pg.Client({ connectionString: postgres.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE');
  let released = false;
  return {
    // Idempotent, so a `finally` can release it whatever happened.
    release: async () => {
      if (released) return;
      released = true;
      await locker.query('COMMIT');
      await locker.end();
    },
  };
}

/** The message ids in a disk buffer directory's segment files (what a restart replays). */
async function idsOnDisk(dir: string): Promise<string[]> {
  const ids: string[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
  } catch {
    return ids;
  }
  for (const name of names) {
    // The sink deletes a segment once it is written: one listed a moment ago may be gone.
    const buf = await readFile(join(dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (buf === undefined) continue;
    walkRecords(buf, 0, buf.length, false, {
      record: (start, end) => ids.push((JSON.parse(buf.toString('utf8', start, end)) as { id: string }).id),
      corrupt: () => {},
    });
  }
  return ids;
}

describe('disk buffer on real PostgreSQL with a live source', () => {
  it('a flood while PostgreSQL is held up: the disk buffer grows, then drains; every message stored once', async () => {
    const dir = await temp.make('chatflow-disk-live-');
    const file = join(dir, 'pipeline.yaml');
    await writeFile(file, pipeline('flood'));
    const running = await startPipeline(loadPipeline(file, { registry: defaultRegistry(), env: {} }), {
      logger: silentLogger(),
      resources: { baseDir: dir, instance: 'it', postgres: { url: postgres.url } },
    });
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    let lock: { release: () => Promise<void> } | undefined;
    try {
      await until('the source joined', () => twitch.live.some((c) => c.joined.has('flood')));
      const conn = twitch.live.find((c) => c.joined.has('flood')) as NonNullable<(typeof twitch.live)[number]>;
      // One message first, so the sink is connected (its staging tables made) before the lock.
      await twitch.pump(conn, line('flood', 'first'), 1);
      await until('the sink writes', async () => (await stored(client, 'first')).rows === 1);

      lock = await lockChat();
      const N = 20_000;
      await twitch.pump(conn, line('flood', 'live'), N);
      const history = () => running.metrics.get('history')?.snapshot();
      await until('the source received the flood', () => (running.metrics.get('chat')?.totalOut() ?? 0) >= N + 1);
      await until('the flood spilled to disk', () => (history()?.counts?.disk_buffer_spilled ?? 0) > 0);
      const held = history();
      // Memory holds 200 and one batch is stuck in the locked COPY: the rest waits on disk.
      expect(held?.gauges?.disk_buffer_events).toBeGreaterThan(N - 1000);
      expect(held?.gauges?.disk_buffer_bytes).toBeGreaterThan(N * 100);
      expect((await readdir(join(dir, '.chatflow', 'buffers', 'history'))).some((n) => n.endsWith('.seg'))).toBe(true);
      expect(losses(held)).toEqual({});

      await lock.release();
      await until('the disk buffer drained', async () => (await stored(client, 'live')).rows === N, { timeoutMs: 120_000 });
      const after = history();
      expect(await stored(client, 'live')).toEqual({ rows: N, distinct: N });
      expect(losses(after)).toEqual({});
      expect(after?.counts?.disk_buffer_drained).toBe(after?.counts?.disk_buffer_spilled);
      await until('the gauges back at zero', () => history()?.gauges?.disk_buffer_events === 0);
    } finally {
      await lock?.release();
      await client.end();
      await running.stop();
    }
    // Everything written and acknowledged: no segment left.
    expect(await idsOnDisk(join(dir, '.chatflow', 'buffers', 'history'))).toEqual([]);
  }, 180_000);

  it('kill -9 with a non-empty disk buffer: the next run stores every buffered message exactly once', async () => {
    const dir = await temp.make('chatflow-disk-kill-');
    const port = await freePort();
    await writeFile(join(dir, 'pipeline.yaml'), pipeline('killed', port));
    const buffers = join(dir, '.chatflow', 'buffers', 'history');
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    let lock: { release: () => Promise<void> } | undefined;
    try {
      const first = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
      await pipelinesStarted([first], 40_000);
      await until('the source joined', () => twitch.live.some((c) => c.joined.has('killed')));
      const conn = twitch.live.find((c) => c.joined.has('killed')) as NonNullable<(typeof twitch.live)[number]>;
      await twitch.pump(conn, line('killed', 'warm'), 1);
      await until('the sink writes', async () => (await stored(client, 'warm')).rows === 1, { detail: first.output });

      lock = await lockChat();
      const N = 5000;
      await twitch.pump(conn, line('killed', 'kill'), N);
      // Wait until the flood is on disk (all but what memory and the stuck batch hold).
      await until('the flood is on disk', async () => (await idsOnDisk(buffers)).length >= N - 1000, { detail: first.output });
      const onDisk = await idsOnDisk(buffers);
      // Its size is a metric: /metrics (chatflow_node_gauge, exposed as chatflow_node_value) and
      // the graph the dashboard draws its node cards from.
      const gauge = (text: string, name: string) => {
        const sample = text
          .split('\n')
          .find((l) => l.startsWith('chatflow_node_value{') && l.includes('node="history"') && l.includes(`name="${name}"`));
        return Number(sample?.split(' ').at(-1) ?? Number.NaN);
      };
      let scraped = '';
      await until(
        'the disk buffer on /metrics',
        async () => {
          scraped = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return gauge(scraped, 'disk_buffer_events') > 0;
        },
        { detail: () => scraped },
      );
      expect(gauge(scraped, 'disk_buffer_bytes')).toBeGreaterThan(0);
      const graph = (await (await fetch(`http://127.0.0.1:${port}/api/graph`)).json()) as GraphView;
      const card = graph.nodes.find((n) => n.id === 'history');
      expect(card?.metrics.gauges?.disk_buffer_events).toBeGreaterThan(0);
      expect(diskLines(card?.metrics.gauges)?.card).toMatch(/^disk \d/);
      first.child.kill('SIGKILL');
      const killed = await first.finished;
      expect(killed.signal).toBe('SIGKILL');
      await lock.release();

      const second = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
      await pipelinesStarted([second], 40_000);
      await until(
        'every message that was on disk is stored',
        async () => {
          const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM chat_messages WHERE message_id = ANY($1)', [onDisk]);
          return Number(rows[0]?.n) === onDisk.length;
        },
        { timeoutMs: 60_000, detail: second.output },
      );
      const done = await stop(second);
      expect(done.code).toBe(0);
      expect(done.stderr).toContain('Disk buffer replays what an earlier run left.');
      const all = await stored(client, 'kill');
      // Exactly once: no message twice, and nothing that was not sent.
      expect(all.rows).toBe(all.distinct);
      expect(all.rows).toBeGreaterThanOrEqual(onDisk.length);
      expect(all.rows).toBeLessThanOrEqual(N);
      expect(new Set(onDisk).size).toBe(onDisk.length);
      expect(await idsOnDisk(buffers)).toEqual([]);
    } finally {
      await lock?.release();
      await client.end();
    }
  }, 180_000);

  it('disk buffer full: a critical alert fires, the loss is counted and summed up, nothing crashes', async () => {
    const dir = await temp.make('chatflow-disk-full-');
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `version: 1
resources: { redis: { url: "off" }, postgres: { url: "${postgres.url}" } }
sources:
  chat: { type: twitch, channels: [full], server: "${twitch.url}" }
operators:
  stats:
    type: sample_metrics
    inputs: [chat]
    every: 200ms
    process: false
    alerts:
      disk_buffer_full: { metric: chatflow_node_gauge, labels: { name: disk_buffer_full }, critical: 0.5, message: "{label.node} disk buffer is full" }
sinks:
  history: { type: postgres, inputs: [chat], kinds: [chat], buffer: { max_events: 50, max_size: 64KiB, when_full: drop_newest } }
  alerts: { type: file, inputs: [stats.alerts], path: alerts.jsonl }
`,
    );
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    let lock: { release: () => Promise<void> } | undefined;
    try {
      const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
      await pipelinesStarted([run], 40_000);
      await until('the source joined', () => twitch.live.some((c) => c.joined.has('full')));
      const conn = twitch.live.find((c) => c.joined.has('full')) as NonNullable<(typeof twitch.live)[number]>;
      await twitch.pump(conn, line('full', 'fwarm'), 1);
      await until('the sink writes', async () => (await stored(client, 'fwarm')).rows === 1, { detail: run.output });

      lock = await lockChat();
      const N = 3000;
      await twitch.pump(conn, line('full', 'full'), N);
      const alerts = async () => {
        try {
          return (await readFile(join(dir, 'alerts.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
        } catch {
          return [];
        }
      };
      await until('the disk-full alert fires', async () => (await alerts()).some((a) => a.rule === 'disk_buffer_full'), {
        detail: run.output,
      });
      const fired = (await alerts()).find((a) => a.rule === 'disk_buffer_full');
      expect(fired).toMatchObject({ kind: 'alert', severity: 'critical', state: 'firing', message: 'history disk buffer is full' });
      await lock.release();
      await until('the disk buffer drained (its segment files deleted)', async () => (await idsOnDisk(join(dir, '.chatflow', 'buffers', 'history'))).length === 0, {
        detail: run.output,
      });
      // A last message goes behind anything still held: once it is stored, so is the rest.
      await twitch.pump(conn, line('full', 'fmark'), 1);
      await until('what was kept is stored', async () => (await stored(client, 'fmark')).rows === 1, { detail: run.output });
      const done = await stop(run);
      expect(done.code).toBe(0);
      const full = done.stderr.split('\n').filter((l) => l.includes('Disk buffer full; events are dropped.'));
      expect(full.length).toBeGreaterThanOrEqual(1);
      expect(full[0]).toContain('"level":50');
      // The summary's lost column: history disk_full=<n>, and what was not lost is stored.
      const lost = /^history\s.*\bdisk_full=(\d+)/m.exec(done.stderr);
      expect(lost).not.toBeNull();
      const dropped = Number(lost?.[1]);
      expect(dropped).toBeGreaterThan(0);
      expect((await stored(client, 'full')).rows).toBe(N - dropped);
    } finally {
      await lock?.release();
      await client.end();
    }
  }, 180_000);
});
