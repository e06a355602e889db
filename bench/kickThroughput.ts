/**
 * Kick throughput: chat frames (Pusher protocol 7, `data` double-encoded, a mix of plain
 * messages, emote tokens with astral text and replies, every id new) → normalized chat events
 * per second through the `kick` source, from the fake Kick server in the same process over a
 * real WebSocket; and, without the network, what one frame costs to decode, normalize and
 * dedupe. No goal is set by an issue yet: the figures are for comparison with
 * `twitch-throughput` and for noticing regressions.
 */
import { silentLogger } from '../src/core/logger.js';
import { NodeMetrics } from '../src/core/metrics.js';
import { KickConfig, kickChat } from '../src/sources/kick/index.js';
import { decodePusherFrame } from '../src/sources/kick/pusher.js';
import { createKickNodeState, gateKickEvent } from '../src/sources/kick/session.js';
import { normalizeKickEvent } from '../src/sources/kick/normalize.js';
import { type FakeKickConnection, FakeKickServer } from '../test/fakes/kickServer.js';
import { kickFrame } from '../test/fakes/kickSamples.js';
import { writeResult } from './results.js';

const FRAMES = Number(process.env.BENCH_KICK_FRAMES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CHANNEL = 'chatrooms.668.v2';

const CONTENTS = [
  'mhm',
  '[emote:3989851:litneyspears4Max]on my way to show you love',
  'LUL 🎉🎉 that was [emote:37226:KEKW] [emote:37226:KEKW] insane',
  '!cv cutoff 0.7',
];

/** Frame `n` of run `run`: its own id, one of four contents, every fifth a reply. */
function frameOf(run: number, n: number): string {
  const data: Record<string, unknown> = {
    id: `r${run}-${n}`,
    chatroom_id: 668,
    content: CONTENTS[n % CONTENTS.length],
    type: n % 5 === 0 ? 'reply' : 'message',
    created_at: '2025-07-17T08:44:56+00:00',
    sender: {
      id: 1000 + (n % 500),
      username: `Viewer${n % 500}`,
      slug: `viewer${n % 500}`,
      identity: { color: '#FF9D00', badges: n % 3 === 0 ? [{ type: 'subscriber', text: 'Subscriber', count: 3 }] : [] },
    },
  };
  if (n % 5 === 0) {
    data.metadata = { original_sender: { id: 7, username: 'someone' }, original_message: { id: `p${n}`, content: 'parent' } };
  }
  return kickFrame('App\\Events\\ChatMessageEvent', data, CHANNEL);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const hundredth = (n: number) => Math.round(n * 100) / 100;

/** Decode + normalize + dedupe of prepared frames, no network: microseconds per frame. */
function perFrameMicros(run: number): number {
  const frames = Array.from({ length: FRAMES }, (_, n) => frameOf(1000 + run, n));
  const state = createKickNodeState();
  const metrics = new NodeMetrics('kick', 'source', 'kick');
  let out = 0;
  const emit = (event: Parameters<typeof gateKickEvent>[0]) => {
    if (gateKickEvent(event, state, metrics) !== undefined) out += 1;
  };
  const now = () => 0;
  const started = performance.now();
  for (const raw of frames) {
    const frame = decodePusherFrame(raw);
    if (frame !== undefined) normalizeKickEvent(frame.event, frame.data, 'bench', 0, now, emit);
  }
  const elapsed = performance.now() - started;
  if (out !== FRAMES) throw new Error(`expected ${FRAMES} events, got ${out}`);
  return (elapsed * 1000) / FRAMES;
}

/** One source connection fed `FRAMES` frames by the fake server; events per second. */
async function overTheWire(server: FakeKickServer, run: number): Promise<number> {
  const frames = Array.from({ length: FRAMES }, (_, n) => frameOf(run, n));
  const metrics = new NodeMetrics('kick', 'source', 'kick');
  let received = 0;
  let live = false;
  let firstAt = 0;
  let lastAt = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const sub = kickChat(KickConfig.parse({ chatroom_id: 668, channel: 'bench', ws_url: server.wsUrl }), {
    id: 'kick',
    now: Date.now,
    logger: silentLogger(),
    metrics,
    setHealth: (h) => {
      if (h === 'live') live = true;
    },
    state: createKickNodeState(),
  }).subscribe(() => {
    received += 1;
    if (received === 1) firstAt = performance.now();
    if (received === FRAMES) {
      lastAt = performance.now();
      done();
    }
  });
  while (!live) await new Promise((resolve) => setTimeout(resolve, 5));
  const conn = server.subscribers(CHANNEL).at(-1) as FakeKickConnection;
  for (const frame of frames) {
    if (conn.ws.bufferedAmount > 4 * 1024 * 1024) await new Promise<void>((resolve) => conn.ws.send(frame, () => resolve()));
    else conn.ws.send(frame);
  }
  await finished;
  sub.unsubscribe();
  return ((FRAMES - 1) / (lastAt - firstAt)) * 1000;
}

export async function kickThroughput(): Promise<Record<string, unknown>> {
  const server = await FakeKickServer.start();
  const rates: number[] = [];
  const micros: number[] = [];
  try {
    for (let run = 0; run < ROUNDS; run++) {
      rates.push(await overTheWire(server, run));
      micros.push(perFrameMicros(run));
    }
  } finally {
    await server.close();
  }
  const figures = {
    frames: FRAMES,
    rounds: ROUNDS,
    wireEventsPerSecond: Math.round(median(rates)),
    wireRuns: rates.map((r) => Math.round(r)),
    perFrameMicros: hundredth(median(micros)),
    perFrameRuns: micros.map(hundredth),
  };
  await writeResult('kick-throughput', figures);
  return figures;
}
