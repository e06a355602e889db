/**
 * `chatflow reingest <file>`: writes a dead-letter JSONL file of the `postgres` sink into
 * PostgreSQL. Rows already stored are skipped (the sink's insert ignores conflicts), so running
 * it twice stores nothing twice.
 */
import { createReadStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { CommandIo } from '../cli.js';
import { toError } from '../core/errors.js';
import type { ChatflowEvent } from '../core/events.js';
import { createLogger } from '../core/logger.js';
import { openStorage } from '../resources/storage.js';
import { connectPostgres, PostgresConfig, PostgresSink } from '../sinks/postgres.js';
import { EXIT } from './exitCodes.js';
import { loadForCli } from './loadForCli.js';

const BATCH = 1000;

/** Counts of one re-ingest. */
export interface ReingestResult {
  /** Events read from the file. */
  readonly events: number;
  /** Rows that were new (not already in the tables). */
  readonly inserted: number;
}

/** Reads `file` (one event per line) and writes it to the database at `url`, 1000 events at a time. */
export async function reingestFile(file: string, url: string, options: { instance: string }): Promise<ReingestResult> {
  const sink = new PostgresSink('reingest', PostgresConfig.parse({}), {
    connect: connectPostgres(url, 'chatflow-reingest'),
    instance: options.instance,
    deadLetterPath: `${file}.failed`,
  });
  await sink.start();
  let events = 0;
  let batch: ChatflowEvent[] = [];
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      batch.push(JSON.parse(line) as ChatflowEvent);
      events += 1;
      if (batch.length >= BATCH) {
        await sink.write(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await sink.write(batch);
  } finally {
    await sink.stop();
  }
  return { events, inserted: sink.inserted };
}

export async function reingestCommand(
  file: string,
  options: { pipeline: string; url: string | undefined },
  io: CommandIo,
): Promise<number> {
  const logger = createLogger({ pretty: false });
  let url = options.url;
  let close = async (): Promise<void> => {};
  if (url === undefined) {
    const graph = await loadForCli(options.pipeline, io);
    if (!graph) return EXIT.config;
    const storage = await openStorage(graph, {
      baseDir: dirname(resolve(options.pipeline)),
      logger,
      needs: { redis: false, postgres: true },
    });
    close = () => storage.close();
    url = storage.resources.postgres?.url;
    if (url === undefined) {
      await close();
      io.stderr.write('chatflow reingest: PostgreSQL is not available (see the warning above).\n');
      return EXIT.internal;
    }
  }
  try {
    const result = await reingestFile(resolve(file), url, { instance: io.env.CHATFLOW_INSTANCE ?? 'reingest' });
    io.stdout.write(`Re-ingested ${result.events} events (${result.inserted} new rows) from ${file}.\n`);
    return EXIT.ok;
  } catch (err) {
    io.stderr.write(`chatflow reingest: ${toError(err).message}\n`);
    return EXIT.internal;
  } finally {
    await close();
    logger.flush();
  }
}
