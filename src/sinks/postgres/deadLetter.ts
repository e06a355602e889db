/** The `postgres` sink's dead-letter file: one JSON event per line, for `chatflow reingest`. */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ChatflowEvent } from '../../core/events.js';

/** Appends `batch` to the JSONL file at `path` (made with its folder when missing). */
export async function appendDeadLetters(path: string, batch: readonly ChatflowEvent[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, batch.map((e) => `${JSON.stringify(e)}\n`).join(''));
}
