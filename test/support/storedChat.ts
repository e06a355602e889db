import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/resources/embedded.js';

/**
 * Reopens the embedded PostgreSQL a run left in `dir` (its `.chatflow/postgres`), counts the
 * stored chat messages and their distinct ids, and stops it again.
 */
export async function storedChat(postgresDir: string): Promise<{ rows: number; distinctIds: number }> {
  const server = await startEmbeddedPostgres(postgresDir);
  const db = new pg.Client({ connectionString: server.url });
  try {
    await db.connect();
    const { rows } = await db.query<{ n: string; d: string }>(
      'SELECT count(*) AS n, count(DISTINCT message_id) AS d FROM chat_messages',
    );
    return { rows: Number(rows[0]?.n), distinctIds: Number(rows[0]?.d) };
  } finally {
    await db.end();
    await server.stop();
  }
}
