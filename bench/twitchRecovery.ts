/**
 * Twitch recovery: how long a `twitch` node in a running pipeline takes, after a fault on its
 * connection, to be joined again (the new connection's ROOMSTATE) and reported live, against the
 * fake Twitch server over a real WebSocket. Two faults: the server drops the socket (the
 * runtime's backoff, then a new connection) and the server sends RECONNECT (a new connection
 * before the old one closes: no gap, so `liveMs` is 0).
 * These figures used to be ceilings in test/integration/twitch.int.test.ts; the test now checks
 * what happens (statuses, nothing lost or doubled), this bench how fast.
 */
import { defaultRegistry } from '../src/components.js';
import { silentLogger } from '../src/core/logger.js';
import { buildGraph } from '../src/pipelines/graph.js';
import { loadText } from '../src/pipelines/load.js';
import { startPipeline } from '../src/pipelines/run.js';
import { type FakeConnection, FakeTwitchServer, privmsgLine } from '../test/fakes/twitchServer.js';
import { PING_INTERVAL_MS, PING_TIMEOUT_MS, RECOVERY_BACKOFF as BACKOFF, twitchRecoveryPipeline } from '../test/fixtures/twitchRecovery.js';
import { writeResult } from './results.js';

const ROUNDS = 5;

type Fault = 'terminate' | 'reconnect';

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what} not met within ${ms}ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** One fault on a live node: milliseconds from the fault to rejoined and to live again. */
async function once(fault: Fault): Promise<{ joinedMs: number; liveMs: number }> {
  const server = await FakeTwitchServer.start({ roomStateDelayMs: 5, linesPerFrame: 1 });
  const result = buildGraph(
    loadText(twitchRecoveryPipeline(server.url, 'blackhole'),
      { file: 'twitch-recovery.yaml', env: {} },
    ),
    defaultRegistry(),
  );
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  const runtime = await startPipeline(result.graph, {
    logger: silentLogger(),
    resources: { baseDir: process.cwd(), instance: 'bench' },
    backoff: BACKOFF,
  });
  let seq = 0;
  const publisher = setInterval(() => server.broadcast('live', [privmsgLine('live', { id: `m${seq}`, text: `m${seq++}` })]), 5);
  try {
    const status = () => runtime.metrics.get('chat')?.status;
    await until(() => status() === 'live', 5000, 'live');
    const old = server.live[0] as FakeConnection;
    const faultAt = performance.now();
    if (fault === 'terminate') server.terminate(old);
    else server.reconnect(old, 1500);
    let liveAt: number | undefined;
    let left = fault === 'reconnect';
    await until(
      () => {
        if (status() !== 'live') left = true;
        else if (left && liveAt === undefined) liveAt = performance.now();
        return liveAt !== undefined && server.connections.some((c) => c.id !== old.id && c.roomStateAt.has('live'));
      },
      10_000,
      'recovered',
    );
    const fresh = server.connections.find((c) => c.id !== old.id) as FakeConnection;
    return { joinedMs: (fresh.roomStateAt.get('live') as number) - faultAt, liveMs: (liveAt as number) - faultAt };
  } finally {
    clearInterval(publisher);
    await runtime.stop();
    await server.close();
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function measure(): Promise<Record<string, unknown>> {
  const figures: Record<string, unknown> = { rounds: ROUNDS, backoffInitialMs: BACKOFF.initialMs, pingIntervalMs: PING_INTERVAL_MS, pingTimeoutMs: PING_TIMEOUT_MS };
  for (const fault of ['terminate', 'reconnect'] as const) {
    const runs: { joinedMs: number; liveMs: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await once(fault));
    const joined = runs.map((r) => r.joinedMs);
    const live = runs.map((r) => r.liveMs);
    figures[fault] = {
      joinedMedianMs: round1(median(joined)),
      joinedMaxMs: round1(Math.max(...joined)),
      liveMedianMs: round1(median(live)),
      liveMaxMs: round1(Math.max(...live)),
    };
  }
  return figures;
}

export async function twitchRecovery(): Promise<Record<string, unknown>> {
  const figures = await measure();
  await writeResult('twitch-recovery', figures);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await measure())}\n`);
}
