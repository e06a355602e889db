/**
 * The `postgres` sink, migrations and dead-letter re-ingest against a real PostgreSQL 15
 * started by the embedded launcher: exact row counts, COPY escaping round-trips, idempotent
 * retries, and a server restart mid-stream at 1k messages/s; the sink's tests run with its
 * connections in the writer thread (`thread: worker`, the default) and on the main thread.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { from, Subject, VirtualTimeScheduler } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotConnectedError, SinkWriteError } from '../../src/core/errors.js';
import type { ChatflowEvent, CommandEvent, ControlEvent, MetricEvent, PlatformEvent } from '../../src/core/events.js';
import type { Logger } from '../../src/core/logger.js';
import { NodeMetrics } from '../../src/core/metrics.js';
import { DEFAULT_SINK_DRIVER, type SinkDriverSettings } from '../../src/core/sinkDriverConfig.js';
import { reingestCommand, reingestFile } from '../../src/cli/reingestCommand.js';
import { restartEmbeddedPostgres } from '../../src/resources/embedded.js';
import { ControlConfig, control as controlOperator } from '../../src/operators/control/index.js';
import { migrate } from '../../src/resources/migrate.js';
import {
  connectPostgres,
  PostgresConfig,
  PostgresSink,
  PostgresWorkerSink,
  postgresComponent,
} from '../../src/sinks/postgres/index.js';
import { writeBatches } from '../../src/pipelines/sinkDriver/writeBatches.js';
import { chat } from '../support/events.js';
import { startTestPostgres, type TestServer } from '../support/servers.js';

let server: TestServer;
let db: pg.Client;
let scratch: string;

beforeAll(async () => {
  server = await startTestPostgres();
  db = new pg.Client({ connectionString: server.url });
  db.on('error', () => {}); // the outage test cuts it; it is replaced there
  await db.connect();
  scratch = await mkdtemp(join(tmpdir(), 'chatflow-pg-test-'));
});

afterAll(async () => {
  await db?.end();
  await server?.destroy();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const TABLES = ['chat_messages', 'commands', 'control_changes', 'moderation_events', 'questions', 'platform_events', 'system_metrics', 'alerts'];

beforeEach(async () => {
  await db.query(`TRUNCATE ${TABLES.join(', ')}`);
  // Each test starts without dead letters (the sink's tests run once per thread).
  for (const file of ['dead.jsonl', 'dead-control.jsonl']) await rm(join(scratch, file), { force: true });
});

async function count(table: string, where = 'true'): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`);
  return Number(rows[0]?.n);
}

/** Bytes of WAL written but not yet flushed to disk. */
async function unflushedWal(): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT (pg_current_wal_insert_lsn() - pg_current_wal_flush_lsn())::bigint::text AS n');
  return Number(rows[0]?.n);
}

type Thread = 'worker' | 'main';

interface SinkOptions {
  readonly config?: Partial<PostgresConfig>;
  readonly counts?: NodeMetrics;
  readonly deadLetterPath?: string;
  readonly applicationName?: string;
  readonly logger?: Logger;
  /** The worker sink's clock for its turns of the event loop. */
  readonly clock?: () => number;
}

/** The sink as `create` makes it for `thread`, on the test server. */
function makeSink(thread: Thread, options: SinkOptions = {}): PostgresSink | PostgresWorkerSink {
  const config = PostgresConfig.parse({ ...options.config, thread });
  const applicationName = options.applicationName ?? 'chatflow-test';
  const deps = {
    instance: 'test-1',
    deadLetterPath: options.deadLetterPath ?? join(scratch, 'dead.jsonl'),
    now: Date.now,
    ...(options.counts ? { counts: options.counts } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
  return thread === 'worker'
    ? new PostgresWorkerSink('history', config, { ...deps, url: server.url, applicationName, ...(options.clock ? { clock: options.clock } : {}) })
    : new PostgresSink('history', config, { ...deps, connect: connectPostgres(server.url, applicationName) });
}

function chats(n: number, prefix: string): ChatflowEvent[] {
  return Array.from({ length: n }, (_, i) => chat(`hello ${i}`, { id: `${prefix}-${i}`, ts: 1_700_000_000_000 + i }));
}

function command(name: string, id: string, args: CommandEvent['args'] = {}): CommandEvent {
  return { kind: 'command', name, args, chat: chat(`!${name}`, { id }), receivedAt: 0 };
}

function control(variable: string, value: number, ts: number): ControlEvent {
  return { kind: 'control', variable, value, previous: 0, origin: 'command', ts, receivedAt: 0, by: { login: 'a', platform: 'twitch' } };
}

describe('migrations', () => {
  it('a second run applies nothing, and two migrators at once apply each file once', async () => {
    const again = await migrate(server.url);
    expect(again.applied).toEqual([]);
    expect(again.skipped).toContain('001_init.sql');

    await db.query('DROP DATABASE IF EXISTS race');
    await db.query('CREATE DATABASE race');
    const raceUrl = server.url.replace(/\/postgres$/, '/race');
    const results = await Promise.all([migrate(raceUrl), migrate(raceUrl), migrate(raceUrl)]);
    expect(results.flatMap((r) => r.applied)).toEqual(['001_init.sql', '002_alerts.sql']);
    const race = new pg.Client({ connectionString: raceUrl });
    await race.connect();
    const { rows } = await race.query('SELECT version FROM schema_migrations');
    await race.end();
    expect(rows).toEqual([{ version: '001' }, { version: '002' }]);
  });
});

describe.each(['worker', 'main'] as const)('postgres sink (thread: %s)', (thread) => {
  const newSink = (config: Partial<PostgresConfig> = {}) => makeSink(thread, { config });

  it('stores each kind in its table with exact counts', async () => {
    const sink = newSink();
    await sink.start();
    const platform: PlatformEvent = {
      kind: 'platform',
      type: 'raid',
      id: 'raid-1',
      platform: 'twitch',
      channel: 'chan',
      ts: 1,
      data: { viewers: 12 },
      receivedAt: 0,
    };
    const metric: MetricEvent = {
      kind: 'metric',
      name: 'chat_events_total',
      labels: { component: 'x', type: 'y' },
      value: 3,
      instance: 'test-1',
      ts: 5,
      receivedAt: 0,
    };
    const batch: ChatflowEvent[] = [
      ...chats(2500, 'a'),
      command('cv', 'c-1', { name: 'cutoff', value: 0.5 }),
      command('q', 'c-2', { text: 'what synth is this?' }),
      { kind: 'reply', platform: 'twitch', channel: 'chan', text: 'usage: !cv <name> <value>', replyTo: 'c-3', receivedAt: 0 },
      control('cutoff', 0.5, 10),
      control('cutoff', 0.6, 11),
      { kind: 'moderation', verdict: 'delete', reasons: ['caps'], points: 3, chat: chat('SPAM', { id: 'mod-1' }), receivedAt: 0 },
      platform,
      metric,
      {
        kind: 'alert',
        rule: 'latency',
        severity: 'critical',
        state: 'firing',
        message: 'latency p99 12 ms over 5 ms',
        value: 12,
        threshold: 5,
        instance: 'test-1',
        ts: 6,
        receivedAt: 0,
      },
    ];
    for (let i = 0; i < batch.length; i += 1000) await sink.write(batch.slice(i, i + 1000));
    await sink.stop();
    expect(await count('chat_messages')).toBe(2500);
    expect(await count('commands', "status = 'accepted'")).toBe(2);
    expect(await count('commands', "status = 'rejected' AND reason LIKE 'usage:%'")).toBe(1);
    expect(await count('questions', "text = 'what synth is this?'")).toBe(1);
    expect(await count('control_changes')).toBe(2);
    expect(await count('moderation_events')).toBe(1);
    expect(await count('platform_events')).toBe(1);
    expect(await count('system_metrics')).toBe(1);
    expect(await count('alerts', "rule = 'latency' AND state = 'firing' AND value = 12")).toBe(1);
    const { rows } = await db.query('SELECT labels, data FROM system_metrics, platform_events');
    expect(rows[0]).toEqual({ labels: { component: 'x', type: 'y' }, data: { viewers: 12 } });
    expect(sink.inserted).toBe(2500 + 2 + 1 + 1 + 2 + 1 + 1 + 1 + 1);
  });

  it('round-trips COPY escapes and cleans what PostgreSQL cannot hold, counting it', async () => {
    const tricky = [
      'tab\there',
      'line\nbreak',
      'carriage\rreturn',
      'back\\slash \\\\ double',
      '\\N',
      'literal \\N inside',
      'emoji 🎛️🎹 and ü',
      '\\.',
      'ends with backslash \\',
    ];
    const metrics = new NodeMetrics('history', 'sink', 'postgres');
    const sink = makeSink(thread, { counts: metrics });
    await sink.start();
    await sink.write(tricky.map((text, i) => chat(text, { id: `t-${i}` })));
    await sink.write([
      chat('nul\u0000byte', { id: 'nul' }),
      chat('lone \ud800 surrogate', { id: 'lone' }),
      command('cv', 'json-nul', { name: 'a\u0000b' }),
    ]);
    await sink.stop();
    const { rows } = await db.query<{ message_id: string; text: string }>(
      "SELECT message_id, text FROM chat_messages WHERE message_id LIKE 't-%' ORDER BY message_id",
    );
    expect(rows.map((r) => r.text)).toEqual(tricky.map((_, i) => `t-${i}`).sort().map((id) => tricky[Number(id.slice(2))]));
    const cleaned = await db.query<{ message_id: string; text: string }>(
      "SELECT message_id, text FROM chat_messages WHERE message_id IN ('nul', 'lone') ORDER BY message_id",
    );
    expect(cleaned.rows).toEqual([
      { message_id: 'lone', text: 'lone \ufffd surrogate' },
      { message_id: 'nul', text: 'nulbyte' },
    ]);
    const args = await db.query("SELECT args FROM commands WHERE message_id = 'json-nul'");
    expect(args.rows).toEqual([{ args: { name: 'ab' } }]);
    expect(sink.cleaned).toBe(3);
    expect(metrics.snapshot().counts).toEqual({ cleaned_text: 3 });
    expect(metrics.totalDropped()).toBe(0);
    expect(await count('chat_messages', 'text IS NULL')).toBe(0);
  });

  it('a batch retried after its commit (acknowledgement lost) duplicates nothing', async () => {
    const sink = newSink();
    let failOnce = true;
    const flaky = {
      start: () => sink.start(),
      stop: () => sink.stop(),
      write: async (batch: readonly ChatflowEvent[]) => {
        await sink.write(batch);
        if (failOnce) {
          failOnce = false;
          throw new NotConnectedError('history');
        }
      },
    };
    const metrics = new NodeMetrics('history', 'sink', 'postgres');
    const settings: SinkDriverSettings = { ...DEFAULT_SINK_DRIVER, ...postgresComponent.driver, batchMax: 1000, initialBackoffMs: 10 };
    const driver = writeBatches(flaky, settings, { metrics });
    const input = new Subject<ChatflowEvent>();
    const done = driver.run(input);
    for (const event of chats(1500, 'r')) input.next(event);
    input.complete();
    await done;
    expect(failOnce).toBe(false);
    expect(await count('chat_messages')).toBe(1500);
    expect(sink.written).toBe(1500 + 1000);
    expect(sink.inserted).toBe(1500);
    // The retried batch of 1000 went out in two parts (two connections); both met stored rows.
    expect(sink.restaged).toBe(2);
    expect(metrics.totalDropped()).toBe(0);
  });

  it('a batch holding the same message twice stores it once', async () => {
    const sink = newSink();
    await sink.start();
    const [first, second] = chats(2, 'twice');
    await sink.write([first, second, first] as ChatflowEvent[]);
    await sink.stop();
    expect(await count('chat_messages', "message_id LIKE 'twice-%'")).toBe(2);
    expect(sink.inserted).toBe(2);
    expect(sink.restaged).toBe(1);
  });

  it('acknowledges a batch only once the WAL of all its parts is on disk (the parts commit without waiting for it)', async () => {
    // The WAL writer would otherwise flush the parts' commits within 200 ms on its own.
    await db.query("ALTER SYSTEM SET wal_writer_delay = '10s'");
    await db.query('SELECT pg_reload_conf()');
    const sink = makeSink(thread, { config: { connections: 2 }, applicationName: 'chatflow-durable' });
    try {
      await sink.start();
      const sessions = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'chatflow-durable'",
      );
      expect(sessions.rows[0]?.n).toBe(2);
      const before = await db.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      await sink.write(chats(6000, `durable-${thread}`));
      const { rows } = await db.query<{ written: string }>('SELECT (pg_current_wal_insert_lsn() - $1::pg_lsn)::bigint::text AS written', [
        before.rows[0]?.lsn,
      ]);
      // Three parts of 2000 rows wrote megabytes of WAL; all of it was on disk when write resolved.
      expect(Number(rows[0]?.written)).toBeGreaterThan(1_000_000);
      expect(await unflushedWal()).toBe(0);
      expect(await count('chat_messages', `message_id LIKE 'durable-${thread}-%'`)).toBe(6000);
    } finally {
      await sink.stop();
      await db.query('ALTER SYSTEM RESET wal_writer_delay');
      await db.query('SELECT pg_reload_conf()');
    }
  });

  it('on a server whose role may not flush a batch at its end, retries that batch and has each part wait for its own commit from then on', async () => {
    const role = `chatflow_plain_${thread}`;
    await db.query(`CREATE ROLE ${role} LOGIN`);
    await db.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`);
    await db.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await db.query('REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) FROM PUBLIC');
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }));
    const config = PostgresConfig.parse({ thread, connections: 2 });
    const deps = { instance: 'test-1', deadLetterPath: join(scratch, 'dead.jsonl'), now: Date.now, logger };
    const url = server.url.replace('//postgres@', `//${role}@`);
    const sink =
      thread === 'worker'
        ? new PostgresWorkerSink('history', config, { ...deps, url, applicationName: 'chatflow-plain' })
        : new PostgresSink('history', config, { ...deps, connect: connectPostgres(url, 'chatflow-plain') });
    try {
      await sink.start();
      const batch = chats(3000, `plain-${thread}`);
      // Retryable (not the data's fault): the driver writes it again, never to the dead letters.
      const failed = await sink.write(batch).then(() => undefined, (err: Error) => err);
      expect(failed).toBeInstanceOf(NotConnectedError);
      expect((failed?.cause as Error | undefined)?.message).toMatch(/permission denied/);
      await sink.start();
      await sink.write(batch);
      await db.query("ALTER SYSTEM SET wal_writer_delay = '10s'");
      await db.query('SELECT pg_reload_conf()');
      await sink.write(chats(3000, `plain-again-${thread}`));
      expect(await unflushedWal()).toBe(0);
      expect(await count('chat_messages', `message_id LIKE 'plain-${thread}-%'`)).toBe(3000);
      expect(await count('chat_messages', `message_id LIKE 'plain-again-${thread}-%'`)).toBe(3000);
      expect(lines.filter((l) => l.includes('refused the batch flush'))).toHaveLength(1);
    } finally {
      await sink.stop();
      await db.query('ALTER SYSTEM RESET wal_writer_delay');
      await db.query('SELECT pg_reload_conf()');
      await db.query('GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO PUBLIC');
      await db.query(`DROP OWNED BY ${role}`);
      await db.query(`DROP ROLE ${role}`);
    }
  });

  it('splits a large batch across its connections, and a message in two parts is stored once', async () => {
    const sink = makeSink(thread, { config: { connections: 3 }, applicationName: 'chatflow-parts' });
    await sink.start();
    const sessions = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'chatflow-parts'");
    expect(sessions.rows[0]?.n).toBe(3);
    const batch = chats(900, 'parts');
    // The first message again at the end: it lands in the last part, on another connection.
    await sink.write([...batch, batch[0] as ChatflowEvent]);
    await sink.stop();
    expect(await count('chat_messages', "message_id LIKE 'parts-%'")).toBe(900);
    expect(sink.inserted).toBe(900);
    expect(sink.written).toBe(901);
    expect(sink.restaged).toBe(1);
  });

  it('writes a batch of more than 2500 events per connection as parts taken in turn, one transaction at a time per connection', async () => {
    const sink = makeSink(thread, { config: { connections: 2 }, applicationName: 'chatflow-turns' });
    await sink.start();
    const batch = chats(6000, 'turns');
    // Three parts of 2001: the first and the third on one connection, one after the other; the
    // first message again at the end makes the third part meet a stored row and restage.
    await sink.write([...batch, batch[0] as ChatflowEvent]);
    const sessions = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'chatflow-turns'");
    await sink.stop();
    expect(sessions.rows[0]?.n).toBe(2);
    expect(await count('chat_messages', "message_id LIKE 'turns-%'")).toBe(6000);
    expect(sink.inserted).toBe(6000);
    expect(sink.written).toBe(6001);
    expect(sink.restaged).toBe(1);
  });

  it('stores two viewers setting the same value in the same millisecond as two changes, once each through a retry and re-ingest', async () => {
    // Through the real `control`: ann and bob both send `!cv cutoff 0.9` in one millisecond.
    const scheduler = new VirtualTimeScheduler();
    const changes: ControlEvent[] = [];
    const cv = ControlConfig.parse({ variables: { cutoff: { range: [0, 1] } }, emit_defaults: false });
    const viewer = (user: string): CommandEvent => {
      const c = chat('!cv cutoff 0.9', { user, id: `cv-${user}`, ts: 1_700_000_000_000 });
      return { kind: 'command', name: 'cv', args: { name: 'cutoff', value: 0.9 }, chat: c, receivedAt: 0 };
    };
    from([viewer('ann'), viewer('bob')])
      .pipe(controlOperator(cv, { scheduler, idPrefix: 'test-1/cv' }))
      .subscribe((e) => changes.push(e));
    scheduler.flush();
    expect(changes.map((e) => [e.value, e.ts, e.origin])).toEqual([
      [0.9, 0, 'command'],
      [0.9, 0, 'command'],
    ]);

    const sink = newSink();
    await sink.start();
    await sink.write(changes);
    await sink.write(changes); // the same batch retried (its acknowledgement lost)
    await sink.stop();
    expect(await count('control_changes')).toBe(2);
    expect(sink.inserted).toBe(2);
    const { rows } = await db.query<{ by_login: string }>('SELECT by_login FROM control_changes ORDER BY by_login');
    expect(rows.map((r) => r.by_login)).toEqual(['ann', 'bob']);

    // Dead-lettered and re-ingested by another instance: still nothing twice.
    const file = join(scratch, 'dead-control.jsonl');
    const dead = makeSink(thread, { deadLetterPath: file });
    await dead.deadLetter(changes, new Error('gone'));
    expect(await reingestFile(file, server.url, { instance: 'reingest' })).toEqual({ events: 2, inserted: 0, malformed: [] });
    expect(await count('control_changes')).toBe(2);
  });

  it('dead letters go to a JSONL file that reingest writes once, even twice', async () => {
    const sink = newSink();
    const batch = chats(30, 'dl');
    await sink.deadLetter(batch, new Error('gone'));
    const file = join(scratch, 'dead.jsonl');
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(30);
    expect(await reingestFile(file, server.url, { instance: 'reingest' })).toEqual({ events: 30, inserted: 30, malformed: [] });
    expect(await reingestFile(file, server.url, { instance: 'reingest' })).toEqual({ events: 30, inserted: 0, malformed: [] });
    expect(await count('chat_messages')).toBe(30);
  });

  it('a batch PostgreSQL rejects goes to the dead-letter file at once, not retried, and the next batch is written', async () => {
    const sink = newSink();
    const metrics = new NodeMetrics('history', 'sink', 'postgres');
    const settings: SinkDriverSettings = { ...DEFAULT_SINK_DRIVER, ...postgresComponent.driver, batchMax: 50, batchTimeoutMs: 0 };
    const file = join(scratch, `rejected-${thread}.jsonl`);
    const driver = writeBatches(sink, settings, {
      metrics,
      onDeadLetter: async (batch, err) => {
        await appendFile(file, batch.map((e) => `${JSON.stringify(e)}\n`).join(''));
        expect(err.message).toContain('out of range');
      },
    });
    const input = new Subject<ChatflowEvent>();
    const done = driver.run(input);
    // `bits` is an integer column: 3e9 is out of its range (SQLSTATE 22003), the data's fault.
    const bad = chat('cheer', { id: 'too-many-bits', bits: 3e9 });
    const first = [...chats(49, 'rej'), bad];
    const second = chats(50, 'after');
    for (const event of [...first, ...second]) input.next(event);
    input.complete();
    await done;
    expect(metrics.snapshot().dropped).toEqual({ write_failed: { count: 50, intentional: false } });
    expect((await readFile(file, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(first.map((e) => (e as { id: string }).id));
    expect(await count('chat_messages', "message_id LIKE 'rej-%'")).toBe(0);
    expect(await count('chat_messages', "message_id LIKE 'after-%'")).toBe(50);
  });

  it('reingest names each malformed line by its number, counts it, and stores the rest', async () => {
    const [a, b] = chats(2, 'ml');
    const file = join(scratch, 'malformed.jsonl');
    const cut = JSON.stringify(b).slice(0, 25);
    await writeFile(file, `${JSON.stringify(a)}\n${cut}\n\n[1,2]\n${JSON.stringify(b)}\n`);
    let out = '';
    let err = '';
    const code = await reingestCommand(
      file,
      { pipeline: 'unused.yaml', url: server.url },
      {
        stdout: new Writable({ write: (c, _e, cb) => { out += String(c); cb(); } }),
        stderr: new Writable({ write: (c, _e, cb) => { err += String(c); cb(); } }),
        env: {},
      },
    );
    expect(code).toBe(65);
    expect(err).toContain('malformed.jsonl:2: skipped: not JSON (');
    expect(err).toContain('malformed.jsonl:4: skipped: not a JSON object');
    expect(out).toContain('Re-ingested 2 events (2 new rows)');
    expect(out).toContain('2 malformed lines skipped');
    expect(await count('chat_messages')).toBe(2);
  });

  it('keeps every message exactly once through a restart of PostgreSQL at 1k messages/s', async () => {
    const sink = newSink();
    const metrics = new NodeMetrics('history', 'sink', 'postgres');
    const settings: SinkDriverSettings = { ...DEFAULT_SINK_DRIVER, ...postgresComponent.driver, maxBackoffMs: 500 };
    const deadLetters: number[] = [];
    const driver = writeBatches(sink, settings, {
      metrics,
      onDeadLetter: (b) => {
        deadLetters.push(b.length);
      },
    });
    const input = new Subject<ChatflowEvent>();
    const done = driver.run(input);
    const total = 6000;
    let sent = 0;
    // 1k messages/s: 10 every 10 ms, for 6 s; the server is down from 1.5 s to ~4.5 s.
    const flow = new Promise<void>((resolveFlow) => {
      const timer = setInterval(() => {
        for (let i = 0; i < 10 && sent < total; i++) {
          input.next(chat(`m${sent}`, { id: `o-${sent}`, ts: 1_700_000_000_000 + sent }));
          sent += 1;
        }
        if (sent >= total) {
          clearInterval(timer);
          resolveFlow();
        }
      }, 10);
    });
    await new Promise((r) => setTimeout(r, 1500));
    const outage = restartEmbeddedPostgres(server, () => new Promise((r) => setTimeout(r, 3000)));
    await Promise.all([flow, outage]);
    input.complete();
    await done;
    // The test's own connection was cut by the restart.
    await db.end().catch(() => {});
    db = new pg.Client({ connectionString: server.url });
    db.on('error', () => {}); // the next outage test cuts it too
    await db.connect();
    expect(deadLetters).toEqual([]);
    expect(metrics.totalDropped()).toBe(0);
    expect(metrics.errors).toBeGreaterThan(0);
    expect(await count('chat_messages')).toBe(total);
    const { rows } = await db.query<{ n: string }>('SELECT count(DISTINCT message_id) AS n FROM chat_messages');
    expect(Number(rows[0]?.n)).toBe(total);
  });
});

describe('postgres sink (thread: worker): memory', () => {
  it("runs its writer thread with a small young generation (V8's default grows it to 32 MiB of RSS) and still stores every row", async () => {
    const sink = makeSink('worker') as PostgresWorkerSink;
    await sink.start();
    try {
      const limits = sink.worker?.resourceLimits;
      expect(limits?.maxYoungGenerationSizeMb).toBeGreaterThan(0);
      expect(limits?.maxYoungGenerationSizeMb).toBeLessThanOrEqual(8);
      // No old-generation limit: a thread out of memory would lose the batch it holds.
      expect(limits?.maxOldGenerationSizeMb).toBeGreaterThan(1000);
      await sink.write(chats(2000, 'young'));
    } finally {
      await sink.stop();
    }
    expect(await count('chat_messages', "message_id LIKE 'young-%'")).toBe(2000);
  });
});

describe('postgres sink (thread: worker): handing a batch over', () => {
  /** Slices of a 5000-event batch posted before `write` first yields the event loop, with `clock`. */
  async function slicesInFirstTurn(clock: () => number, prefix: string): Promise<number> {
    const sink = makeSink('worker', { clock }) as PostgresWorkerSink;
    await sink.start();
    const worker = sink.worker as NonNullable<typeof sink.worker>;
    let slices = 0;
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (message: { t: string }, transfer?: readonly ArrayBuffer[]) => {
      if (message.t === 'events') slices += 1;
      post(message, transfer);
    };
    let first = -1;
    try {
      const written = sink.write(chats(5000, prefix));
      first = slices;
      await written;
    } finally {
      await sink.stop();
    }
    expect(await count('chat_messages', `message_id LIKE '${prefix}-%'`)).toBe(5000);
    return first;
  }

  it('posts slices for as long as its turn budget allows: a quarter millisecond on a loop that comes back at once', async () => {
    let now = 0;
    // Each read of the clock a tenth of a millisecond later: a turn holds three slices.
    expect(await slicesInFirstTurn(() => (now += 0.1), 'budget-short')).toBe(3);
  });

  it('posts the whole batch in one turn when no time passes (the budget is time, not a count)', async () => {
    expect(await slicesInFirstTurn(() => 0, 'budget-frozen')).toBe(20);
  });
});

describe('postgres sink (thread: worker): the writer thread dies', () => {
  it('is restarted after terminate() or an exception, resends what it held, and stores every message once', async () => {
    const logs: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const sink = makeSink('worker', { logger }) as PostgresWorkerSink;
    const metrics = new NodeMetrics('history', 'sink', 'postgres');
    const settings: SinkDriverSettings = { ...DEFAULT_SINK_DRIVER, ...postgresComponent.driver, batchMax: 1000, initialBackoffMs: 10 };
    let calls = 0;
    const killed: string[] = [];
    const killing = {
      start: () => sink.start(),
      stop: () => sink.stop(),
      deadLetter: (batch: readonly ChatflowEvent[], err: Error) => sink.deadLetter(batch, err),
      write: (batch: readonly ChatflowEvent[]) => {
        const writing = sink.write(batch);
        calls += 1;
        // The 2nd write: the thread is terminated while it holds the batch. The 4th: it throws.
        if (calls === 2) {
          killed.push('terminate');
          void sink.worker?.terminate();
        }
        if (calls === 4) {
          killed.push('exception');
          sink.worker?.postMessage({ t: 'not a message the thread knows' });
        }
        return writing;
      },
    };
    const deadLetters: number[] = [];
    const driver = writeBatches(killing, settings, { metrics, onDeadLetter: (b) => void deadLetters.push(b.length) });
    const input = new Subject<ChatflowEvent>();
    const done = driver.run(input);
    const total = 6000;
    for (const event of chats(total, 'kill')) input.next(event);
    input.complete();
    const drained = await done;
    expect(killed).toEqual(['terminate', 'exception']);
    expect(sink.threadsStarted).toBe(3);
    // Both failed writes were retried: 6 batches, 8 writes.
    expect(calls).toBe(8);
    expect(metrics.errors).toBe(2);
    expect(deadLetters).toEqual([]);
    expect(metrics.totalDropped()).toBe(0);
    expect(drained).toEqual({ written: total, dropped: 0, timedOut: false });
    expect(await count('chat_messages', "message_id LIKE 'kill-%'")).toBe(total);
    expect(sink.worker).toBeUndefined();
    // Each death said once, at error; each new thread's connections said at info (relayed from it).
    expect(logs.filter((l) => l.msg === 'PostgreSQL writer thread failed; restarting it.').map((l) => l.level)).toEqual([50, 50]);
    expect(logs.filter((l) => l.msg === 'Connected to PostgreSQL.')).toHaveLength(3);
  });

  it('a batch the thread committed before it died is not stored twice when resent', async () => {
    const sink = makeSink('worker') as PostgresWorkerSink;
    await sink.start();
    const batch = chats(600, 'landed');
    await sink.write(batch);
    const first = sink.worker;
    await first?.terminate();
    expect(sink.worker).toBeUndefined();
    await expect(sink.write(batch)).rejects.toBeInstanceOf(NotConnectedError);
    await sink.start();
    expect(sink.worker).not.toBe(first);
    await sink.write(batch);
    await sink.stop();
    expect(await count('chat_messages', "message_id LIKE 'landed-%'")).toBe(600);
    expect(sink.inserted).toBe(600);
    expect(sink.written).toBe(1200);
    expect(sink.restaged).toBe(2);
  });

  it('an event the thread cannot be given (structured clone fails) is the data\'s fault: SinkWriteError, the thread lives on', async () => {
    const sink = makeSink('worker') as PostgresWorkerSink;
    await sink.start();
    const thread = sink.worker;
    // A platform event goes to the thread whole; a function in its data cannot be cloned.
    const odd = { kind: 'platform', type: 'raid', id: 'odd-1', platform: 'twitch', channel: 'chan', ts: 1, data: { callback: () => 1 }, receivedAt: 0 } as unknown as ChatflowEvent;
    // Two parts of 351; the odd event is in the 4th slice of 200, after the first part was handed on.
    const batch = [...chats(700, 'clone'), odd];
    await expect(sink.write(batch)).rejects.toBeInstanceOf(SinkWriteError);
    // The next batch is written on the same connections: the first part's transaction had ended.
    await sink.write(chats(600, 'next'));
    await sink.stop();
    expect(sink.threadsStarted).toBe(1);
    expect(thread).toBeDefined();
    // The part already written stays (a reingest of the dead-lettered batch skips those rows).
    expect(await count('chat_messages', "message_id LIKE 'clone-%'")).toBe(Math.ceil(batch.length / 2));
    expect(await count('chat_messages', "message_id LIKE 'next-%'")).toBe(600);
  });

  it('stop() while a batch is being written (the drain deadline passed) ends the thread and settles that write', async () => {
    const sink = makeSink('worker') as PostgresWorkerSink;
    await sink.start();
    const writing = sink.write(chats(3000, 'cut')).then(
      () => 'written',
      (err: unknown) => (err instanceof NotConnectedError ? 'not connected' : 'other'),
    );
    await sink.stop();
    expect(['written', 'not connected']).toContain(await writing);
    expect(sink.worker).toBeUndefined();
    // Whatever made it is whole: each part is one transaction.
    expect([0, 1500, 3000]).toContain(await count('chat_messages', "message_id LIKE 'cut-%'"));
  });

  it('a writer thread that cannot connect fails start() with NotConnectedError and is reused by the next start', async () => {
    const config = PostgresConfig.parse({ thread: 'worker' });
    const sink = new PostgresWorkerSink('history', config, {
      url: server.url.replace(/:\d+\//, ':1/'),
      applicationName: 'chatflow-test',
      instance: 'test-1',
      deadLetterPath: join(scratch, 'dead.jsonl'),
      now: Date.now,
    });
    await expect(sink.start()).rejects.toBeInstanceOf(NotConnectedError);
    await expect(sink.start()).rejects.toBeInstanceOf(NotConnectedError);
    expect(sink.threadsStarted).toBe(1);
    await expect(sink.write(chats(1, 'never'))).rejects.toBeInstanceOf(NotConnectedError);
    await sink.stop();
    expect(sink.worker).toBeUndefined();
  });
});
