import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestServer } from '../test/support/servers.js';
import { PACED_PREFIX, PacedCopy } from './pacedCopy.js';
import { dumpRows, rawCopy } from './rawCopy.js';

const MESSAGES = 5000;

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query<T>(sql)).rows;
  } finally {
    await db.end();
  }
}

describe('PacedCopy on real PostgreSQL', () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    server = await startTestPostgres();
    dir = await mkdtemp(join(tmpdir(), 'chatflow-paced-'));
    await query(
      server.url,
      `INSERT INTO chat_messages (platform, message_id, channel, author_id, author_login, author_name, text, ts, instance)
       SELECT 'twitch', 'm' || n, 'chan', 'u' || (n % 50), 'user' || (n % 50), 'User' || (n % 50), 'hello ' || n, now(), 'test'
       FROM generate_series(1, ${MESSAGES}) AS n`,
    );
  }, 60_000);

  afterAll(async () => {
    await server?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the stored rows at the rate asked, each part once, and says it kept up', async () => {
    const dump = await dumpRows(server.url, MESSAGES, PACED_PREFIX);
    expect(dump.messages).toBe(MESSAGES);
    const { paced, parts } = await PacedCopy.start(server.url, dump, dir);
    try {
      expect(parts).toBe(2);
      // 5,000 messages at 10,000/s: two parts, due at 0 and 250 ms of a 0.5 s window.
      const result = await paced.run(10_000, 0.5);
      expect(result).toMatchObject({ partsNeeded: 2, partsDue: 2, partsCommitted: 2, messagesCommitted: 5000, error: null });
      const [copied] = await query<{ n: string }>(server.url, `SELECT count(*) AS n FROM "${PACED_PREFIX}chat_messages"`);
      expect(Number(copied?.n)).toBe(MESSAGES);
      // The same rows again meet the copies' primary key: the run says so instead of hanging.
      const again = await paced.run(10_000, 0.5);
      expect(again.error).toMatch(/duplicate key/);
      expect(again.partsCommitted).toBe(0);
    } finally {
      await paced.stop();
    }
    expect(paced.alive).toBe(false);
    await expect(paced.run(10_000, 0.5)).rejects.toThrow(/exited/);
  }, 60_000);

  it('raw COPY writes the same dump through the same parts writer, every round, and leaves no table behind', async () => {
    const result = await rawCopy(server.url, { messages: MESSAGES, connections: 2, rounds: 2 });
    expect(result).toMatchObject({ messages: MESSAGES, rows: MESSAGES });
    expect(result.messagesPerSec).toHaveLength(2);
    expect(result.messagesPerSec.every((rate) => rate > 0)).toBe(true);
    const left = await query<{ name: string }>(server.url, "SELECT tablename AS name FROM pg_tables WHERE tablename LIKE 'raw_copy_%'");
    expect(left).toEqual([]);
  }, 60_000);
});
