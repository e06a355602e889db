/**
 * PostgreSQL's own ceiling for the rows a run stored: the rows of `messages` chat messages
 * (every history table, in proportion), dumped with COPY TO and written back with plain COPY
 * FROM into empty copies of the tables (same columns, indexes and constraints), split across
 * `connections` connections as the postgres sink does. No encoding, no staging, no retries:
 * what the server takes when the client costs nothing.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

async function withClient<T>(url: string, use: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return await use(db);
  } finally {
    await db.end();
  }
}

async function dump(db: pg.Client, table: string, limit: number): Promise<string[]> {
  const chunks: Buffer[] = [];
  const stream = db.query(copyTo(`COPY (SELECT * FROM "${table}" LIMIT ${limit}) TO STDOUT`));
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? [] : text.slice(0, -1).split('\n');
}

/** One transaction's rows: per table (its whole name), its COPY text, every line ending in a newline. */
export type CopyPart = ReadonlyArray<{ readonly table: string; readonly text: string }>;

/** `count` connections to `url`. */
export function connectClients(url: string, count: number): Promise<pg.Client[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      return db;
    }),
  );
}

/** Writes `part` in one transaction: a plain COPY FROM per table that has rows in it. */
export async function writePart(db: pg.Client, part: CopyPart): Promise<void> {
  await db.query('BEGIN');
  for (const { table, text } of part) {
    if (text === '\n') continue;
    await pipeline(Readable.from([text]), db.query(copyFrom(`COPY "${table}" FROM STDIN`)));
  }
  await db.query('COMMIT');
}

/** The rows of `messages` stored chat messages, every history table in proportion. */
export interface DumpedRows {
  /** Table → its rows as COPY text lines (no newline). */
  readonly tables: ReadonlyMap<string, readonly string[]>;
  /** Chat messages the rows are of. */
  readonly messages: number;
}

/**
 * Dumps the rows of up to `messages` chat messages (COPY TO), every table in proportion, and
 * makes an empty copy of each table that has rows, `<prefix><table>` (same columns, indexes and
 * constraints).
 */
export async function dumpRows(url: string, messages: number, prefix: string): Promise<DumpedRows> {
  return withClient(url, async (db) => {
    const tables = (
      await db.query<{ name: string }>(
        "SELECT relname AS name FROM pg_stat_user_tables WHERE relname NOT LIKE '%migrations%' AND relname NOT LIKE 'raw_copy_%' AND relname NOT LIKE 'paced_copy_%'",
      )
    ).rows;
    const chat = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM chat_messages')).rows[0]?.n ?? 0);
    const share = chat === 0 ? 0 : Math.min(1, messages / chat);
    const out = new Map<string, string[]>();
    for (const t of tables) {
      const rows = await dump(db, t.name, Math.ceil(Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${t.name}"`)).rows[0]?.n ?? 0) * share));
      if (rows.length === 0) continue;
      out.set(t.name, rows);
      await db.query(`DROP TABLE IF EXISTS "${prefix}${t.name}"`);
      await db.query(`CREATE TABLE "${prefix}${t.name}" (LIKE "${t.name}" INCLUDING ALL)`);
    }
    return { tables: out, messages: Math.round(chat * share) };
  });
}

export interface RawCopyResult {
  /** Chat messages whose rows were copied. */
  readonly messages: number;
  readonly rows: number;
  /** Per round: chat messages' rows per second. */
  readonly messagesPerSec: readonly number[];
  /**
   * Per round, over its timed COPYs: CPU ms of this process (the client sending the rows) and of
   * the PostgreSQL server's processes (`serverCpuMs`; null when not given or not on Linux).
   */
  readonly clientCpuMs: readonly number[];
  readonly serverCpuMs: readonly (number | null)[];
}

export interface RawCopyOptions {
  readonly messages: number;
  readonly connections: number;
  readonly rounds: number;
  /** Awaited before each round (the bench waits there for a quiet machine). */
  readonly beforeRound?: () => Promise<void>;
  /** Called when a round's COPYs have committed. */
  readonly afterRound?: () => void;
  /** The PostgreSQL server's CPU time so far, ms (its whole process tree); null when unknown. */
  readonly serverCpuMs?: () => number | null;
}

/**
 * @param messages How many chat messages' rows to copy (at most what `chat_messages` holds).
 */
export async function rawCopy(url: string, options: RawCopyOptions): Promise<RawCopyResult> {
  const lines = await dumpRows(url, options.messages, 'raw_copy_');
  const rows = [...lines.tables.values()].reduce((n, l) => n + l.length, 0);
  const perSec: number[] = [];
  const clientCpuMs: number[] = [];
  const serverCpuMs: (number | null)[] = [];
  const serverCpu = options.serverCpuMs ?? (() => null);
  for (let round = 0; round < options.rounds; round++) {
    await options.beforeRound?.();
    await withClient(url, (db) => db.query([...lines.tables.keys()].map((t) => `TRUNCATE "raw_copy_${t}";`).join('')));
    // One part of every table per connection, each its own transaction, as the sink splits a batch.
    const parts: CopyPart[] = Array.from({ length: options.connections }, (_, c) =>
      [...lines.tables].map(([table, all]) => ({
        table: `raw_copy_${table}`,
        text: `${all.filter((_, i) => i % options.connections === c).join('\n')}\n`,
      })),
    );
    const clients = await connectClients(url, options.connections);
    const serverBefore = serverCpu();
    const cpu = process.cpuUsage();
    const started = performance.now();
    try {
      await Promise.all(
        parts.map((part, c) => writePart(clients[c] as pg.Client, part)),
      );
      perSec.push((lines.messages / (performance.now() - started)) * 1000);
      const used = process.cpuUsage(cpu);
      const serverAfter = serverCpu();
      clientCpuMs.push(Math.round((used.user + used.system) / 1000));
      serverCpuMs.push(serverBefore === null || serverAfter === null ? null : Math.round(serverAfter - serverBefore));
      options.afterRound?.();
    } finally {
      await Promise.all(clients.map((db) => db.end()));
    }
  }
  await withClient(url, (db) => db.query([...lines.tables.keys()].map((t) => `DROP TABLE "raw_copy_${t}";`).join('')));
  return { messages: lines.messages, rows, messagesPerSec: perSec.map(Math.round), clientCpuMs, serverCpuMs };
}
