/**
 * `postgres`: history and analytics in PostgreSQL (docs/storage.md). A batch is split into
 * parts, one per connection, each part one transaction of COPYs straight into the tables; the
 * next part is encoded while the first is being written. A part holding a row that is already
 * stored (a retry whose first commit did land, a reingest, a duplicate inside the batch) fails
 * on the unique key as a whole; it is then rolled back and written again through TEMP staging
 * tables and `INSERT … SELECT … ON CONFLICT DO NOTHING`, so a retried batch never duplicates a
 * row and the common case pays for nothing but the COPY.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Sink } from '../../core/component.js';
import { NotConnectedError, SinkWriteError } from '../../core/errors.js';
import type { ChatflowEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { DropCounter } from '../../core/metrics.js';
import {
  CopyEncoder,
  copySql,
  eventRows,
  insertSql,
  type RowOptions,
  stagingDdl,
  TABLE_NAMES,
  TABLES,
  type TableLines,
} from './rows.js';
import type { PostgresConfig } from './config.js';


/** What {@link PostgresSink} needs of a client: `pg.Client`'s query, COPY and events. */
export type PostgresClient = pg.Client;

/** Collaborators of {@link PostgresSink}. */
export interface PostgresDeps {
  /** Opens a connected client (`resources.postgres.url`). */
  readonly connect: () => Promise<PostgresClient>;
  /** This process's instance id, stored on every row. */
  readonly instance: string;
  /** Absolute path of the dead-letter file. */
  readonly deadLetterPath: string;
  readonly drops?: DropCounter;
  /** Where `cleaned_text` is counted (values cleaned, not dropped); the node's metrics. */
  readonly counts?: { count(name: string, n: number): void };
  readonly logger?: Logger;
  /** Wall clock (ms) for rows without a time of their own: the context's `wallClock`. */
  readonly now: () => number;
}

/** SQLSTATE classes that mean the connection or server is gone: reconnect and retry. */
const CONNECTION_STATES = /^(08|57P0|53300|40001|40P01)/;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);
/** Events encoded per turn of the event loop (about 0.2 ms of work). */
const ENCODE_SLICE = 100;
const nextTurn = () => new Promise<void>((resolveTurn) => setImmediate(resolveTurn));
/** The fewest events worth a part (and a transaction) of their own. */
const MIN_PART = 200;
/** SQLSTATE unique_violation: a direct COPY met a row that is already stored. */
const UNIQUE_VIOLATION = '23505';

/** Whether a failed write can succeed on a fresh connection (otherwise the data is at fault). */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return true;
  return CONNECTION_STATES.test(code) || CONNECTION_CODES.has(code);
}

/** Opens a pg client for a URL, with errors after connecting swallowed (the sink checks). */
export function connectPostgres(url: string, applicationName: string): () => Promise<PostgresClient> {
  return async () => {
    const client = new pg.Client({ connectionString: url, application_name: applicationName });
    try {
      await client.connect();
    } catch (err) {
      client.on('error', () => {});
      await client.end().catch(() => {});
      throw err;
    }
    return client;
  };
}

/**
 * Writes batches of events to PostgreSQL with COPY and an idempotent insert; a lost connection
 * is a `NotConnectedError` (the driver reconnects through `start` and retries), a row the
 * database rejects is a `SinkWriteError` (the batch goes straight to the dead-letter file).
 */
export class PostgresSink implements Sink<ChatflowEvent> {
  readonly #id: string;
  readonly #deps: PostgresDeps;
  readonly #log: Logger;
  readonly #kinds: ReadonlySet<string>;
  readonly #rows: RowOptions;
  readonly #encoder = new CopyEncoder();
  readonly #connections: number;
  #clients: PostgresClient[] = [];
  #broken = false;
  #warnedCleaned = false;
  /** Rows inserted (not counting rows that were already there). */
  inserted = 0;
  /** Events whose rows were written (whether or not they were new). */
  written = 0;
  /** Batches that met rows already stored and were written again through staging. */
  restaged = 0;

  constructor(id: string, config: PostgresConfig, deps: PostgresDeps) {
    this.#id = id;
    this.#deps = deps;
    this.#log = deps.logger ?? silentLogger();
    this.#kinds = new Set(config.kinds);
    this.#connections = config.connections;
    this.#rows = {
      instance: deps.instance,
      questionCommands: new Set(config.question_commands),
      now: deps.now,
    };
  }

  /** Text values cleaned (NUL removed, lone surrogates replaced) so PostgreSQL could hold them. */
  get cleaned(): number {
    return this.#encoder.cleaned;
  }

  async start(): Promise<void> {
    if (this.#clients.length > 0 && !this.#broken) return;
    await this.#drop();
    const clients: PostgresClient[] = [];
    try {
      for (let i = 0; i < this.#connections; i++) clients.push(await this.#open());
    } catch (err) {
      await Promise.all(clients.map(close));
      throw new NotConnectedError(this.#id, { cause: err });
    }
    this.#broken = false;
    this.#clients = clients;
    this.#log.info({ connections: clients.length }, 'Connected to PostgreSQL.');
  }

  /** One connection with its staging tables; losing it marks the sink broken. */
  async #open(): Promise<PostgresClient> {
    const client = await this.#deps.connect();
    const onGone = (err?: unknown) => {
      if (!this.#clients.includes(client) || this.#broken) return;
      this.#broken = true;
      this.#log.warn({ err }, 'PostgreSQL connection lost; will reconnect.');
    };
    client.on('error', onGone);
    client.on('end', () => onGone());
    try {
      for (const name of TABLE_NAMES) await client.query(stagingDdl(TABLES[name]));
    } catch (err) {
      await close(client);
      throw err;
    }
    return client;
  }

  async write(batch: readonly ChatflowEvent[]): Promise<void> {
    const clients = this.#clients;
    if (clients.length === 0 || this.#broken) throw new NotConnectedError(this.#id);
    const cleanedBefore = this.#encoder.cleaned;
    const parts = Math.max(1, Math.min(clients.length, Math.floor(batch.length / MIN_PART)));
    const size = Math.ceil(batch.length / parts);
    const writes: Promise<number>[] = [];
    let stored = 0;
    for (let p = 0; p < parts; p++) {
      // Encode a part, start writing it, then encode the next while PostgreSQL works.
      const encoded = await this.#encode(batch, p * size, Math.min(batch.length, (p + 1) * size));
      stored += encoded.stored;
      if (encoded.lines.size > 0) writes.push(this.#writePart(clients[p] as PostgresClient, encoded.lines));
    }
    if (this.#encoder.cleaned > cleanedBefore) this.#deps.counts?.count('cleaned_text', this.#encoder.cleaned - cleanedBefore);
    if (this.#encoder.cleaned > cleanedBefore && !this.#warnedCleaned) {
      this.#warnedCleaned = true;
      this.#log.warn({}, 'Cleaned text PostgreSQL cannot hold (NUL, lone surrogates); counted as cleaned_text.');
    }
    if (batch.length > stored) this.#deps.drops?.drop('kind_not_stored', true, batch.length - stored);
    // Every part settles before the batch fails, so a retry never overlaps a part still writing.
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const err: unknown = failed.reason;
      if (!this.#broken && isRetryable(err) === false) {
        throw new SinkWriteError(this.#id, `PostgreSQL rejected a batch: ${(err as Error).message}`, { cause: err });
      }
      this.#broken = true;
      await this.#drop();
      throw new NotConnectedError(this.#id, { cause: err });
    }
    for (const r of results) if (r.status === 'fulfilled') this.inserted += r.value;
    this.written += stored;
  }

  /** COPY lines per table for `batch[from, to)`, giving the event loop a turn between slices. */
  async #encode(batch: readonly ChatflowEvent[], from: number, to: number): Promise<{ lines: TableLines; stored: number }> {
    const lines: TableLines = new Map();
    let stored = 0;
    for (let i = from; i < to; i++) {
      // Encoding a whole batch at once would hold the event loop for milliseconds; the OSC
      // path shares it.
      if (i > from && (i - from) % ENCODE_SLICE === 0) await nextTurn();
      const event = batch[i] as ChatflowEvent;
      if (!this.#kinds.has(event.kind)) continue;
      if (eventRows(event, this.#encoder, this.#rows, lines) > 0) stored += 1;
    }
    return { lines, stored };
  }

  /**
   * One part in one transaction, straight into the tables; when it meets a stored row, rolled
   * back and written again through staging. Resolves to the rows inserted. A rejected part is
   * rolled back (unless its connection is gone).
   */
  async #writePart(client: PostgresClient, lines: TableLines): Promise<number> {
    try {
      return await this.#commit(client, lines, 'direct').catch(async (err: unknown) => {
        if (this.#broken || (err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
        await client.query('ROLLBACK');
        this.restaged += 1;
        this.#deps.counts?.count('batches_restaged', 1);
        return this.#commit(client, lines, 'staged');
      });
    } catch (err) {
      if (!this.#broken && isRetryable(err) === false) await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /** One transaction writing every table's rows; resolves to the rows inserted. */
  async #commit(client: PostgresClient, lines: TableLines, into: 'staged' | 'direct'): Promise<number> {
    let inserted = 0;
    await client.query('BEGIN');
    for (const [table, rows] of lines) {
      const spec = TABLES[table];
      const stream = client.query(copyFrom(copySql(spec, into)));
      await new Promise<void>((resolveCopy, reject) => {
        stream.on('error', reject);
        stream.on('finish', resolveCopy);
        stream.end(`${rows.join('\n')}\n`);
      });
      inserted += into === 'direct' ? rows.length : ((await client.query(insertSql(spec))).rowCount ?? 0);
    }
    await client.query('COMMIT');
    return inserted;
  }

  /**
   * The dead-letter hook: appends the batch the driver gave up on to the JSONL file, one event
   * per line, for `chatflow reingest`.
   */
  async deadLetter(batch: readonly ChatflowEvent[], err: Error): Promise<void> {
    const path = this.#deps.deadLetterPath;
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, batch.map((e) => `${JSON.stringify(e)}\n`).join(''));
    this.#log.error({ err, events: batch.length, path }, 'Batch written to the dead-letter file.');
  }

  async stop(): Promise<void> {
    await this.#drop();
    if (this.#encoder.cleaned > 0) this.#log.info({ cleaned: this.#encoder.cleaned }, 'Cleaned text values.');
  }

  async #drop(): Promise<void> {
    const clients = this.#clients;
    this.#clients = [];
    await Promise.all(clients.map(close));
  }
}

/** Ends a client, ignoring what it says on the way out. */
async function close(client: PostgresClient): Promise<void> {
  client.removeAllListeners('end');
  client.on('error', () => {});
  await client.end().catch(() => {});
}
