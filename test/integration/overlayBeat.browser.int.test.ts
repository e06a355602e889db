/**
 * The overlay's beat in a real browser: a pipeline with `clock: { bpm: 240 }` through the real
 * runtime (the clock made as `chatflow run` makes it), Chromium on the page: the beat dot
 * appears, counts the beats with the tempo beside it, marks downbeats, and hides once the
 * beats stop.
 */
import { asyncScheduler } from 'rxjs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEAT_CLOCK } from '../../src/core/beatClock.js';
import { defaultRegistry } from '../../src/components.js';
import { silentLogger } from '../../src/core/logger.js';
import { provide, Services } from '../../src/core/services.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { openClock } from '../../src/resources/oscClock.js';
import { createHttpServer } from '../../src/server/httpServer.js';
import { launchChromium } from '../support/browser.js';

const WAIT_MS = 20_000;

const PIPELINE = `
version: 1
server: { listen: "127.0.0.1:0" }
clock: { bpm: 240, beats_per_bar: 4 }
sources:
  chat: { type: simulate, rate: 1/s, seed: 1 }
operators:
  cv:
    type: control
    inputs: [chat]
    variables:
      cutoff: { range: [0, 1], default: 0.5, on_beat: 1/4 }
sinks:
  overlay: { type: overlay, inputs: [cv] }
`;

describe('overlay beat in Chromium', () => {
  let browser: Browser | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('pulses on every beat with the tempo, marks downbeats, and hides when the beats stop', async () => {
    const result = buildGraph(loadText(PIPELINE, { file: 'beat.yaml', env: {} }), defaultRegistry());
    const graph = result.graph;
    if (!graph?.settings.clock) throw new Error(result.issues.map((i) => i.message).join('\n'));
    const clock = await openClock(graph.settings.clock, { scheduler: asyncScheduler });
    const http = createHttpServer(graph.settings.server, silentLogger());
    const runtime = await startPipeline(graph, {
      logger: silentLogger(),
      resources: { baseDir: '.', instance: 'test', http, services: new Services([provide(BEAT_CLOCK, clock.clock)]) },
    });
    const address = await http.listen();
    let stopped = false;
    try {
      const page = await (browser as Browser).newPage({ viewport: { width: 520, height: 320 } });
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`http://127.0.0.1:${address?.port}/overlay?panels=variables`);
      await page.waitForSelector('html[data-connection="live"]', { timeout: WAIT_MS });
      await page.waitForSelector('#beat:not([hidden])', { timeout: WAIT_MS });
      // A downbeat is marked for one beat in four (250 ms here): watched in the page, so a busy
      // machine's slower polling cannot miss it.
      await page.evaluate(() => {
        const beat = document.getElementById('beat') as HTMLElement;
        new MutationObserver(() => {
          if (beat.dataset.downbeat === '1') (window as unknown as { sawDownbeat: boolean }).sawDownbeat = true;
        }).observe(beat, { attributes: true });
      });
      expect(await page.locator('#beat .bpm').textContent()).toBe('240 BPM');
      // Beats count up, and a downbeat (a multiple of 4) is marked.
      const first = Number(await page.locator('#beat').getAttribute('data-beat'));
      await page.waitForFunction((after) => Number(document.getElementById('beat')?.dataset.beat) > after + 4, first, {
        timeout: WAIT_MS,
      });
      await page.waitForFunction(() => (window as unknown as { sawDownbeat?: boolean }).sawDownbeat === true, undefined, {
        timeout: WAIT_MS,
      });
      // The pipeline stops: no more beats; the dot goes after three beats' time.
      await runtime.stop();
      stopped = true;
      await page.waitForSelector('#beat[hidden]', { state: 'attached', timeout: WAIT_MS });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      if (!stopped) await runtime.stop();
      await clock.close();
      await http.close();
    }
  });
});
