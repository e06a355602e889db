/**
 * Where the disk buffer keeps its files and how they are named: segment files
 * `00000000000000000001.seg` (a sequence number, so names sort in write order) and
 * `checkpoint.json`, the acknowledged read position, replaced atomically (temp file + rename).
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SEGMENT = /^(\d{20})\.seg$/;
const CHECKPOINT = 'checkpoint.json';

/** A place in the buffer: a segment and a byte offset in it. */
export interface Position {
  readonly segment: number;
  readonly offset: number;
}

/** Negative when `a` comes before `b`. */
export function comparePositions(a: Position, b: Position): number {
  return a.segment === b.segment ? a.offset - b.offset : a.segment - b.segment;
}

export function segmentPath(dir: string, segment: number): string {
  return join(dir, `${String(segment).padStart(20, '0')}.seg`);
}

/** The segment numbers in `dir`, oldest first (other files are ignored). */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  const out: number[] = [];
  for (const name of names) {
    const m = SEGMENT.exec(name);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/**
 * The acknowledged position, or undefined when there is none or it cannot be read (then
 * everything left is replayed: the sink's idempotency makes that safe).
 */
export async function readCheckpoint(dir: string): Promise<{ position: Position | undefined; problem?: string }> {
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { position: undefined };
    return { position: undefined, problem: (err as Error).message };
  }
  try {
    const value = JSON.parse(text) as { segment?: unknown; offset?: unknown };
    if (Number.isSafeInteger(value.segment) && Number.isSafeInteger(value.offset) && (value.offset as number) >= 0) {
      return { position: { segment: value.segment as number, offset: value.offset as number } };
    }
  } catch {
    // fall through: not JSON
  }
  return { position: undefined, problem: 'The checkpoint is not a position.' };
}

/** Replaces the checkpoint: a crash leaves the old one or the new one, never half of one. */
export async function writeCheckpoint(dir: string, position: Position): Promise<void> {
  const tmp = join(dir, `${CHECKPOINT}.tmp`);
  await writeFile(tmp, JSON.stringify({ segment: position.segment, offset: position.offset }));
  await rename(tmp, join(dir, CHECKPOINT));
}

export const CHECKPOINT_FILE = CHECKPOINT;
