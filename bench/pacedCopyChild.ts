/**
 * The paced COPY of full-graph's measured ceiling (bench/pacedCopy.ts), in a process of its own:
 * started with the dump's file and the database URL, says `ready` with its parts, then answers
 * each `run` (a rate and a window) with what it committed in the window, and exits on `stop`.
 * Its commits are the sink's (copyWriter.ts): a part's commit does not wait for the disk, and
 * one transaction that does ({@link DURABLE_SQL}) follows every {@link FLUSH_EVERY} parts, the
 * parts of the sink's largest batch.
 */
import { readFile } from 'node:fs/promises';
import { postgresComponent } from '../src/sinks/postgres/index.js';
import { DURABLE_SQL, PARTS_COMMIT_SQL } from '../src/sinks/postgres/copyWriter.js';
import { dueMs, type FromPaced, PART_MESSAGES, type PacedResult, partsOf, type ToPaced } from './pacedCopy.js';
import { connectClients, type CopyPart, writePart } from './rawCopy.js';

const CONNECTIONS = 2;
const [file, url] = process.argv.slice(2) as [string, string];
const send = (message: FromPaced) => process.send?.(message);

const saved = JSON.parse(await readFile(file, 'utf8')) as { messages: number; tables: [string, string[]][] };
const parts = partsOf({ messages: saved.messages, tables: new Map(saved.tables) }, PART_MESSAGES);
const clients = await connectClients(url, CONNECTIONS);
await Promise.all(clients.map((db) => db.query(PARTS_COMMIT_SQL)));
const rows = saved.tables.reduce((sum, [, lines]) => sum + lines.length, 0);
/** Parts of {@link PART_MESSAGES} messages in the sink's largest batch (its events are about its rows). */
const FLUSH_EVERY = Math.max(1, Math.round((postgresComponent.driver?.batchMax ?? 20_000) / ((PART_MESSAGES * rows) / saved.messages)));

async function run(rate: number, seconds: number): Promise<PacedResult> {
  const windowMs = seconds * 1000;
  const needed = Math.ceil((windowMs * rate) / (PART_MESSAGES * 1000));
  const due = Math.min(parts.length, needed);
  let next = 0;
  let committed = 0;
  let error: string | null = null;
  const cpu = process.cpuUsage();
  const started = performance.now();
  // Each connection takes the next part when it is free, waiting for its time when early.
  await Promise.all(
    clients.map(async (db) => {
      while (error === null && next < due) {
        const k = next++;
        const wait = started + dueMs(k, rate, PART_MESSAGES) - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (performance.now() - started >= windowMs) return;
        try {
          await writePart(db, parts[k] as CopyPart);
          if ((k + 1) % FLUSH_EVERY === 0) await db.query(DURABLE_SQL);
        } catch (err) {
          error = (err as Error).message;
          // The connection is in an aborted transaction otherwise, and every later run would fail on it.
          await db.query('ROLLBACK').catch(() => {});
          return;
        }
        if (performance.now() - started <= windowMs) committed += 1;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    rate,
    windowMs,
    partsNeeded: needed,
    partsDue: due,
    partsCommitted: committed,
    messagesCommitted: committed * PART_MESSAGES,
    clientCpuMs: Math.round((used.user + used.system) / 1000),
    error,
  };
}

send({ t: 'ready', parts: parts.length });
process.on('message', async (m: ToPaced) => {
  if (m.t === 'run') {
    send({ t: 'done', ...(await run(m.rate, m.seconds)) });
    return;
  }
  await Promise.all(clients.map((db) => db.end()));
  process.exit(0);
});
process.on('disconnect', () => process.exit(0));
