/** The `postgres` sink's registry record: history and analytics in PostgreSQL (the sink is in postgres.ts). */
import { join, resolve } from 'node:path';
import { defineSink } from '../../core/component.js';
import { PostgresConfig } from './config.js';
import { connectPostgres } from './copyWriter.js';
import { PostgresSink } from './postgres.js';
import { PostgresWorkerSink } from './workerSink.js';
import { postgresPreview } from './preview.js';
import { ResourceOffSink } from '../shared/resourceOff.js';

export const postgresComponent = defineSink({
  type: 'postgres',
  summary: 'Stores chat, commands, control changes, moderation, platform events and metrics in PostgreSQL.',
  description:
    'Uses `resources.postgres.url` (default `embedded`: a private server under `.chatflow/`); without one the sink is off, as logged once at start. Each batch is split across `connections` and written as COPYs into the tables, one transaction per part, from a writer thread of its own (`thread: worker`, the default; a crashed thread is replaced and its batch written again); a part that meets rows already stored is rolled back and written again through staging tables with `ON CONFLICT DO NOTHING`, so retries never duplicate. A lost connection is retried with backoff; batches that still fail go to the dead-letter file (`chatflow reingest`). What does not fit in its memory buffer waits on disk (`buffer.type: disk` by default, under `.chatflow/buffers/<node id>/`, up to `buffer.max_size`) and is written when PostgreSQL catches up, also after a crash. The sources that can wait (simulate, replay) are paused as soon as its memory buffer is full, so only live chat ever spills to disk; a full disk buffer drops the newest (`when_full: block`). See docs/storage.md.',
  config: PostgresConfig,
  driver: {
    // What does not fit in memory waits on disk (docs/storage.md, "Disk buffer").
    bufferType: 'disk',
    bufferMax: 200_000,
    // History is what must not be lost: a full memory buffer pauses the pausable sources feeding
    // it (simulate, replay); live chat spills to disk; only a full disk buffer drops (the newest).
    whenFull: 'block',
    // Behind (a backlog), batches of up to 20000 events go out as parts of 2500 taken in turn by
    // the connections (batchEncoder.ts), which stay busy for the whole batch instead of idling
    // between batches of 5000 while the next one is handed over (bench full-graph). A quiet
    // show's batches are what arrived in the timeout, which bounds its delay.
    batchMax: 20_000,
    batchTimeoutMs: 200,
    retryAttempts: 30,
    initialBackoffMs: 100,
    maxBackoffMs: 2_000,
    flushTimeoutMs: 10_000,
  },
  examples: ['kinds: [chat, command, control]', 'question_commands: [ask]\ndead_letter: .chatflow/history-dead.jsonl'],
  needs: () => ['postgres'],
  create: (config, ctx) => {
    const url = ctx.resources.postgres?.url;
    if (url === undefined) return new ResourceOffSink(ctx.metrics);
    const applicationName = `chatflow-${ctx.id}`;
    const deps = {
      instance: ctx.resources.instance,
      deadLetterPath: resolve(ctx.resources.baseDir, config.dead_letter ?? join('.chatflow', 'dead-letters', `${ctx.id}.jsonl`)),
      drops: ctx.metrics,
      counts: ctx.metrics,
      logger: ctx.logger,
      now: ctx.wallClock,
    };
    return config.thread === 'worker'
      ? new PostgresWorkerSink(ctx.id, config, { ...deps, url, applicationName })
      : new PostgresSink(ctx.id, config, { ...deps, connect: connectPostgres(url, applicationName) });
  },
  preview: postgresPreview,
});

export { PostgresConfig } from './config.js';
export { connectPostgres, type PostgresClient } from './copyWriter.js';
export { type PostgresDeps, PostgresSink } from './postgres.js';
export { type PostgresWorkerDeps, PostgresWorkerSink } from './workerSink.js';
