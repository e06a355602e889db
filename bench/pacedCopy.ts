/**
 * PostgreSQL's part of full-graph's measured ceiling (`together`): the rows a run stored,
 * written back with plain COPY at a fixed rate of chat messages per second while the graph runs
 * with its postgres sink replaced by a null sink, in another process (bench/pacedCopyChild.ts),
 * so that both share the machine as chatflow and PostgreSQL do. The rows go in parts of
 * {@link PART_MESSAGES} messages (every table in proportion), each its own transaction, taken in
 * turn by the connections, part k due k × {@link PART_MESSAGES} / rate seconds after the start,
 * as the postgres sink splits a batch; no encoding, no hand-over, no retries.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IpcChild } from './ipcChild.js';
import type { CopyPart, DumpedRows } from './rawCopy.js';

/** Chat messages per part (the postgres sink's part size when it is behind). */
export const PART_MESSAGES = 2500;
/** The copies' table names: `paced_copy_<table>` (emptied with the others before each trial). */
export const PACED_PREFIX = 'paced_copy_';

/** The dump as parts of `partMessages` messages, every table split in proportion, in order. */
export function partsOf(dump: DumpedRows, partMessages: number): CopyPart[] {
  const count = Math.max(1, Math.ceil(dump.messages / partMessages));
  return Array.from({ length: count }, (_, k) =>
    [...dump.tables].flatMap(([table, lines]) => {
      const from = Math.floor((k * lines.length) / count);
      const to = Math.floor(((k + 1) * lines.length) / count);
      return to > from ? [{ table: `${PACED_PREFIX}${table}`, text: `${lines.slice(from, to).join('\n')}\n` }] : [];
    }),
  );
}

/** When part `k` is due, ms after the start, at `rate` messages/s. */
export const dueMs = (k: number, rate: number, partMessages: number): number => (k * partMessages * 1000) / rate;

/** What a paced copy did in its window. */
export interface PacedResult {
  readonly rate: number;
  readonly windowMs: number;
  /** Parts the window needs at the rate; parts due by its end (fewer when the dump ran out), and committed by then. */
  readonly partsNeeded: number;
  readonly partsDue: number;
  readonly partsCommitted: number;
  readonly messagesCommitted: number;
  /** This side's CPU (the client sending the rows), ms. */
  readonly clientCpuMs: number;
  /** A COPY or transaction that failed (its message), or null. */
  readonly error: string | null;
}

/** Why a paced copy did not keep its rate (empty when it did): the same bar as a sink's. */
export function pacedFailures(r: PacedResult): string[] {
  const failures: string[] = [];
  if (r.error !== null) failures.push(`the paced COPY failed: ${r.error}`);
  if (r.partsDue < r.partsNeeded) failures.push(`the paced COPY had ${r.partsDue} of the ${r.partsNeeded} parts the window needs`);
  const behind = (r.partsDue - r.partsCommitted) * PART_MESSAGES;
  if (behind > Math.max(r.rate / 2, 5000)) failures.push(`the paced COPY fell ${behind} messages behind`);
  return failures;
}

export type ToPaced = { readonly t: 'run'; readonly rate: number; readonly seconds: number } | { readonly t: 'stop' };
export type FromPaced = { readonly t: 'ready'; readonly parts: number } | ({ readonly t: 'done' } & PacedResult);

/** The child process that writes the parts when asked. */
export class PacedCopy {
  readonly #child: IpcChild<ToPaced, FromPaced>;

  private constructor(child: IpcChild<ToPaced, FromPaced>) {
    this.#child = child;
  }

  /** Writes the dump to `dir` and starts the child on it; resolves with the parts it holds. */
  static async start(url: string, dump: DumpedRows, dir: string): Promise<{ paced: PacedCopy; parts: number }> {
    const file = join(dir, 'paced-copy.json');
    await writeFile(file, JSON.stringify({ messages: dump.messages, tables: [...dump.tables] }));
    const child = new IpcChild<ToPaced, FromPaced>(
      process.execPath,
      ['--import', 'tsx', new URL('./pacedCopyChild.ts', import.meta.url).pathname, file, url],
      'paced COPY',
    );
    const ready = await child.next();
    if (ready.t !== 'ready') throw new Error('paced COPY: no ready');
    return { paced: new PacedCopy(child), parts: ready.parts };
  }

  /** Whether the child process still runs. */
  get alive(): boolean {
    return this.#child.alive;
  }

  /** Writes at `rate` messages/s for `seconds`, from now; resolves when the window is over. */
  async run(rate: number, seconds: number): Promise<PacedResult> {
    if (!this.#child.alive) throw new Error('paced COPY: the child exited');
    this.#child.send({ t: 'run', rate, seconds });
    const answer = await this.#child.next();
    if (answer.t !== 'done') throw new Error('paced COPY: unexpected answer');
    const { t: _, ...result } = answer;
    return result;
  }

  stop(): Promise<void> {
    return this.#child.stop({ t: 'stop' });
  }
}
