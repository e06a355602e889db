/**
 * EventSub notifications/s through `twitch_events` into the control path: channel-points
 * redemptions (each its own viewer of 5000 and its own input) sent by the fake EventSub server
 * in the same process over a real WebSocket, read by twurple, normalized, mapped to
 * `cv cutoff <input>` and carried through parse_command → throttle → control in the runtime.
 * Same-run baseline: the same redemptions, normalized beforehand, pushed through the same
 * operators without the socket (what the control path alone costs), so `sourceShare` is what
 * the socket, twurple and the source add. The issue sets no goal: `pass` asks for every
 * notification to come out exactly once and at least 5000/s, a hundred times what one channel's
 * EventSub ever sends.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { defaultRegistry } from '../src/components.js';
import type { ChatflowEvent } from '../src/core/events.js';
import { silentLogger } from '../src/core/logger.js';
import { provide, Services } from '../src/core/services.js';
import { TWITCH_AUTH } from '../src/core/twitchAuth.js';
import { ControlConfig, control } from '../src/operators/control/index.js';
import { ParseCommandConfig, parseCommand } from '../src/operators/parseCommand/index.js';
import { ThrottleConfig, throttle } from '../src/operators/throttle/index.js';
import { loadPipeline } from '../src/pipelines/graph.js';
import { startPipeline } from '../src/pipelines/run.js';
import { normalizeEventSub } from '../src/sources/twitchEvents/normalize.js';
import { FakeEventSub } from '../test/fakes/twitchEventSub.js';
import { testTwitchAuth } from '../test/fakes/twitchTestAuth.js';
import { median } from './pipelineRun.js';
import { writeResult } from './results.js';

const NOTIFICATIONS = Number(process.env.BENCH_EVENTSUB_NOTIFICATIONS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GOAL = 5000;
const TYPE = 'channel.channel_points_custom_reward_redemption.add';

const PIPELINE = `version: 1
sources:
  twitch:
    type: twitch_events
    events: [redemptions]
    rewards: { "Filter sweep": "cv cutoff {input}" }
    settle: false
operators:
  cmds: { type: parse_command, inputs: [twitch], commands: { cv: { args: [name, "value:number(0..1)"] } } }
  fair: { type: throttle, inputs: [cmds.cv], per: user, rate: 10/s, burst: 20 }
  cv: { type: control, inputs: [fair], emit_defaults: false, variables: { cutoff: { range: [0, 1], default: 0.5 } } }
sinks:
  out: { type: blackhole, inputs: [cv] }
`;

function redemptions(round: number): Record<string, unknown>[] {
  return Array.from({ length: NOTIFICATIONS }, (_, n) => ({
    id: `r${round}-${n}`,
    broadcaster_user_id: '1971641',
    broadcaster_user_login: 'streamer',
    broadcaster_user_name: 'Streamer',
    user_id: String(10_000 + (n % 5000)),
    user_login: `viewer${n % 5000}`,
    user_name: `Viewer${n % 5000}`,
    user_input: String((n % 100) / 100),
    status: 'unfulfilled',
    reward: { id: 'reward-1', title: 'Filter sweep', cost: 100, prompt: '' },
    redeemed_at: '2026-03-14T19:01:02.17106713Z',
  }));
}

/** One round over the wire: notifications/s from the first frame sent to the last control change. */
async function overTheWire(dir: string, round: number): Promise<{ perSecond: number; changes: number }> {
  const fake = await FakeEventSub.start();
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, PIPELINE);
  const runtime = await startPipeline(loadPipeline(file, { registry: defaultRegistry(), env: {} }), {
    logger: silentLogger(),
    resources: { baseDir: dir, instance: 'bench', services: new Services([provide(TWITCH_AUTH, testTwitchAuth(fake.helix))]) },
  });
  try {
    while (fake.enabled().length < 2) await new Promise((r) => setTimeout(r, 5));
    const { frames, session } = fake.prepare(TYPE, redemptions(round));
    const changes = () => runtime.snapshot().find((n) => n.id === 'out')?.eventsIn ?? 0;
    const started = performance.now();
    for (const frame of frames) {
      if (session.ws.bufferedAmount > 4 * 1024 * 1024) await new Promise<void>((resolve) => session.ws.send(frame, () => resolve()));
      else session.ws.send(frame);
    }
    while (changes() < NOTIFICATIONS) await new Promise((r) => setTimeout(r, 1));
    const elapsed = performance.now() - started;
    // Anything more than one change per notification would be a redemption handled twice.
    await new Promise((r) => setTimeout(r, 100));
    return { perSecond: (NOTIFICATIONS / elapsed) * 1000, changes: changes() };
  } finally {
    await runtime.stop();
    await fake.stop();
  }
}

/** The baseline: the same redemptions, normalized beforehand, through the same three operators. */
function controlPathOnly(round: number): number {
  const events = redemptions(round).flatMap((event, i) => {
    const out = normalizeEventSub(TYPE, event, { messageId: `m${i}`, receivedAt: 0, now: () => 0 });
    return out.outcome === 'events' ? out.events.map((e) => (e.kind === 'platform' ? { ...e, data: { ...e.data, command: `cv cutoff ${event.user_input}` } } : e)) : [];
  });
  const input = new Subject<ChatflowEvent>();
  let changes = 0;
  const cmds = parseCommand(ParseCommandConfig.parse({ commands: { cv: { args: ['name', 'value:number(0..1)'] } } }));
  const fair = throttle(ThrottleConfig.parse({ per: 'user', rate: '10/s', burst: 20 }));
  const cv = control(ControlConfig.parse({ emit_defaults: false, variables: { cutoff: { range: [0, 1], default: 0.5 } } }));
  const routed = new Subject<ChatflowEvent>();
  const limited = new Subject<ChatflowEvent>();
  cv(limited).subscribe(() => {
    changes += 1;
  });
  fair(routed).subscribe((r) => limited.next(r.event));
  cmds(input).subscribe((r) => {
    if (r.port === 'cv') routed.next(r.event);
  });
  const started = performance.now();
  for (const event of events) input.next(event);
  const elapsed = performance.now() - started;
  if (changes !== NOTIFICATIONS) throw new Error(`baseline: ${changes} changes of ${NOTIFICATIONS}`);
  return (NOTIFICATIONS / elapsed) * 1000;
}

export async function eventsubBench(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'chatflow-bench-eventsub-'));
  const wire: number[] = [];
  const baseline: number[] = [];
  let exactlyOnce = true;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const run = await overTheWire(dir, round);
      wire.push(run.perSecond);
      if (run.changes !== NOTIFICATIONS) exactlyOnce = false;
      baseline.push(controlPathOnly(round));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const perSecond = Math.round(median(wire));
  const baselinePerSecond = Math.round(median(baseline));
  const figures = {
    notifications: NOTIFICATIONS,
    rounds: ROUNDS,
    notificationsPerSecond: perSecond,
    runs: wire.map((r) => Math.round(r)),
    baselineControlPathPerSecond: baselinePerSecond,
    baselineRuns: baseline.map((r) => Math.round(r)),
    sourceShare: Math.round((1 - perSecond / baselinePerSecond) * 1000) / 1000,
    exactlyOnce,
    goal: GOAL,
    pass: exactlyOnce && perSecond >= GOAL,
  };
  await writeResult('eventsub', figures);
  return figures;
}
