/**
 * The chat sink's health on the dashboard, in real Chromium: a pipeline whose `chat` sink has
 * no Twitch sign-in (signed out from the start) and sends to the fake Kick, which answers 429
 * with `Retry-After: 30` past two messages (backing off until then). The Health panel, fed by
 * `/health` from the sink's snapshot as source health is, shows both under the sink with the
 * counts, the reason and the time sending resumes.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { Observable, Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSource } from '../../src/core/component.js';
import { ControlBus } from '../../src/core/controlBus.js';
import type { ChatflowEvent } from '../../src/core/events.js';
import { KICK_AUTH, type KickAuth } from '../../src/core/kickAuth.js';
import { silentLogger } from '../../src/core/logger.js';
import { buildRegistry } from '../../src/core/registry.js';
import { provide, Services } from '../../src/core/services.js';
import { operatorComponents } from '../../src/operators/index.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { type PipelineRuntime, startPipeline } from '../../src/pipelines/run.js';
import { apiRoutes } from '../../src/server/apiRoutes.js';
import type { HealthView } from '../../src/server/dashboardWire.js';
import { createHttpServer, type HttpServer } from '../../src/server/httpServer.js';
import { sinkComponents } from '../../src/sinks/index.js';
import { sourceComponents } from '../../src/sources/index.js';
import { FakeKickSend } from '../fakes/kickSend.js';
import { launchChromium } from '../support/browser.js';
import { replyOn } from '../support/chatRun.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const WAIT_MS = 20_000;

/** Replies pushed by the test straight into the chat sink. */
const replies = new Subject<ChatflowEvent>();
const feedSource = defineSource({
  type: 'feed',
  summary: 'Replies pushed by the test.',
  config: z.strictObject({}),
  examples: [''],
  create: (_config, ctx) =>
    new Observable<ChatflowEvent>((subscriber) => {
      ctx.setHealth('live');
      return replies.subscribe(subscriber);
    }),
});

const PIPELINE = (kickApi: string) => `
version: 1
server: { listen: "127.0.0.1:0", token: "" }
sources:
  replies: { type: feed }
  demo: { type: simulate, rate: 2/s, users: 3, seed: 1 }
operators:
  stats: { type: sample_metrics, inputs: [demo], every: 500ms }
sinks:
  metrics: { type: metrics, inputs: [stats], stream_every: 500ms }
  bot: { type: chat, inputs: [replies], kick: { api_url: "${kickApi}", per_30s: 10 }, youtube: { enabled: false } }
`;

/** The Health panel's lines under the chat sink. */
async function partRows(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('#health li.part[data-node="bot"]')].map((li) => ({
      part: li.dataset.part,
      state: li.dataset.state,
      until: li.dataset.until === undefined ? undefined : Number(li.dataset.until),
      chip: li.querySelector('.chip')?.textContent,
      counts: li.querySelector('.meta')?.textContent,
      why: li.querySelector('.why')?.textContent ?? '',
    })),
  );
}

describe("dashboard: the chat sink's platforms", () => {
  let kick: FakeKickSend;
  let browser: Browser;
  let http: HttpServer;
  let runtime: PipelineRuntime;
  let base: string;

  beforeAll(async () => {
    kick = await FakeKickSend.start();
    kick.rate.perWindow = 2;
    browser = await launchChromium();
    const registry = buildRegistry([...sourceComponents, feedSource], operatorComponents, sinkComponents);
    const result = buildGraph(loadText(PIPELINE(kick.api), { file: 'chat-health.yaml', env: {} }), registry);
    if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
    const logger = silentLogger();
    http = createHttpServer(result.graph.settings.server, logger);
    runtime = await startPipeline(result.graph, {
      logger,
      wallClock: Date.now,
      resources: {
        baseDir: '.',
        instance: 'chat-health',
        http,
        // Kick is signed in; nobody signed in to Twitch in this run.
        services: new Services([provide(KICK_AUTH, { accessToken: async () => 'kick-token' } as unknown as KickAuth)]),
      },
    });
    http.register(apiRoutes({ pipeline: runtime, instance: 'chat-health', controlBus: new ControlBus(), wallClock: Date.now, logger }));
    const address = await http.listen();
    base = `http://127.0.0.1:${address?.port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await http?.close();
    await kick?.close();
  });

  it('shows a signed-out platform and one backing off after a 429, with when it sends again', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('html[data-view="app"][data-connection="live"]', { timeout: WAIT_MS });

    // Signed out shows before any reply: the sink knows at start.
    await page.waitForSelector('#health li.part[data-node="bot"][data-part="twitch"][data-state="signed_out"]', { timeout: WAIT_MS });

    const sentAt = Date.now();
    replies.next(replyOn('twitch', 'streamer', 'hello from twitch', 'ada'));
    for (let i = 0; i < 5; i += 1) replies.next(replyOn('kick', 'streamer', `thanks ${i}`, `viewer${i}`));
    await page.waitForSelector('#health li.part[data-part="kick"][data-state="backing_off"]', { timeout: WAIT_MS });
    await page.waitForFunction(() => document.querySelector('#health li.part[data-part="twitch"] .meta')?.textContent?.includes('dropped 1'), undefined, {
      timeout: WAIT_MS,
    });

    const rows = await partRows(page);
    expect(rows.map((r) => [r.part, r.state, r.chip])).toEqual([
      ['twitch', 'signed_out', 'signed out'],
      ['kick', 'backing_off', 'backing off'],
    ]);
    const [twitch, kickRow] = rows;
    expect(twitch?.counts).toBe('queue 0 · sent 0 · dropped 1');
    expect(twitch?.why).toMatch(/^No Twitch sign-in in this run: .*chatflow auth twitch --bot/);
    expect(kickRow?.counts).toBe('queue 3 · sent 2 · dropped 0');
    expect(kickRow?.why).toMatch(/^until .+ \(in \d+ s\) — http_429/);
    // Kick's Retry-After: 30 from the refused send.
    expect(kickRow?.until).toBeGreaterThanOrEqual(sentAt + 30_000);
    expect(kickRow?.until).toBeLessThanOrEqual(Date.now() + 30_000);
    // The sink's own row stays as it was, and /health says the same as the panel.
    expect(await page.locator('#health li[data-node="bot"]:not(.part) .chip').textContent()).toBe('running');
    const health = (await (await fetch(`${base}/health`)).json()) as HealthView;
    expect(health.sinks.find((s) => s.id === 'bot')?.parts?.map((p) => [p.name, p.state])).toEqual([
      ['twitch', 'signed_out'],
      ['kick', 'backing_off'],
    ]);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.locator('#health-panel').screenshot({ path: `${ARTIFACTS}dashboard-chat-health.png`, animations: 'disabled' });
    await page.locator('#health-panel').screenshot({ path: '/tmp/dashboard-chat-health.png', animations: 'disabled' });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
