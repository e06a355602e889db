/**
 * `twitch_events` on the real sign-in service (resources/twitch/openTwitchAuth.ts, as
 * `chatflow run` opens it) against the one fake Twitch (OAuth + Helix + EventSub socket on one
 * port): a revoked token, found at start or by the hourly validation while running, fails the
 * node with the service's reason (`failed`, `lastError` naming `chatflow auth twitch`), fires
 * the `source_down` alert, costs one refresh request, and is never restarted.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { VirtualTimeScheduler } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent, ChatflowEvent } from '../../src/core/events.js';
import { createLogger } from '../../src/core/logger.js';
import { buildRegistry } from '../../src/core/registry.js';
import { Services } from '../../src/core/services.js';
import { sampleMetricsComponent } from '../../src/operators/sampleMetrics/index.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { type PipelineRuntime, startPipeline } from '../../src/pipelines/run.js';
import { type OpenedTwitchAuth, openTwitchAuth } from '../../src/resources/twitch/openTwitchAuth.js';
import { VALIDATE_EVERY_MS } from '../../src/resources/twitch/twitchAuthService.js';
import { tokenFileIn, TwitchTokenStore } from '../../src/resources/twitch/tokenStore.js';
import { simulateComponent } from '../../src/sources/simulate/index.js';
import { twitchEventsComponent } from '../../src/sources/twitchEvents/index.js';
import { FakeEventSub } from '../fakes/twitchEventSub.js';
import { FAKE_CLIENT_ID, FAKE_STREAMER } from '../fakes/twitchHelix.js';
import { until } from '../support/poll.js';
import { tempDirs } from '../support/tempDirs.js';
import { collectComponent } from '../support/twitchAuthComponents.js';

const SCOPES = ['moderator:read:followers', 'bits:read'];
let twitch: FakeEventSub;
const dirs = tempDirs();
beforeAll(async () => {
  twitch = await FakeEventSub.start();
});
afterAll(async () => {
  await twitch.stop();
  await dirs.removeAll();
});

let opened: { runtime: PipelineRuntime; auth: OpenedTwitchAuth } | undefined;
afterEach(async () => {
  await opened?.runtime.stop();
  opened?.auth.close();
  opened = undefined;
});

const refreshes = () => twitch.helix.requests.filter((r) => r.path === '/oauth2/token' && r.params.grant_type === 'refresh_token').length;

async function run(options: { revokeFirst: boolean; validation: VirtualTimeScheduler; scopes?: readonly string[] }) {
  const scopes = options.scopes ?? SCOPES;
  const dir = await dirs.make('chatflow-twitch-events-auth-');
  const file = join(dir, 'pipeline.yaml');
  const endpoints = twitch.helix.endpoints;
  await writeFile(
    file,
    `version: 1
resources:
  twitch: { client_id: ${FAKE_CLIENT_ID}, auth_url: "${endpoints.auth}", helix_url: "${endpoints.helix}" }
sources:
  events: { type: twitch_events, events: [follows, cheers] }
  chat: { type: simulate, rate: 5/s, seed: 1 }
operators:
  watch:
    type: sample_metrics
    inputs: [chat]
    every: 50ms
    process: false
    alerts:
      source_down: { metric: chatflow_source_down_seconds, labels: { node: events }, warning: 0.05, message: "{label.node} has been down for {value} s" }
sinks:
  alerts: { type: collect, inputs: [watch.alerts] }
  keep: { type: collect, inputs: [events] }
`,
  );
  const pair = twitch.helix.signIn(FAKE_STREAMER, scopes);
  await new TwitchTokenStore(tokenFileIn(dir)).save('broadcaster', {
    clientId: FAKE_CLIENT_ID,
    userId: FAKE_STREAMER.id,
    login: FAKE_STREAMER.login,
    scopes,
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresIn: 14124,
    obtainedAt: Date.now(),
  });
  if (options.revokeFirst) twitch.helix.revokeUser(FAKE_STREAMER.id);
  const collected = new Map<string, ChatflowEvent[]>();
  const registry = buildRegistry([simulateComponent, twitchEventsComponent], [sampleMetricsComponent], [collectComponent(collected)]);
  const graph = await loadPipeline(file, { registry, env: {} });
  let log = '';
  const out = new PassThrough();
  out.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const logger = createLogger({ level: 'debug', destination: out });
  const refreshesBefore = refreshes();
  const auth = await openTwitchAuth(graph, { baseDir: dir, env: {}, logger, now: Date.now, scheduler: options.validation });
  const runtime = await startPipeline(graph, {
    logger,
    wallClock: Date.now,
    resources: { baseDir: dir, instance: 'test', services: new Services([...auth.provided]) },
  });
  opened = { runtime, auth };
  const alerts = () => (collected.get('alerts') ?? []).filter((e): e is AlertEvent => e.kind === 'alert');
  return { runtime, auth, pair, alerts, collected, log: () => log, refreshes: () => refreshes() - refreshesBefore };
}

/** Failed with the service's reason, alerted, asked Twitch once, never restarted, no token logged. */
async function expectFailedForGood(r: Awaited<ReturnType<typeof run>>) {
  await until('the node failed', () => r.runtime.metrics.get('events')?.status === 'failed');
  const node = r.runtime.snapshot().find((n) => n.id === 'events');
  expect(node?.lastError).toContain('Twitch refused to refresh');
  expect(node?.lastError).toContain('chatflow auth twitch');
  await until('the source_down alert', () => r.alerts().some((a) => a.rule === 'source_down' && a.state === 'firing'), { timeoutMs: 10_000 });
  // Time passes (the other source and the sampler run on): the node stays failed, Twitch is not asked again.
  const chat = r.runtime.metrics.get('chat');
  const chatOut = () => chat?.snapshot().eventsOut[''] ?? 0;
  const before = chatOut();
  await until('more chat', () => chatOut() >= before + 3, { timeoutMs: 10_000 });
  expect(r.runtime.metrics.get('events')?.status).toBe('failed');
  expect(r.refreshes()).toBe(1);
  const lines = r.log().split('\n');
  expect(lines.filter((l) => l.includes('Source failed and will not be restarted.'))).toHaveLength(1);
  expect(lines.filter((l) => l.includes('Source failed; restarting after backoff.'))).toHaveLength(0);
  expect(lines.filter((l) => l.includes('Twitch token cannot be used; sign in again.'))).toHaveLength(1);
  expect(r.log()).not.toContain(r.pair.accessToken);
  expect(r.log()).not.toContain(r.pair.refreshToken);
}

describe('twitch_events and its token', () => {
  it('a token revoked before the run: failed at start with the reason, no socket, alert, no restart', async () => {
    const sessions = twitch.sessions.length;
    const r = await run({ revokeFirst: true, validation: new VirtualTimeScheduler() });
    await expectFailedForGood(r);
    expect(twitch.sessions.length).toBe(sessions);
  });

  it('a token revoked while live, found by the hourly validation: failed with the reason, socket closed, alert, no restart', async () => {
    const validation = new VirtualTimeScheduler();
    const r = await run({ revokeFirst: false, validation });
    await until('live', () => r.runtime.metrics.get('events')?.status === 'live', { timeoutMs: 15_000 });
    twitch.helix.revokeUser(FAKE_STREAMER.id);
    validation.maxFrames = VALIDATE_EVERY_MS;
    validation.flush();
    await expectFailedForGood(r);
    await until('its socket closed', () => twitch.current === undefined);
  });

  it('a scope the token lacks (bits:read for cheers): stale, the follows still arrive, no request for what cannot work', async () => {
    const r = await run({ revokeFirst: false, validation: new VirtualTimeScheduler(), scopes: ['moderator:read:followers'] });
    await until('stale', () => r.runtime.metrics.get('events')?.status === 'stale', { timeoutMs: 15_000, detail: r.log });
    expect(twitch.enabled().map((s) => s.type)).toEqual(['channel.follow']);
    twitch.notifySample('channel.follow');
    await until('the follow', () => (r.collected.get('keep') ?? []).length === 1);
    expect(r.log()).toContain('EventSub subscription refused; the other events carry on.');
    expect(r.refreshes()).toBe(0);
  });
});
