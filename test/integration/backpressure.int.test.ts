/**
 * Issue 17's run, short: the default pipeline with `CHATFLOW_SIM_RATE=max` against a real
 * PostgreSQL for ~5 s. The `history` sink (postgres, `when_full: block` by default) cannot keep
 * up, so the runtime pauses the `simulate` source instead of dropping: every chat message the
 * source emitted is stored exactly once, nothing is dropped as `buffer_full`, and the source's
 * paused time shows it was slowed. The sink's buffer is 20 000 events here (200 000 by default) so
 * that it congests within 5 s on a busy machine too. (`npm run bench backpressure` runs it for 25 s
 * with the defaults.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDefaultPipelineAtMax } from '../support/defaultPipelineRun.js';
import { startTestPostgres, type TestServer } from '../support/servers.js';

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestPostgres();
  dir = await mkdtemp(join(tmpdir(), 'chatflow-backpressure-'));
});

afterAll(async () => {
  await server?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('backpressure: the default pipeline at rate: max into PostgreSQL', () => {
  it('stores every chat message the source emitted exactly once, drops none, and pauses the source', async () => {
    const run = await runDefaultPipelineAtMax({
      seconds: 5,
      dir,
      postgresUrl: server.url,
      // Small enough that the source outruns it within 5 s however busy the machine is.
      historyBuffer: 20_000,
    });
    const history = run.nodes.get('history');
    const demo = run.nodes.get('demo');

    expect(run.emitted).toBeGreaterThan(0);
    expect(run.stored).toEqual({ rows: run.emitted, distinctIds: run.emitted });
    expect(history?.dropped.buffer_full).toBeUndefined();
    expect(Object.values(history?.dropped ?? {}).filter((d) => !d.intentional)).toEqual([]);
    expect(run.stop.lostAtShutdown).toBe(0);
    // Slowed, not dropped: the source spent time paused by `history`.
    expect(demo?.flow?.pauses).toBeGreaterThan(0);
    expect(demo?.flow?.pausedMs).toBeGreaterThan(0);
  }, 120_000);
});
