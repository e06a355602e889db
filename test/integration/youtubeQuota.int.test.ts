/**
 * Reading and sending on YouTube spend from one quota, for real: a pipeline reads the fake
 * YouTube's chat (liveChatMessages.list, 5 units a poll), answers `!hi` through the chat sink
 * (liveChatMessages.insert, 20 units a send), and both fakes charge one Google project whose
 * budget is the pipeline's `daily_quota`. chatflow's one count (`YOUTUBE_QUOTA`, kept in
 * `.chatflow/youtube-quota.json`) must stop both before Google would answer `quotaExceeded`,
 * and keep half of the day for reading however many replies are asked for.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import { silentLogger } from '../../src/core/logger.js';
import { provide, Services } from '../../src/core/services.js';
import { YOUTUBE_AUTH, type YoutubeAuth } from '../../src/core/youtubeAuth.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { openYoutubeQuota, youtubeQuotaFile } from '../../src/resources/youtube/quotaFile.js';
import { FakeYoutubeSend } from '../fakes/youtubeSend.js';
import { type GoogleProject, FakeYoutubeServer } from '../fakes/youtubeServer.js';
import { tempDirs } from '../support/tempDirs.js';

const cleanups: (() => Promise<void> | void)[] = [];
const dirs = tempDirs();
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await dirs.removeAll();
});

async function until(check: () => boolean, ms = 15_000, what: string | (() => string) = 'condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${typeof what === 'string' ? what : what()} not met within ${ms}ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const BUDGET = 400;

function hiFrom(n: number) {
  return {
    id: `LCC.hi-${n}`,
    snippet: {
      type: 'textMessageEvent',
      publishedAt: '2026-12-02T12:00:00.000000+00:00',
      hasDisplayContent: true,
      displayMessage: '!hi',
      textMessageDetails: { messageText: '!hi' },
    },
    authorDetails: { channelId: `UCviewer${String(n).padStart(16, '0')}`, displayName: `viewer${n}` },
  };
}

describe('YouTube quota: reading and sending share one count', () => {
  it('stops sending at the reading reserve and reading at the budget, before Google says quotaExceeded; the count matches Google’s', async () => {
    const project: GoogleProject = { budget: BUDGET, used: 0 };
    const reader = await FakeYoutubeServer.start({ pollingIntervalMillis: 30, project });
    cleanups.push(() => reader.close());
    const sender = await FakeYoutubeSend.start();
    cleanups.push(() => sender.close());
    sender.project = project;
    const chatId = reader.addVideo('vid00000077');

    const yaml = `
version: 1
sources:
  yt:
    type: youtube
    video_id: vid00000077
    api_key: test-key
    base_url: ${reader.apiUrl}
    daily_quota: ${BUDGET}
    stream_hours: 0.0001
    min_poll_interval: 10ms
operators:
  cmds:
    type: parse_command
    inputs: [yt]
    commands:
      hi: { reply: "hello {user}" }
sinks:
  bot:
    type: chat
    inputs: [cmds._reply]
    twitch: { enabled: false }
    kick: { enabled: false }
    youtube: { api_url: ${sender.api}, daily_quota: ${BUDGET}, reading_reserve: 0.5 }
`;
    const { graph, issues } = buildGraph(loadText(yaml, { file: 'quota.yaml', env: {} }), defaultRegistry());
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    if (!graph) throw new Error('no graph');
    const baseDir = await dirs.make('chatflow-ytquota-');
    const quota = await openYoutubeQuota({ baseDir, logger: silentLogger() });
    const runtime = await startPipeline(graph, {
      logger: silentLogger(),
      wallClock: () => Date.now(),
      resources: {
        baseDir,
        instance: 'quota',
        services: new Services([provide(YOUTUBE_AUTH, { accessToken: async () => 'yt-token' } as unknown as YoutubeAuth), ...quota.provided]),
      },
    });
    cleanups.push(async () => {
      await runtime.stop();
      await quota.close();
    });
    const source = () => runtime.metrics.get('yt')?.snapshot();
    const sink = () => runtime.metrics.get('bot')?.snapshot();
    await until(() => source()?.status === 'live', 10_000, 'reading live');

    // Forty viewers ask at once: 40 replies would cost 800 units, twice the whole day.
    reader.push(chatId, Array.from({ length: 40 }, (_, i) => hiFrom(i)));
    const replies = () => sender.messages.length;
    const reserved = () => sink()?.dropped.refused_quota_reserved?.count ?? 0;
    await until(() => replies() + reserved() === 40, 15_000, () => `every reply sent or refused: ${JSON.stringify([replies(), sink()?.dropped, sink()?.eventsIn, source()?.eventsOut, project])}`);
    // Reading goes on until the budget is spent, then pauses (health reconnecting) instead of calling.
    await until(() => source()?.status === 'reconnecting', 15_000, 'reading paused for quota');

    // Google never had to refuse: not one quotaExceeded on either side, and not one unit over.
    expect(sender.refusals).toEqual([]);
    expect(reader.requests.filter((r) => r.status !== 200)).toEqual([]);
    expect(project.used).toBeLessThanOrEqual(BUDGET);
    // Nothing left worth a poll: the day was used, not wasted.
    expect(BUDGET - project.used).toBeLessThan(5);

    // One count, the same as Google's, of both kinds of call.
    const usage = quota.quota.usage('default', Date.now());
    expect(usage.read + usage.send).toBe(project.used);
    expect(usage.send).toBe(20 * replies());
    expect(usage.read).toBe(reader.quotaUsed);

    // Replies could not eat reading's half: they stopped at what reading had not used of it.
    expect(usage.send).toBeLessThanOrEqual(BUDGET / 2);
    // Reading had its half, to the last poll the day could pay for (a poll costs 5).
    expect(usage.read + 5).toBeGreaterThan(BUDGET / 2);
    expect(replies()).toBeGreaterThan(0);
    expect(sink()?.dropped).toEqual({ refused_quota_reserved: { count: 40 - replies(), intentional: true } });
    expect(sink()?.gauges).toMatchObject({ youtube_quota_used: usage.send, youtube_quota_left: 0 });
    expect(source()?.lastError).toMatch(/daily_quota \(400 units\) is spent/);

    // And it is on disk for a restart the same day.
    await quota.close();
    const stored = JSON.parse(await readFile(youtubeQuotaFile(baseDir), 'utf8')) as { projects: Record<string, { read: number; send: number }> };
    expect(stored.projects.default).toEqual({ read: usage.read, send: usage.send });
  });
});
