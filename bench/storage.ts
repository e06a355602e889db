/**
 * `npm run bench storage`: rows/s into `chat_messages` (same run, same table and indexes, a
 * private PostgreSQL from the embedded launcher) of the `postgres` sink (its driver's batches of
 * 5000 events split across its 2 connections, each part one transaction of COPY straight into
 * the table, restaged through `ON CONFLICT DO NOTHING` only when it meets a stored row) against a multi-row
 * INSERT of 1000 rows per statement and a single-row INSERT per event (autocommit), both also
 * with `ON CONFLICT DO NOTHING`. Goal: COPY ≥ 2× multi-row and ≥ 50× single-row.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { ChatEvent } from '../src/core/events.js';
import { startEmbeddedPostgres } from '../src/resources/embedded.js';
import { migrate } from '../src/resources/migrate.js';
import { from as copyFrom } from 'pg-copy-streams';
import { connectPostgres, PostgresConfig, PostgresSink, postgresComponent } from '../src/sinks/postgres/index.js';
import { CopyEncoder, copySql, eventRows, TABLES, type TableLines } from '../src/sinks/postgres/rows.js';
import { writeResult } from './results.js';

const COPY_ROWS = 200_000;
const MULTI_ROWS = 100_000;
const SINGLE_ROWS = 3_000;
const BATCH = 1000;
/** The postgres sink's batch as its driver makes them under load. */
const SINK_BATCH = postgresComponent.driver?.batchMax ?? BATCH;

function events(n: number, prefix: string): ChatEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'chat',
    id: `${prefix}-${i}`,
    platform: 'twitch',
    channel: `chan${i % 4}`,
    author: { id: `u${i % 500}`, login: `viewer${i % 500}`, displayName: `Viewer${i % 500}`, roles: i % 7 === 0 ? ['subscriber'] : [], badges: {} },
    text: `message ${i}: !cv cutoff 0.${i % 10} with\ta tab and "quotes" 🎛️`,
    emotes: [],
    ts: 1_700_000_000_000 + i,
    action: false,
    firstMessage: i % 100 === 0,
    receivedAt: 0,
  }));
}

const COLUMNS = [
  'platform',
  'message_id',
  'channel',
  'author_id',
  'author_login',
  'author_name',
  'roles',
  'text',
  'ts',
  'bits',
  'reply_to',
  'action',
  'first_message',
  'instance',
];

function rowValues(e: ChatEvent): unknown[] {
  return [
    e.platform,
    e.id,
    e.channel,
    e.author.id,
    e.author.login,
    e.author.displayName,
    JSON.stringify(e.author.roles),
    e.text,
    new Date(e.ts).toISOString(),
    e.bits ?? null,
    e.replyTo?.id ?? null,
    e.action,
    e.firstMessage,
    'bench',
  ];
}

function multiRowSql(rows: number): string {
  const groups: string[] = [];
  for (let r = 0; r < rows; r++) {
    groups.push(`(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`);
  }
  return `INSERT INTO chat_messages (${COLUMNS.join(', ')}) VALUES ${groups.join(', ')} ON CONFLICT DO NOTHING`;
}

const round = (n: number) => Math.round(n);

export async function storage(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-pg-'));
  await chmod(root, 0o711);
  const server = await startEmbeddedPostgres(join(root, 'pg'));
  const db = new pg.Client({ connectionString: server.url });
  try {
    await migrate(server.url);
    await db.connect();
    const count = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM chat_messages')).rows[0]?.n);

    // 1. The postgres sink as it runs: its driver's batches, split across its connections.
    await db.query('TRUNCATE chat_messages');
    const sink = new PostgresSink('bench', PostgresConfig.parse({}), {
      connect: connectPostgres(server.url, 'chatflow-bench'),
      instance: 'bench',
      deadLetterPath: join(root, 'dead.jsonl'),
      now: Date.now,
    });
    await sink.start();
    const copyEvents = events(COPY_ROWS, 'c');
    let t0 = performance.now();
    for (let i = 0; i < copyEvents.length; i += SINK_BATCH) await sink.write(copyEvents.slice(i, i + SINK_BATCH));
    const copySeconds = (performance.now() - t0) / 1000;
    await sink.stop();
    const copyStored = await count();

    // 2. Multi-row INSERT, 1000 rows per statement (14 000 parameters), autocommit.
    await db.query('TRUNCATE chat_messages');
    const multiEvents = events(MULTI_ROWS, 'm');
    const sql = multiRowSql(BATCH);
    t0 = performance.now();
    for (let i = 0; i < multiEvents.length; i += BATCH) {
      await db.query(sql, multiEvents.slice(i, i + BATCH).flatMap(rowValues));
    }
    const multiSeconds = (performance.now() - t0) / 1000;
    const multiStored = await count();

    // 3. Single-row INSERT per event, autocommit.
    await db.query('TRUNCATE chat_messages');
    const singleEvents = events(SINGLE_ROWS, 's');
    const single = multiRowSql(1);
    t0 = performance.now();
    for (const e of singleEvents) await db.query(single, rowValues(e));
    const singleSeconds = (performance.now() - t0) / 1000;
    const singleStored = await count();

    // 4. For context: raw COPY straight into the table (not idempotent: a retry would fail).
    await db.query('TRUNCATE chat_messages');
    const rawEvents = events(MULTI_ROWS, 'r');
    const encoder = new CopyEncoder();
    const rowOptions = { instance: 'bench', questionCommands: new Set<string>(), now: Date.now };
    t0 = performance.now();
    for (let i = 0; i < rawEvents.length; i += BATCH) {
      const lines: TableLines = new Map();
      for (const e of rawEvents.slice(i, i + BATCH)) eventRows(e, encoder, rowOptions, lines);
      const stream = db.query(copyFrom(copySql(TABLES.chat_messages).replace('stage_chat_messages', 'chat_messages')));
      await new Promise<void>((resolveCopy, reject) => {
        stream.on('error', reject);
        stream.on('finish', resolveCopy);
        stream.end(`${(lines.get('chat_messages') ?? []).join('\n')}\n`);
      });
    }
    const rawSeconds = (performance.now() - t0) / 1000;

    const copyRate = COPY_ROWS / copySeconds;
    const multiRate = MULTI_ROWS / multiSeconds;
    const singleRate = SINGLE_ROWS / singleSeconds;
    const figures = {
      table: 'chat_messages: primary key (platform, message_id), btree (channel, ts), BRIN (ts)',
      copySink: { rows: COPY_ROWS, stored: copyStored, seconds: copySeconds, rowsPerSecond: round(copyRate) },
      multiRowInsert: { rows: MULTI_ROWS, stored: multiStored, seconds: multiSeconds, rowsPerSecond: round(multiRate) },
      singleRowInsert: { rows: SINGLE_ROWS, stored: singleStored, seconds: singleSeconds, rowsPerSecond: round(singleRate) },
      rawCopyNotIdempotent: { rows: MULTI_ROWS, seconds: rawSeconds, rowsPerSecond: round(MULTI_ROWS / rawSeconds) },
      copyVsMulti: Math.round((copyRate / multiRate) * 100) / 100,
      copyVsSingle: Math.round(copyRate / singleRate),
      goals: { copyVsMultiAtLeast: 2, copyVsSingleAtLeast: 50 },
      pass: copyStored === COPY_ROWS && copyRate / multiRate >= 2 && copyRate / singleRate >= 50,
      seeAlso: 'chat→OSC p99 with both storage sinks on against off: npm run bench storage-osc',
    };
    await writeResult('storage', figures);
    return figures;
  } finally {
    await db.end().catch(() => {});
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await storage();
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
