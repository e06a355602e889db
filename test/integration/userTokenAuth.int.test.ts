/**
 * A run with a node that uses the YouTube or Kick sign-in (`YOUTUBE_AUTH` / `KICK_AUTH`, opened
 * as `chatflow run` opens them), against the fake Google and Kick: a dead access token is
 * refreshed and stored (Kick's rotated refresh token too) and the node stays live; a revoked
 * sign-in fails the node with the reason, raises the `source_down` alert, costs one refresh
 * request and no restart; no token ever reaches the log.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent, ChatflowEvent } from '../../src/core/events.js';
import { KICK_AUTH } from '../../src/core/kickAuth.js';
import { createLogger } from '../../src/core/logger.js';
import { buildRegistry } from '../../src/core/registry.js';
import { Services } from '../../src/core/services.js';
import { YOUTUBE_AUTH } from '../../src/core/youtubeAuth.js';
import { sampleMetricsComponent } from '../../src/operators/sampleMetrics/index.js';
import { loadPipeline } from '../../src/pipelines/graph.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { openKickAuth } from '../../src/resources/kick/openKickAuth.js';
import { UserTokenStore, userTokenFileIn } from '../../src/resources/userToken/tokenStore.js';
import { openYoutubeAuth } from '../../src/resources/youtube/openYoutubeAuth.js';
import { simulateComponent } from '../../src/sources/simulate/index.js';
import { FAKE_CHANNEL, FAKE_GOOGLE_CLIENT_ID, FAKE_GOOGLE_CLIENT_SECRET, FakeGoogle } from '../fakes/googleOAuth.js';
import { FAKE_KICK_CLIENT_ID, FAKE_KICK_CLIENT_SECRET, FAKE_KICK_USER, FakeKick } from '../fakes/kickOAuth.js';
import { until } from '../support/poll.js';
import { tempDirs } from '../support/tempDirs.js';
import { collectComponent } from '../support/twitchAuthComponents.js';
import { userTokenReaderComponent } from '../support/userTokenAuthComponents.js';
import { writeFile } from 'node:fs/promises';

let google: FakeGoogle;
let kick: FakeKick;
const dirs = tempDirs();
beforeAll(async () => {
  [google, kick] = await Promise.all([FakeGoogle.start(), FakeKick.start()]);
});
afterAll(async () => {
  await Promise.all([google.close(), kick.close()]);
  await dirs.removeAll();
});

async function run(platform: 'youtube' | 'kick') {
  const dir = await dirs.make('chatflow-usertoken-run-');
  const file = join(dir, 'pipeline.yaml');
  const resources =
    platform === 'kick'
      ? `  kick: { client_id: ${FAKE_KICK_CLIENT_ID}, client_secret: "\${KICK_SECRET}", auth_url: "${kick.authUrl}", api_url: "${kick.apiUrl}" }`
      : `  youtube: { client_id: ${FAKE_GOOGLE_CLIENT_ID}, client_secret: "\${YT_SECRET}", auth_url: "${google.authUrl}", api_url: "${google.apiUrl}" }`;
  await writeFile(
    file,
    `version: 1
resources:
${resources}
sources:
  sender: { type: user_token_reader, platform: ${platform}, every: 50ms }
  chat: { type: simulate, rate: 5/s, seed: 1 }
operators:
  watch:
    type: sample_metrics
    inputs: [chat]
    every: 50ms
    process: false
    alerts:
      source_down: { metric: chatflow_source_down_seconds, labels: { node: sender }, warning: 0.05, message: "{label.node} has been down for {value} s" }
sinks:
  alerts: { type: collect, inputs: [watch.alerts] }
  keep: { type: collect, inputs: [sender] }
`,
  );
  const pair = platform === 'kick' ? kick.issue() : google.issue();
  const store = new UserTokenStore(userTokenFileIn(dir, platform), platform);
  await store.save({
    clientId: platform === 'kick' ? FAKE_KICK_CLIENT_ID : FAKE_GOOGLE_CLIENT_ID,
    accountId: platform === 'kick' ? String(FAKE_KICK_USER.user_id) : FAKE_CHANNEL.id,
    accountName: platform === 'kick' ? FAKE_KICK_USER.name : FAKE_CHANNEL.title,
    scopes: platform === 'kick' ? ['user:read', 'chat:write'] : ['https://www.googleapis.com/auth/youtube'],
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresIn: pair.expiresIn,
    obtainedAt: Date.now(),
  });
  const collected = new Map<string, ChatflowEvent[]>();
  const answers = new Map<number, number>();
  const registry = buildRegistry([simulateComponent, userTokenReaderComponent(answers)], [sampleMetricsComponent], [collectComponent(collected)]);
  const env = { KICK_SECRET: FAKE_KICK_CLIENT_SECRET, YT_SECRET: FAKE_GOOGLE_CLIENT_SECRET };
  const graph = await loadPipeline(file, { registry, env });
  let log = '';
  const out = new PassThrough();
  out.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const logger = createLogger({ level: 'debug', destination: out });
  const open = platform === 'kick' ? openKickAuth : openYoutubeAuth;
  const auth = await open(graph, { baseDir: dir, env, logger, now: Date.now });
  const runtime = await startPipeline(graph, {
    logger,
    wallClock: Date.now,
    resources: { baseDir: dir, instance: 'test', services: new Services([...auth.provided]) },
  });
  const seen = new Set([pair.accessToken, pair.refreshToken]);
  const secrets = async () => {
    const now = (await store.read()).token;
    if (now) {
      seen.add(now.accessToken);
      seen.add(now.refreshToken);
    }
    return [...seen];
  };
  return { runtime, auth, pair, store, collected, answers, log: () => log, secrets };
}

describe.each(['kick', 'youtube'] as const)('a run whose node uses the %s sign-in', (platform) => {
  const fake = () => (platform === 'kick' ? kick : google);
  const refreshes = () => fake().count(platform === 'kick' ? '/oauth/token' : '/token', 'refresh_token');

  it('refreshes an access token that died, stores it, and keeps the node live', async () => {
    const r = await run(platform);
    try {
      expect(r.auth.provided[0]?.key).toBe(platform === 'kick' ? KICK_AUTH : YOUTUBE_AUTH);
      await until('two answers', () => (r.answers.get(200) ?? 0) >= 2);
      fake().expireAccessTokens();
      await until('a refresh stored', async () => (await r.store.read()).token?.accessToken !== r.pair.accessToken);
      const stored = (await r.store.read()).token;
      if (platform === 'kick') expect(stored?.refreshToken).not.toBe(r.pair.refreshToken);
      else expect(stored?.refreshToken).toBe(r.pair.refreshToken);
      const ok = r.answers.get(200) ?? 0;
      await until('answers go on', () => (r.answers.get(200) ?? 0) >= ok + 2);
      expect(r.runtime.metrics.get('sender')?.status).toBe('live');
      expect(r.log()).toContain('Token refreshed and stored.');
      for (const secret of await r.secrets()) expect(r.log()).not.toContain(secret);
    } finally {
      await r.runtime.stop();
      r.auth.close();
    }
  });

  it('fails the node with the reason on a revoked sign-in, alerts, asks once, never restarts it', async () => {
    const r = await run(platform);
    try {
      await until('an answer', () => (r.answers.get(200) ?? 0) > 0);
      const before = refreshes();
      fake().revokeAll();
      fake().expireAccessTokens();
      await until('the sender failed', () => r.runtime.metrics.get('sender')?.status === 'failed');
      const snapshot = r.runtime.snapshot().find((n) => n.id === 'sender');
      expect(snapshot?.lastError).toContain('revoked');
      expect(snapshot?.lastError).toContain(`chatflow auth ${platform}`);
      const alerts = () => (r.collected.get('alerts') ?? []).filter((e): e is AlertEvent => e.kind === 'alert');
      await until('the source_down alert', () => alerts().some((a) => a.rule === 'source_down' && a.state === 'firing'), { timeoutMs: 10_000 });
      expect(alerts()[0]?.message).toContain('sender has been down for');
      const chat = r.runtime.metrics.get('chat');
      const chatOut = () => chat?.snapshot().eventsOut[''] ?? 0;
      const chatBefore = chatOut();
      await until('more chat', () => chatOut() >= chatBefore + 3, { timeoutMs: 10_000 });
      expect(refreshes() - before).toBe(1);
      expect(r.runtime.metrics.get('sender')?.status).toBe('failed');
      expect(r.auth.service?.currentStatus().state).toBe('failed');
      const lines = r.log().split('\n');
      expect(lines.filter((l) => l.includes('Source failed and will not be restarted.'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('Source failed; restarting after backoff.'))).toHaveLength(0);
      expect(lines.filter((l) => l.includes('Token cannot be used; sign in again.'))).toHaveLength(1);
      for (const secret of await r.secrets()) expect(r.log()).not.toContain(secret);
    } finally {
      await r.runtime.stop();
      r.auth.close();
    }
  });
});
