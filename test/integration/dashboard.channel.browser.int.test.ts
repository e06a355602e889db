/**
 * The dashboard's "Polls, predictions, hype train" panel in a real browser, fed end to end:
 * the fake EventSub sends poll, prediction and hype train notifications, twurple reads them,
 * `twitch_events` normalizes them, the `metrics` sink holds the latest of each and streams them,
 * and Chromium shows them live, a viewer-chosen title as text (never markup).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/components.js';
import { ControlBus } from '../../src/core/controlBus.js';
import { silentLogger } from '../../src/core/logger.js';
import { provide, Services } from '../../src/core/services.js';
import { TWITCH_AUTH } from '../../src/core/twitchAuth.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { type PipelineRuntime, startPipeline } from '../../src/pipelines/run.js';
import { apiRoutes } from '../../src/server/apiRoutes.js';
import { createHttpServer, type HttpServer } from '../../src/server/httpServer.js';
import { FakeEventSub } from '../fakes/twitchEventSub.js';
import { testTwitchAuth } from '../fakes/twitchTestAuth.js';
import { launchChromium } from '../support/browser.js';
import { until } from '../support/poll.js';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

const WAIT_MS = 20_000;
const PIPELINE = `
version: 1
server: { listen: "127.0.0.1:0", token: "" }
sources:
  twitch: { type: twitch_events, events: [polls, predictions, hype_train] }
sinks:
  metrics: { type: metrics, inputs: [twitch], stream_every: 200ms }
`;

/** The panel's entries: the kind, heading, state and each row's text. */
async function panel(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('#channel > li')].map((li) => ({
      activity: li.dataset.activity,
      heading: li.querySelector('.main')?.textContent,
      state: li.querySelector(':scope > .meta')?.textContent,
      rows: [...li.querySelectorAll('.activity-row')].map((r) => [...r.querySelectorAll('span:not(.bar)')].map((s) => s.textContent).join(' | ')),
      images: li.querySelectorAll('img').length,
    })),
  );
}

describe('dashboard: live polls, predictions and hype train from EventSub', () => {
  let fake: FakeEventSub;
  let browser: Browser;
  let http: HttpServer;
  let runtime: PipelineRuntime;
  let base: string;

  beforeAll(async () => {
    fake = await FakeEventSub.start();
    browser = await launchChromium();
    const result = buildGraph(loadText(PIPELINE, { file: 'channel.yaml', env: {} }), defaultRegistry());
    if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
    const logger = silentLogger();
    http = createHttpServer(result.graph.settings.server, logger);
    runtime = await startPipeline(result.graph, {
      logger,
      resources: { baseDir: '.', instance: 'channel-test', http, services: new Services([provide(TWITCH_AUTH, testTwitchAuth(fake.helix))]) },
    });
    http.register(apiRoutes({ pipeline: runtime, instance: 'channel-test', controlBus: new ControlBus(), wallClock: Date.now, logger }));
    const address = await http.listen();
    base = `http://127.0.0.1:${address?.port}`;
    await until('subscribed', () => fake.enabled().length === 10);
  });
  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await http?.close();
    await fake?.stop();
  });

  it('shows the latest of each as it happens, titles as text', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('html[data-view="app"][data-connection="live"]', { timeout: WAIT_MS });
    expect(await page.isVisible('#channel-none')).toBe(true);

    fake.notifySample('channel.poll.begin', { title: '<img src=x onerror="document.title=1">Boss?' });
    await page.waitForSelector('#channel li[data-activity="poll"]', { timeout: WAIT_MS });
    const hostile = (await panel(page))[0];
    expect(hostile?.heading).toBe('Poll: <img src=x onerror="document.title=1">Boss?');
    expect(hostile?.images).toBe(0);
    expect(hostile?.state).toBe('#streamer · open');
    fake.notifySample('channel.poll.progress');
    fake.notifySample('channel.poll.end');
    fake.notifySample('channel.prediction.end');
    fake.notifySample('channel.hype_train.progress');
    await page.waitForFunction(() => document.querySelectorAll('#channel > li').length === 3 && document.querySelector('#channel li[data-activity="poll"] .meta')?.textContent?.includes('ended'), undefined, {
      timeout: WAIT_MS,
    });
    expect(await panel(page)).toEqual([
      {
        activity: 'poll',
        heading: 'Poll: Which boss next?',
        state: '#streamer · ended (completed)',
        rows: ['Dragon | 31 votes, 69%', 'Golem | 14 votes, 31%'],
        images: 0,
      },
      {
        activity: 'prediction',
        heading: 'Prediction: Will we beat the boss first try?',
        state: '#streamer · resolved',
        rows: ['✓ Yes | 2800 points, 5 viewers, 80%', 'No | 700 points, 2 viewers, 20%'],
        images: 0,
      },
      {
        activity: 'hype_train',
        heading: 'Hype train: level 2',
        state: '#streamer · total 4700',
        rows: ['Level 3 | 700 / 5200', 'NightOwl_GG (bits) | 600', 'viewer23 (subscription) | 2500'],
        images: 0,
      },
    ]);
    expect(await page.isVisible('#channel-none')).toBe(false);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.locator('#channel').screenshot({ path: `${ARTIFACTS}dashboard-channel.png`, animations: 'disabled' });

    // A reload of the page gets the same from the hello; the hostile title was text while it showed.
    fake.notifySample('channel.poll.begin', { id: 'second-poll', title: '<b>bold?</b>' });
    await page.waitForFunction(() => document.querySelector('#channel li[data-activity="poll"] .main')?.textContent === 'Poll: <b>bold?</b>', undefined, { timeout: WAIT_MS });
    await page.reload();
    await page.waitForSelector('#channel li[data-activity="hype_train"]', { timeout: WAIT_MS });
    expect((await panel(page)).map((a) => a.heading)).toEqual(['Poll: <b>bold?</b>', 'Prediction: Will we beat the boss first try?', 'Hype train: level 2']);
    expect(await page.title()).not.toBe('1');
    expect(errors).toEqual([]);
    await page.close();
  });
});
