/**
 * `chatflow reingest <file>`: writes a dead-letter JSONL file of the `postgres` sink into
 * PostgreSQL. Rows already stored are skipped (the sink's insert ignores conflicts), so running
 * it twice stores nothing twice.
 */
import { constants, createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { CommandIo } from './commandIo.js';
import { toError } from '../core/errors.js';
import type { ChatflowEvent } from '../core/events.js';
import { createLogger } from '../core/logger.js';
import { openStorage } from '../resources/storage.js';
import { connectPostgres, PostgresConfig, PostgresSink } from '../sinks/postgres/index.js';
import { EXIT } from './exitCodes.js';
import { loadForCli } from './loadForCli.js';

const BATCH = 1000;
/** Malformed lines listed one by one; the rest are counted. */
const SHOWN_MALFORMED = 20;

/** Counts of one re-ingest. */
export interface ReingestResult {
  /** Events read from the file. */
  readonly events: number;
  /** Rows that were new (not already in the tables). */
  readonly inserted: number;
  /** Lines that are not an event (cut short, hand-edited), skipped: line number and why. */
  readonly malformed: readonly MalformedLine[];
}

export interface MalformedLine {
  /** 1-based, as an editor shows it. */
  readonly line: number;
  readonly reason: string;
}

/** The event on one line of a dead-letter file, or why it is not one. */
export function parseEventLine(line: string): { event: ChatflowEvent } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { reason: `not JSON (${toError(err).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { reason: 'not a JSON object' };
  const { kind, id } = value as { kind?: unknown; id?: unknown };
  if (typeof kind !== 'string' || typeof id !== 'string') return { reason: 'not an event (no "kind" and "id")' };
  return { event: value as ChatflowEvent };
}

/** Reads `file` (one event per line) and writes it to the database at `url`, 1000 events at a time. */
export async function reingestFile(file: string, url: string, options: { instance: string }): Promise<ReingestResult> {
  const sink = new PostgresSink('reingest', PostgresConfig.parse({}), {
    connect: connectPostgres(url, 'chatflow-reingest'),
    instance: options.instance,
    deadLetterPath: `${file}.failed`,
    now: Date.now,
  });
  await sink.start();
  let events = 0;
  let lineNumber = 0;
  const malformed: MalformedLine[] = [];
  let batch: ChatflowEvent[] = [];
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      const parsed = parseEventLine(line);
      if ('reason' in parsed) {
        malformed.push({ line: lineNumber, reason: parsed.reason });
        continue;
      }
      batch.push(parsed.event);
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
  return { events, inserted: sink.inserted, malformed };
}

export async function reingestCommand(
  file: string,
  options: { pipeline: string; url: string | undefined },
  io: CommandIo,
): Promise<number> {
  // Before any server starts: a mistyped path is a usage mistake, not a database problem.
  try {
    await access(file, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.stderr.write(`chatflow reingest: cannot read "${file}"${code === 'ENOENT' ? ': no such file' : ` (${code})`}.\n`);
    return EXIT.usage;
  }
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
    for (const bad of result.malformed.slice(0, SHOWN_MALFORMED)) {
      io.stderr.write(`${file}:${bad.line}: skipped: ${bad.reason}\n`);
    }
    if (result.malformed.length > SHOWN_MALFORMED) {
      io.stderr.write(`… and ${result.malformed.length - SHOWN_MALFORMED} more malformed lines.\n`);
    }
    const skipped = result.malformed.length > 0 ? `; ${result.malformed.length} malformed lines skipped` : '';
    io.stdout.write(`Re-ingested ${result.events} events (${result.inserted} new rows) from ${file}${skipped}.\n`);
    return result.malformed.length > 0 ? EXIT.dataErrors : EXIT.ok;
  } catch (err) {
    io.stderr.write(`chatflow reingest: ${toError(err).message}\n`);
    return EXIT.internal;
  } finally {
    await close();
    logger.flush();
  }
}
