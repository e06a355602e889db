/**
 * The soak bench's floor (bench/soak.ts): a Node process that loads what `chatflow run` loads
 * and connects to the same Redis and PostgreSQL, but processes nothing. It runs with the same
 * node options, sets what bin/chatflow.js sets before loading (the old generation's growth,
 * source maps), imports the command line's bundle (every module and package it imports, as
 * `chatflow run` does) and opens one ioredis and one pg connection to the run's servers, then
 * waits for SIGTERM. It starts no worker thread: the osc stage and the postgres writer, with
 * their isolates, are chatflow's own memory above it.
 *
 * Plain JavaScript, run by node itself: through tsx it would carry tsx's own memory.
 * Arguments: the Redis URL and the PostgreSQL URL. Prints `ready` once connected.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--heap-growing-percent=30');
process.setSourceMapsEnabled(true);
const [redisUrl, postgresUrl] = process.argv.slice(2);
const { cliBundle } = await import('../bin/cliBundle.js');
await import(await cliBundle());
const { Redis } = await import('ioredis');
const { default: pg } = await import('pg');
const redis = new Redis(redisUrl, { lazyConnect: true });
await redis.connect();
await redis.ping();
const db = new pg.Client({ connectionString: postgresUrl, application_name: 'chatflow-soak-floor' });
await db.connect();
await db.query('SELECT 1');
process.stdout.write('ready\n');
// Holds the process (and its connections) until the bench stops it.
const idle = setInterval(() => {}, 60_000);
process.once('SIGTERM', async () => {
  clearInterval(idle);
  redis.disconnect();
  await db.end().catch(() => {});
});
