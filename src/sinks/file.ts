/**
 * `file`: events as JSONL, one JSON object per line, exactly as the pipeline has them: the
 * format the `replay` source reads.
 */
import type { WriteStream } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { defineSink, type Sink } from '../core/component.js';
import { NotConnectedError, SinkWriteError } from '../core/errors.js';
import { filePath } from '../core/filePath.js';
import type { ChatflowEvent } from '../core/events.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';

export const FileConfig = z
  .strictObject({
    path: filePath('write').describe(
        'File to write, relative to the pipeline file. Missing directories are created. The `replay` source plays it back.',
      ),
    append: z
      .boolean()
      .default(true)
      .describe('Add to what the file already holds; `false` empties it when the sink starts.'),
    fsync: z
      .boolean()
      .default(false)
      .describe(
        'At flush (shutdown) wait until the data is on the disk itself (`fsync`), not only handed to the operating system.',
      ),
  })
  .describe('JSONL of events, one per line.');
export type FileConfig = z.output<typeof FileConfig>;

/** Collaborators of {@link FileSink}. */
export interface FileDeps {
  /** Directory relative paths resolve against (the pipeline file's). */
  readonly baseDir: string;
  /** Where `unserializable` drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
  readonly logger?: Logger;
}

/**
 * Error codes retrying cannot fix: the sink gives up (`SinkWriteError`, with the path named).
 * Anything else (a full disk, an I/O error) reopens the file and retries.
 */
const FATAL_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP', 'EEXIST']);

/**
 * Appends each batch to the file as JSON lines through a write stream; a write resolves once
 * its lines are handed to the operating system, so nothing is acknowledged that could still be
 * lost in the process. An event that cannot be serialized is dropped (`unserializable`).
 */
export class FileSink implements Sink<ChatflowEvent> {
  /** The absolute path written to. */
  readonly path: string;
  readonly #id: string;
  readonly #config: FileConfig;
  readonly #drops: DropCounter;
  readonly #log: Logger;
  #handle: FileHandle | undefined;
  #stream: WriteStream | undefined;
  /** `append: false` empties the file on the first start only, not on a reconnect. */
  #truncate: boolean;

  constructor(id: string, config: FileConfig, deps: FileDeps) {
    this.#id = id;
    this.#config = config;
    this.path = resolve(deps.baseDir, config.path);
    this.#drops = deps.drops ?? NO_DROPS;
    this.#log = deps.logger ?? silentLogger();
    this.#truncate = !config.append;
  }

  async start(): Promise<void> {
    if (this.#stream) return;
    try {
      await mkdir(dirname(this.path), { recursive: true });
    } catch (err) {
      throw this.#failure(err, 'create the directory of');
    }
    let handle: FileHandle;
    try {
      handle = await open(this.path, this.#truncate ? 'w' : 'a');
    } catch (err) {
      throw this.#failure(err, 'open');
    }
    this.#truncate = false;
    const stream = handle.createWriteStream();
    // Failures reach the pending write's callback; this listener only keeps them from crashing.
    stream.on('error', () => {});
    this.#handle = handle;
    this.#stream = stream;
    this.#log.info({ path: this.path }, 'Writing events to a file.');
  }

  write(batch: readonly ChatflowEvent[]): void | Promise<void> {
    const stream = this.#stream;
    if (!stream || stream.destroyed) {
      this.#close();
      throw new NotConnectedError(this.#id);
    }
    let chunk = '';
    let bad = 0;
    for (const event of batch) {
      const line = jsonLine(event);
      if (line === undefined) bad += 1;
      else chunk += `${line}\n`;
    }
    if (bad > 0) this.#drops.drop('unserializable', false, bad);
    if (chunk === '') return;
    return new Promise<void>((resolvePromise, reject) => {
      stream.write(chunk, (err) => {
        if (!err) {
          resolvePromise();
          return;
        }
        this.#close();
        reject(this.#failure(err, 'write to'));
      });
    });
  }

  /** With `fsync: true`, waits until what was written is on the disk. */
  async flush(): Promise<void> {
    if (!this.#config.fsync || !this.#handle || !this.#stream || this.#stream.destroyed) return;
    try {
      await this.#handle.sync();
    } catch (err) {
      throw this.#failure(err, 'sync');
    }
  }

  async stop(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#handle = undefined;
    if (!stream || stream.closed) return;
    await new Promise<void>((resolvePromise) => {
      stream.once('close', () => resolvePromise());
      if (stream.destroyed) return;
      stream.end();
    });
  }

  /** Forgets a broken stream so the next `start` reopens the file. */
  #close(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#handle = undefined;
    stream?.destroy();
  }

  /** A typed error naming the path: final for permission-like problems, retried otherwise. */
  #failure(err: unknown, doing: string): Error {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code !== undefined && FATAL_CODES.has(code)) {
      return new SinkWriteError(this.#id, `Cannot ${doing} "${this.path}": ${code}.`, { cause: err });
    }
    return new NotConnectedError(this.#id, { cause: err });
  }
}

/** An event as one JSON line (without the newline); undefined when it cannot be serialized. */
export function jsonLine(event: ChatflowEvent): string | undefined {
  try {
    return JSON.stringify(event);
  } catch {
    return undefined;
  }
}

export const fileComponent = defineSink({
  type: 'file',
  summary: 'Writes events to a JSONL file, one event per line, as the `replay` source reads them.',
  description:
    'Each line is one event exactly as the pipeline has it. A missing directory is created; a path that cannot be written (permission denied, a directory, a read-only disk) stops the sink with an error naming the path, and its events are counted as dropped (`write_failed`). Other I/O errors reopen the file and retry.',
  config: FileConfig,
  driver: { bufferMax: 20_000, whenFull: 'drop_oldest', batchMax: 1000, batchTimeoutMs: 0 },
  examples: ['path: recordings/stream.jsonl', 'path: /var/log/chatflow/events.jsonl\nappend: false\nfsync: true'],
  create: (config, ctx) =>
    new FileSink(ctx.id, config, { baseDir: ctx.resources.baseDir, drops: ctx.metrics, logger: ctx.logger }),
  // Each line as the JSON object it holds (what `replay` reads back).
  preview: (_config, ctx, emit) => ({
    write: (batch) => {
      for (const event of batch) {
        const line = jsonLine(event);
        if (line === undefined) ctx.metrics.drop('unserializable', false);
        else emit(JSON.parse(line) as Record<string, unknown>);
      }
    },
  }),
});
