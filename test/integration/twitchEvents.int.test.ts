/**
 * `twitch_events` end to end, against the fake EventSub (real WebSockets, twurple unpatched):
 * a channel-points redemption with input "0.8" moves `cutoff` at a real OSC receiver (liblo's
 * `oscdump`) through examples/channel-points.yaml (parse_command → throttle → control → osc),
 * and is FULFILLED through Helix;
 * a second one from the same viewer inside the throttle window is refunded (CANCELED) and
 * never reaches the synth. And every EventSub sample reaches a real PostgreSQL's
 * `platform_events` once, however often it is delivered.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import { COMMAND_OUTCOMES, CommandOutcomes } from '../../src/core/commandOutcomes.js';
import type { PlatformEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { provide, Services } from '../../src/core/services.js';
import { TWITCH_AUTH } from '../../src/core/twitchAuth.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { type PipelineRuntime, startPipeline } from '../../src/pipelines/run.js';
import { connectPostgres, PostgresConfig, PostgresSink } from '../../src/sinks/postgres/index.js';
import { normalizeEventSub } from '../../src/sources/twitchEvents/normalize.js';
import { FakeEventSub } from '../fakes/twitchEventSub.js';
import { notificationSamples } from '../fakes/twitchEventSubSamples.js';
import { testTwitchAuth } from '../fakes/twitchTestAuth.js';
import { until } from '../support/poll.js';
import { startTestPostgres, type TestServer } from '../support/servers.js';
import { type OscDump, startOscDump } from './oscSupport.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/channel-points.yaml', import.meta.url));
const REWARD = { id: 'b3c6a1f0-reward-filter-sweep', title: 'Filter sweep', cost: 200, prompt: 'Cutoff from 0 to 1' };

/** A redemption of "Filter sweep" by viewer32, as Twitch sends it. */
function redemption(id: string, input: string): Record<string, unknown> {
  return {
    id,
    broadcaster_user_id: '1971641',
    broadcaster_user_login: 'streamer',
    broadcaster_user_name: 'Streamer',
    user_id: '4145994',
    user_login: 'viewer32',
    user_name: 'Viewer32',
    user_input: input,
    status: 'unfulfilled',
    reward: REWARD,
    redeemed_at: new Date().toISOString(),
  };
}

describe('channel points → command → synth, settled through Helix', () => {
  let fake: FakeEventSub;
  let synth: OscDump;
  let dir: string;
  let runtime: PipelineRuntime | undefined;

  beforeAll(async () => {
    fake = await FakeEventSub.start();
    synth = await startOscDump();
    dir = await mkdtemp(join(tmpdir(), 'chatflow-eventsub-'));
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });
  afterAll(async () => {
    await synth?.stop();
    await fake?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('input "0.8" moves cutoff and is fulfilled; a second inside the throttle window is refunded', async () => {
    const file = EXAMPLE;
    const graph = loadPipeline(file, { registry: defaultRegistry(), env: { SYNTH_PORT: String(synth.port) } });
    runtime = await startPipeline(graph, {
      logger: silentLogger(),
      resources: {
        baseDir: dir,
        instance: 'eventsub-int',
        services: new Services([provide(TWITCH_AUTH, testTwitchAuth(fake.helix)), provide(COMMAND_OUTCOMES, new CommandOutcomes())]),
      },
    });
    await until('subscribed', () => fake.enabled().length === 2);
    await until('the default at the synth', () => synth.lines().includes('/cv/cutoff f 0.500000'));

    fake.notify('channel.channel_points_custom_reward_redemption.add', redemption('r-1', '0.8'));
    // The example slews over 200ms: the last step is the value asked for.
    await until('cutoff 0.8 at the synth', () => synth.lines().includes('/cv/cutoff f 0.800000'));
    await until('r-1 fulfilled', () => fake.patches.length === 1);
    expect(fake.patches[0]).toEqual({ ids: ['r-1'], rewardId: REWARD.id, status: 'FULFILLED', answer: 200 });

    fake.notify('channel.channel_points_custom_reward_redemption.add', redemption('r-2', '0.3'));
    await until('r-2 settled', () => fake.patches.length === 2);
    expect(fake.patches[1]).toEqual({ ids: ['r-2'], rewardId: REWARD.id, status: 'CANCELED', answer: 200 });
    const cutoff = synth.lines().filter((l) => l.startsWith('/cv/cutoff'));
    expect(cutoff.at(-1)).toBe('/cv/cutoff f 0.800000');
    // Never towards 0.3: every step lies between the default and 0.8.
    for (const line of cutoff) expect(Number(line.split(' ')[2])).toBeGreaterThanOrEqual(0.5);
    const limit = runtime.snapshot().find((n) => n.id === 'fair');
    expect(limit?.dropped.throttled?.count).toBe(1);
  });
});

describe('EventSub events in platform_events', () => {
  let server: TestServer;
  let db: pg.Client;
  let scratch: string;

  beforeAll(async () => {
    server = await startTestPostgres();
    db = new pg.Client({ connectionString: server.url });
    await db.connect();
    scratch = await mkdtemp(join(tmpdir(), 'chatflow-eventsub-pg-'));
  });
  afterAll(async () => {
    await db?.end();
    await server?.destroy();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('every sample stored once, delivered twice; poll choices kept', async () => {
    const sink = new PostgresSink('history', PostgresConfig.parse({}), {
      connect: connectPostgres(server.url, 'chatflow-test'),
      instance: 'test-1',
      deadLetterPath: join(scratch, 'dead.jsonl'),
      now: Date.now,
    });
    await sink.start();
    const platform = notificationSamples().flatMap((s, i) => {
      const out = normalizeEventSub(s.type, s.event, { messageId: `m-${i}`, receivedAt: 0, now: () => 1_773_515_000_000 });
      return out.outcome === 'events' ? out.events.filter((e): e is PlatformEvent => e.kind === 'platform') : [];
    });
    expect(platform).toHaveLength(29);
    await sink.write(platform);
    await sink.write(platform); // a retried batch, a redelivery
    await sink.stop();
    const { rows } = await db.query<{ n: string; types: string[] }>('SELECT count(*) AS n, array_agg(DISTINCT type ORDER BY type) AS types FROM platform_events');
    expect(Number(rows[0]?.n)).toBe(29);
    expect(rows[0]?.types).toEqual([
      'ad_break',
      'announcement',
      'chat_cleared',
      'cheer',
      'follow',
      'gift',
      'hype_train',
      'message_deleted',
      'poll',
      'prediction',
      'raid',
      'redemption',
      'redemption_update',
      'shared_chat',
      'stream_offline',
      'stream_online',
      'subscription',
      'user_messages_cleared',
    ]);
    const poll = await db.query("SELECT data FROM platform_events WHERE event_id LIKE 'poll:%:end'");
    expect(poll.rows[0]?.data.items.map((c: { title: string; votes: number }) => [c.title, c.votes])).toEqual([
      ['Dragon', 31],
      ['Golem', 14],
    ]);
  });
});
