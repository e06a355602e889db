/**
 * The YouTube quota count of a run (core/youtubeQuota.ts), kept in `.chatflow/youtube-quota.json`
 * so a restart on the same Pacific day carries on from what was spent, as Google does. Read
 * once at start; written after each change, one write at a time (changes made meanwhile go
 * in the next), through a temporary file and a rename, so a crash leaves the last whole file.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { type Provided, provide } from '../../core/services.js';
import { type QuotaSnapshot, YOUTUBE_QUOTA, YoutubeQuota } from '../../core/youtubeQuota.js';
import { readSecretJson, writeSecretJson } from '../secretFile.js';

const StoredQuota = z.object({
  day: z.string(),
  projects: z.record(
    z.string(),
    z.object({ read: z.number().min(0), send: z.number().min(0), exhaustedUntil: z.number().optional() }),
  ),
});

export function youtubeQuotaFile(baseDir: string): string {
  return join(baseDir, '.chatflow', 'youtube-quota.json');
}

export interface OpenedYoutubeQuota {
  readonly quota: YoutubeQuota;
  /** `YOUTUBE_QUOTA`, for `resources.services`. */
  readonly provided: readonly Provided[];
  /** Waits for the last change to be written. */
  close(): Promise<void>;
}

/** Opens the run's quota count from `baseDir`'s `.chatflow/youtube-quota.json`; never throws. */
export async function openYoutubeQuota(options: { baseDir: string; logger: Logger }): Promise<OpenedYoutubeQuota> {
  const file = youtubeQuotaFile(options.baseDir);
  const log = options.logger.child({ component: 'youtube-quota' });
  let restore: QuotaSnapshot | undefined;
  try {
    restore = (await readSecretJson(file, StoredQuota)).value;
  } catch (err) {
    log.warn({ err, file }, 'YouTube quota file cannot be read; counting from zero.');
  }
  let writing: Promise<void> | undefined;
  let next: QuotaSnapshot | undefined;
  let failed = false;
  const write = (): Promise<void> => {
    const snapshot = next as QuotaSnapshot;
    next = undefined;
    return writeSecretJson(file, snapshot)
      .catch((err: unknown) => {
        // Once: a disk that refuses one write usually refuses the next, and counting goes on in memory.
        if (!failed) log.warn({ err, file }, 'YouTube quota file cannot be written; a restart will count from zero.');
        failed = true;
      })
      .then(() => (next === undefined ? undefined : write()));
  };
  const quota = new YoutubeQuota({
    ...(restore === undefined ? {} : { restore }),
    onChange: (snapshot) => {
      next = snapshot;
      if (writing !== undefined) return;
      writing = write().finally(() => {
        writing = undefined;
      });
    },
  });
  return {
    quota,
    provided: [provide(YOUTUBE_QUOTA, quota)],
    close: async () => {
      while (writing !== undefined) await writing;
    },
  };
}
