/**
 * A run with a node that needs a Twitch account (the `TWITCH_AUTH` service of
 * resources/twitch/openTwitchAuth.ts, as `chatflow run` opens it), against the fake Twitch:
 * an expired access token is refreshed and the new pair stored; a revoked one fails the node
 * with the reason (health `failed`, `/health` lastError), raises the `source_down` alert, costs
 * one refresh request and no restart; no token ever reaches the log.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateComponent } from '../../src/sources/simulate/index.js';
import { sampleMetricsComponent } from '../../src/operators/sampleMetrics/index.js';
import type { AlertEvent, ChatflowEvent } from '../../src/core/events.js';
import { createLogger } from '../../src/core/logger.js';
import { buildRegistry } from '../../src/core/registry.js';
import { Services } from '../../src/core/services.js';
import { TWITCH_AUTH } from '../../src/core/twitchAuth.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { openTwitchAuth } from '../../src/resources/twitch/openTwitchAuth.js';
import { tokenFileIn, TwitchTokenStore } from '../../src/resources/twitch/tokenStore.js';
import { FAKE_CLIENT_ID, FAKE_STREAMER, FakeTwitchHelix } from '../fakes/twitchHelix.js';
import { until } from '../support/poll.js';
import { tempDirs } from '../support/tempDirs.js';
import { collectComponent, twitchReaderComponent } from '../support/twitchAuthComponents.js';

let fake: FakeTwitchHelix;
const dirs = tempDirs();
beforeAll(async () => {
  fake = await FakeTwitchHelix.start();
});
afterAll(async () => {
  await fake.close();
  await dirs.removeAll();
});

const refreshes = () => fake.requests.filter((r) => r.path === '/oauth2/token' && r.params.grant_type === 'refresh_token').length;

async function run() {
  const dir = await dirs.make('chatflow-twitch-run-');
  const file = join(dir, 'pipeline.yaml');
  await writeFile(
    file,
    `version: 1
resources:
  twitch: { client_id: ${FAKE_CLIENT_ID}, auth_url: "${fake.endpoints.auth}", helix_url: "${fake.endpoints.helix}" }
sources:
  reader: { type: twitch_reader, types: [channel.follow], every: 50ms }
  chat: { type: simulate, rate: 5/s, seed: 1 }
operators:
  watch:
    type: sample_metrics
    inputs: [chat]
    every: 50ms
    process: false
    alerts:
      source_down: { metric: chatflow_source_down_seconds, labels: { node: reader }, warning: 0.05, message: "{label.node} has been down for {value} s" }
sinks:
  alerts: { type: collect, inputs: [watch.alerts] }
  keep: { type: collect, inputs: [reader] }
`,
  );
  const pair = fake.signIn(FAKE_STREAMER, ['moderator:read:followers']);
  const store = new TwitchTokenStore(tokenFileIn(dir));
  await store.save('broadcaster', {
    clientId: FAKE_CLIENT_ID,
    userId: FAKE_STREAMER.id,
    login: FAKE_STREAMER.login,
    scopes: ['moderator:read:followers'],
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresIn: 14124,
    obtainedAt: Date.now(),
  });
  const collected = new Map<string, ChatflowEvent[]>();
  const registry = buildRegistry([simulateComponent, twitchReaderComponent], [sampleMetricsComponent], [collectComponent(collected)]);
  const graph = await loadPipeline(file, { registry, env: {} });
  let log = '';
  const out = new PassThrough();
  out.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const logger = createLogger({ level: 'debug', destination: out });
  const auth = await openTwitchAuth(graph, { baseDir: dir, env: {}, logger, now: Date.now });
  const runtime = await startPipeline(graph, {
    logger,
    wallClock: Date.now,
    resources: { baseDir: dir, instance: 'test', services: new Services([...auth.provided]) },
  });
  const secrets = async () => {
    const now = (await store.read()).tokens.broadcaster;
    return [pair.accessToken, pair.refreshToken, now?.accessToken ?? pair.accessToken, now?.refreshToken ?? pair.refreshToken];
  };
  return { runtime, auth, pair, store, collected, file, log: () => log, secrets };
}

describe('a run whose node needs a Twitch account', () => {
  it('refreshes an access token that died, stores the new pair, and keeps the node live', async () => {
    const r = await run();
    try {
      expect(r.runtime.metrics.get('reader')?.status).toBe('live');
      const reads = () => fake.count('GET', '/users');
      const before = reads();
      await until('two reads', () => reads() >= before + 2);
      fake.expireAccess(r.pair.accessToken);
      await until('a refresh stored', async () => (await r.store.read()).tokens.broadcaster?.accessToken !== r.pair.accessToken);
      const stored = (await r.store.read()).tokens.broadcaster;
      expect(fake.isValid(stored?.accessToken ?? '')).toBe(true);
      const after = reads();
      await until('reads go on', () => reads() >= after + 2);
      expect(r.runtime.metrics.get('reader')?.status).toBe('live');
      expect(r.log()).toContain('Twitch token refreshed and stored.');
      for (const secret of await r.secrets()) expect(r.log()).not.toContain(secret);
      expect(await readFile(tokenFileIn(join(r.file, '..')), 'utf8')).toContain(stored?.refreshToken ?? 'x');
    } finally {
      await r.runtime.stop();
      r.auth.close();
    }
  });

  it('fails the node with the reason on a revoked token, alerts, asks Twitch once, never restarts it', async () => {
    const r = await run();
    try {
      await until('a read', () => fake.count('GET', '/users') > 0);
      const before = refreshes();
      fake.revokeUser(FAKE_STREAMER.id);
      await until('the reader failed', () => r.runtime.metrics.get('reader')?.status === 'failed');
      const snapshot = r.runtime.snapshot().find((n) => n.id === 'reader');
      expect(snapshot?.lastError).toContain('revoked');
      expect(snapshot?.lastError).toContain('chatflow auth twitch');
      const alerts = () => (r.collected.get('alerts') ?? []).filter((e): e is AlertEvent => e.kind === 'alert');
      await until('the source_down alert', () => alerts().some((a) => a.rule === 'source_down' && a.state === 'firing'), {
        timeoutMs: 10_000,
        detail: () => JSON.stringify([...r.collected.entries()].map(([k, v]) => [k, v.length, v.slice(-2)])),
      });
      expect(alerts()[0]?.message).toContain('reader has been down for');
      // Time passes (the other source and the sampler run on): nothing asks Twitch again.
      const samples = r.collected.get('alerts')?.length ?? 0;
      const chat = r.runtime.metrics.get('chat');
      const chatOut = () => chat?.snapshot().eventsOut[''] ?? 0;
      const chatBefore = chatOut();
      await until('more chat', () => chatOut() >= chatBefore + 3, { timeoutMs: 10_000 });
      expect(samples).toBeGreaterThan(0);
      expect(refreshes() - before).toBe(1);
      expect(r.runtime.metrics.get('reader')?.status).toBe('failed');
      expect(r.auth.service?.currentStatus('broadcaster').state).toBe('failed');
      const lines = r.log().split('\n');
      expect(lines.filter((l) => l.includes('Source failed and will not be restarted.'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('Source failed; restarting after backoff.'))).toHaveLength(0);
      expect(lines.filter((l) => l.includes('Twitch token cannot be used; sign in again.'))).toHaveLength(1);
      for (const secret of await r.secrets()) expect(r.log()).not.toContain(secret);
      expect(r.auth.provided[0]?.key).toBe(TWITCH_AUTH);
    } finally {
      await r.runtime.stop();
      r.auth.close();
    }
  });
});
