/**
 * The `postgres` sink's writing side: its connections, and one transaction of COPYs per part of
 * a batch, straight into the tables, restaged through TEMP staging tables with `ON CONFLICT DO
 * NOTHING` when a part meets a row already stored. It takes parts already encoded (rows.ts's
 * {@link CopyText}) and knows nothing of events, so it runs the same on the main thread
 * (`thread: main`) and in the writer thread (writerThread.ts).
 *
 * A part's COMMIT does not wait for its WAL to reach the disk (`synchronous_commit` is off on
 * these connections): a batch of 20,000 events is eight parts, and each connection sat idle
 * through a disk flush after every one of them. Once all of a batch's parts are committed, one
 * small transaction that does wait ({@link DURABLE_SQL}) flushes the WAL up to its own commit,
 * and so every part's before it: a batch is acknowledged only when all of it is on disk, as
 * before, at the cost of one flush instead of one per part.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type CopyText, copySql, insertSql, stagingDdl, TABLE_NAMES, TABLES, type TableText } from './rows.js';

/** What the sink needs of a client: `pg.Client`'s query, COPY and events. */
export type PostgresClient = pg.Client;

/** The two log calls the writer makes (a pino logger, or the writer thread's relay of one). */
export interface WriterLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

/** SQLSTATE classes that mean the connection or server is gone: reconnect and retry. */
const CONNECTION_STATES = /^(08|57P0|53300|40001|40P01)/;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);
/**
 * A transaction committed with the server's own `synchronous_commit` (`on` unless configured
 * otherwise) that writes to the WAL, so its commit waits for the WAL to be flushed up to it. It
 * must write: PostgreSQL commits a transaction that wrote no WAL (one that only took a
 * transaction id) without waiting. A transactional logical message (prefix `chatflow`, empty)
 * writes one record, needs no table or privilege, and is ignored by whatever does not decode it.
 */
export const DURABLE_SQL = "BEGIN; SET LOCAL synchronous_commit TO DEFAULT; SELECT pg_logical_emit_message(true, 'chatflow', ''); COMMIT";
/** Set on each connection: the parts' commits do not wait for the disk; {@link DURABLE_SQL} does, once per batch. */
export const PARTS_COMMIT_SQL = 'SET synchronous_commit TO off';

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

/** What a batch's parts came to. */
export type BatchOutcome =
  | { readonly ok: true; readonly inserted: number; readonly restaged: number }
  /** `retryable`: the connection or server failed (reconnect and retry); otherwise PostgreSQL rejected the data. */
  | { readonly ok: false; readonly retryable: boolean; readonly error: unknown };

/** One part's write: rows inserted, and whether it was restaged. */
export interface PartResult {
  readonly inserted: number;
  readonly restaged: boolean;
}

/**
 * Owns `connections` clients; writes part `i` of a batch on client `i % connections`, each in its own
 * transaction, so PostgreSQL ingests parts on several cores.
 */
export class CopyWriter {
  readonly #connect: () => Promise<PostgresClient>;
  readonly #connections: number;
  readonly #log: WriterLog;
  #clients: PostgresClient[] = [];
  /** Per connection, its last part's write: a connection's parts go one after another. */
  #tails: Promise<unknown>[] = [];
  #broken = false;
  /**
   * The server refused {@link DURABLE_SQL} (a role that may not emit logical messages): each
   * part's commit waits for the disk instead, as it did before the batch flush.
   */
  #eachPartWaits = false;

  constructor(connect: () => Promise<PostgresClient>, connections: number, log: WriterLog) {
    this.#connect = connect;
    this.#connections = connections;
    this.#log = log;
  }

  /** Clients open and healthy: a batch can be written. */
  get ready(): boolean {
    return this.#clients.length > 0 && !this.#broken;
  }

  /** Connected clients, each one part of a batch. */
  get connections(): number {
    return this.#clients.length;
  }

  /** Opens every connection (again, when one was lost); throws what the first failure threw. */
  async start(): Promise<void> {
    if (this.ready) return;
    await this.stop();
    const clients: PostgresClient[] = [];
    try {
      for (let i = 0; i < this.#connections; i++) clients.push(await this.#open());
    } catch (err) {
      await Promise.all(clients.map(close));
      throw err;
    }
    this.#broken = false;
    this.#clients = clients;
    this.#tails = clients.map(() => Promise.resolve());
    this.#log.info({ connections: clients.length }, 'Connected to PostgreSQL.');
  }

  /** One connection with its staging tables; losing it marks the writer broken. */
  async #open(): Promise<PostgresClient> {
    const client = await this.#connect();
    const onGone = (err?: unknown) => {
      if (!this.#clients.includes(client) || this.#broken) return;
      this.#broken = true;
      this.#log.warn({ err: errorDetails(err) }, 'PostgreSQL connection lost; will reconnect.');
    };
    client.on('error', onGone);
    client.on('end', () => onGone());
    try {
      for (const name of TABLE_NAMES) await client.query(stagingDdl(TABLES[name]));
      if (!this.#eachPartWaits) await client.query(PARTS_COMMIT_SQL);
    } catch (err) {
      await close(client);
      throw err;
    }
    return client;
  }

  /**
   * Writes part `index` of the batch being written on connection `index % connections`, once
   * that connection's earlier parts are done (each part is a transaction of its own).
   */
  writePart(index: number, tables: readonly TableText[]): Promise<PartResult> {
    const slot = index % Math.max(1, this.#clients.length);
    const client = this.#clients[slot];
    if (client === undefined || this.#broken) return Promise.reject(notConnected());
    const write = (this.#tails[slot] ?? Promise.resolve()).then(() =>
      // The connection may have been lost while this part waited its turn.
      this.#broken || this.#clients[slot] !== client ? Promise.reject(notConnected()) : this.#writePart(client, tables),
    );
    this.#tails[slot] = write.catch(() => {});
    return write;
  }

  /**
   * Waits for every part of a batch (so a retry never overlaps a part still writing), then for
   * the WAL of all of them to be on disk ({@link DURABLE_SQL}), and says what they came to. A
   * failure that is not the data's fault drops the connections: the next {@link start} opens
   * new ones.
   */
  async settle(writes: readonly Promise<PartResult>[]): Promise<BatchOutcome> {
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const error: unknown = failed.reason;
      if (!this.#broken && !isRetryable(error)) return { ok: false, retryable: false, error };
      return this.#retryOnNewConnections(error);
    }
    // A flush that fails is never the data's fault: the batch is written again on new connections.
    const unflushed = await this.#durable(writes.length);
    if (unflushed) return this.#retryOnNewConnections(unflushed.error);
    let inserted = 0;
    let restaged = 0;
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      inserted += r.value.inserted;
      if (r.value.restaged) restaged += 1;
    }
    return { ok: true, inserted, restaged };
  }

  /** Drops the connections (the next {@link start} opens new ones) and says the batch can be retried. */
  async #retryOnNewConnections(error: unknown): Promise<BatchOutcome> {
    this.#broken = true;
    await this.stop();
    return { ok: false, retryable: true, error };
  }

  /**
   * Waits for the WAL of the `parts` just committed to be on disk; says what failed, if
   * anything. A server that refuses the flush itself, rather than losing the connection, has
   * each part's commit wait from then on.
   */
  async #durable(parts: number): Promise<{ readonly error: unknown } | undefined> {
    if (parts === 0 || this.#eachPartWaits) return undefined;
    const client = this.#clients[0];
    if (client === undefined || this.#broken) return { error: notConnected() };
    try {
      await client.query(DURABLE_SQL);
      return undefined;
    } catch (err) {
      if (!isRetryable(err)) {
        this.#eachPartWaits = true;
        this.#log.warn({ err: errorDetails(err) }, 'PostgreSQL refused the batch flush; each part now waits for its own commit.');
      }
      return { error: err };
    }
  }

  /** Closes every connection. */
  async stop(): Promise<void> {
    const clients = this.#clients;
    this.#clients = [];
    this.#tails = [];
    await Promise.all(clients.map(close));
  }

  /**
   * One part in one transaction, straight into the tables; when it meets a stored row, rolled
   * back and written again through staging. A rejected part is rolled back (unless its
   * connection is gone).
   */
  async #writePart(client: PostgresClient, tables: readonly TableText[]): Promise<PartResult> {
    try {
      return await this.#commit(client, tables, 'direct').then(
        (inserted) => ({ inserted, restaged: false }),
        async (err: unknown) => {
          if (this.#broken || (err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
          await client.query('ROLLBACK');
          return { inserted: await this.#commit(client, tables, 'staged'), restaged: true };
        },
      );
    } catch (err) {
      if (!this.#broken && isRetryable(err) === false) await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /** One transaction writing every table's rows; resolves to the rows inserted. */
  async #commit(client: PostgresClient, tables: readonly TableText[], into: 'staged' | 'direct'): Promise<number> {
    let inserted = 0;
    await client.query('BEGIN');
    for (const { table, bytes, rows } of tables) {
      const spec = TABLES[table];
      const stream = client.query(copyFrom(copySql(spec, into)));
      await new Promise<void>((resolveCopy, reject) => {
        stream.on('error', reject);
        stream.on('finish', resolveCopy);
        stream.end(bytes);
      });
      inserted += into === 'direct' ? rows : ((await client.query(insertSql(spec))).rowCount ?? 0);
    }
    await client.query('COMMIT');
    return inserted;
  }
}

/**
 * Writes part `index` of a batch and, once it is stored, gives its buffers back to the pool
 * they came from for the next part. A failed write keeps them: its socket may not be done with
 * them, and the garbage collector frees them when nothing holds them.
 */
export function writtenThenReleased(writer: Pick<CopyWriter, 'writePart'>, index: number, text: CopyText): Promise<PartResult> {
  return writer.writePart(index, text.tables()).then((result) => {
    text.release();
    return result;
  });
}

/** What a log needs of an error, as plain data (it may cross to another thread). */
export function errorDetails(err: unknown): { message: string; code?: string } | undefined {
  if (err === undefined) return undefined;
  const code = (err as { code?: unknown }).code;
  return { message: err instanceof Error ? err.message : String(err), ...(typeof code === 'string' ? { code } : {}) };
}

/** What a part meets when the connections are gone: retryable, as a reset connection is. */
function notConnected(): Error {
  return Object.assign(new Error('Not connected.'), { code: 'ECONNRESET' });
}

/** Ends a client, ignoring what it says on the way out. */
async function close(client: PostgresClient): Promise<void> {
  client.removeAllListeners('end');
  client.on('error', () => {});
  await client.end().catch(() => {});
}
