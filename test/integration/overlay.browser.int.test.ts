/**
 * The overlay in a real browser: Chromium opens the page, commands go through the real runtime
 * (normalize → parse_command → control → overlay), the page shows them; then the server
 * restarts under the page and the page recovers by itself.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineSource } from '../../src/core/component.js';
import type { ChatflowEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { buildRegistry } from '../../src/core/registry.js';
import { operatorComponents } from '../../src/operators/index.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import type { PipelineGraph } from '../../src/core/pipelineGraph.js';
import { loadText } from '../../src/pipelines/load.js';
import { type PipelineRuntime, startPipeline } from '../../src/pipelines/run.js';
import { createHttpServer, type HttpServer } from '../../src/server/httpServer.js';
import { sinkComponents } from '../../src/sinks/index.js';
import { sourceComponents } from '../../src/sources/index.js';
import { z } from 'zod';
import { launchChromium } from '../support/browser.js';
import { chat } from '../support/events.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
/** Generous: a loaded 2-core CI box runs Chromium, the server and vitest at once. */
const WAIT_MS = 20_000;

/** Chat the test types; every run of the pipeline reads from it. */
const viewers = new Subject<ChatflowEvent>();
const feedSource = defineSource({
  type: 'feed',
  summary: 'Chat pushed by the test.',
  config: z.strictObject({}),
  examples: [''],
  create: () => viewers.asObservable(),
});

const PIPELINE = (listen: string) => `
version: 1
server: { listen: "${listen}" }
sources:
  viewers: { type: feed }
operators:
  clean: { type: normalize, inputs: [viewers] }
  cmds:
    type: parse_command
    inputs: [clean]
    prefix: "!"
    commands:
      cv: { args: [name, "value:number(0..1)"] }
      pitch: { args: ["note:note(C2..C6)"] }
  cv:
    type: control
    inputs: [cmds.cv, cmds.pitch]
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
      resonance: { range: [0, 1], default: 0.2 }
      pitch: { range: [-2, 3], quantize: semitone, input: note, default: 0 }
sinks:
  overlay: { type: overlay, inputs: [cv, clean] }
`;

function graphFor(listen: string): PipelineGraph {
  const registry = buildRegistry([...sourceComponents, feedSource], operatorComponents, sinkComponents);
  const result = buildGraph(loadText(PIPELINE(listen), { file: 'overlay.yaml', env: {} }), registry);
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.graph;
}

interface Running {
  readonly http: HttpServer;
  readonly runtime: PipelineRuntime;
  readonly port: number;
}

/** What `chatflow run` does: server from `server`, pipeline started, then listen. */
async function run(listen: string): Promise<Running> {
  const graph = graphFor(listen);
  const http = createHttpServer(graph.settings.server, silentLogger());
  const runtime = await startPipeline(graph, {
    logger: silentLogger(),
    resources: { baseDir: '.', instance: 'test', http },
  });
  const address = await http.listen();
  if (!address) throw new Error('the overlay sink did not register its route');
  return { http, runtime, port: address.port };
}

async function stop(running: Running | undefined): Promise<void> {
  if (!running) return;
  await running.runtime.stop();
  await running.http.close();
}

/** Waits until the page shows `value` for `variable`. */
async function shows(page: Page, variable: string, value: number): Promise<void> {
  await page.waitForFunction(
    ([name, expected]) => {
      const row = document.querySelector<HTMLElement>(`[data-var="${name}"]`);
      return row !== null && Math.abs(Number(row.dataset.value) - (expected as number)) < 1e-9;
    },
    [variable, value] as const,
    { timeout: WAIT_MS },
  );
}

describe('overlay page in Chromium', () => {
  let browser: Browser | undefined;
  let running: Running | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await stop(running);
    await browser?.close();
  });

  it('shows commands sent through the runtime, escapes chat, and recovers after a server restart', async () => {
    running = await run('127.0.0.1:0');
    const { port } = running;
    const page = await (browser as Browser).newPage({ viewport: { width: 520, height: 620 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`http://127.0.0.1:${port}/overlay?panels=variables,commands,chat&theme=dark&limit=5`);

    // The snapshot: every variable at its default.
    await page.waitForSelector('html[data-connection="live"]', { timeout: WAIT_MS });
    await shows(page, 'cutoff', 0.5);
    await shows(page, 'pitch', 0);

    viewers.next(chat('!cv cutoff 0.7', { id: 'a1', user: 'alice', platform: 'twitch' }));
    viewers.next(chat('!cv resonance 0.9', { id: 'b1', user: 'bob', platform: 'kick' }));
    const xss = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>';
    viewers.next(chat(xss, { id: 'm1', user: 'mallory', platform: 'youtube' }));

    await shows(page, 'cutoff', 0.7);
    await shows(page, 'resonance', 0.9);
    await page.waitForFunction(() => document.querySelectorAll('#commands li').length === 2, undefined, {
      timeout: WAIT_MS,
    });
    await page.waitForFunction(() => (document.querySelector('#chat')?.textContent ?? '').includes('mallory'), undefined, {
      timeout: WAIT_MS,
    });

    const view = await page.evaluate(() => ({
      cutoff: document.querySelector('[data-var="cutoff"] .value')?.textContent,
      fill: (document.querySelector('[data-var="cutoff"] .fill') as HTMLElement | null)?.style.transform,
      commands: [...document.querySelectorAll('#commands li')].map((li) => li.textContent),
      chatTexts: [...document.querySelectorAll('#chat .text')].map((el) => el.textContent),
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('#chat script').length,
      title: document.title,
      background: getComputedStyle(document.body).backgroundColor,
    }));
    expect(view.cutoff).toBe('0.70');
    expect(view.fill).toBe('scaleX(0.7)');
    expect(view.commands).toEqual(['alicetwitchcutoff → 0.70', 'bobkickresonance → 0.90']);
    // Chat is text, never markup.
    expect(view.chatTexts).toContain(xss);
    expect(view.images).toBe(0);
    expect(view.scripts).toBe(0);
    expect(view.title).toBe('chatflow overlay');
    expect(view.background).toBe('rgba(0, 0, 0, 0)');

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}overlay.png`, animations: 'disabled', omitBackground: true });

    // Restart the server on the same port; the page notices, backs off, reconnects, resyncs.
    await stop(running);
    running = undefined;
    await page.waitForSelector('html[data-connection="offline"]', { timeout: WAIT_MS });
    running = await run(`127.0.0.1:${port}`);
    await page.waitForFunction(
      () => document.documentElement.dataset.connection === 'live' && Number(document.documentElement.dataset.snapshots) >= 2,
      undefined,
      { timeout: WAIT_MS },
    );
    // The new process starts from its defaults; the page resynced to them.
    await shows(page, 'cutoff', 0.5);
    viewers.next(chat('!cv cutoff 0.25', { id: 'c1', user: 'carol', platform: 'twitch' }));
    await shows(page, 'cutoff', 0.25);
    expect(await page.locator('#commands li').allTextContents()).toEqual(['caroltwitchcutoff → 0.25']);
    await page.screenshot({ path: `${ARTIFACTS}overlay-after-restart.png`, animations: 'disabled', omitBackground: true });

    // Connection failures while the server was down are expected console errors; nothing else.
    expect(pageErrors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
  });
  it('shows a note variable as note names, with its bar across the range its control node declares', async () => {
    await stop(running);
    running = await run('127.0.0.1:0');
    const page = await (browser as Browser).newPage({ viewport: { width: 520, height: 420 } });
    await page.goto(`http://127.0.0.1:${running.port}/overlay?panels=variables,commands`);
    await page.waitForSelector('html[data-connection="live"]', { timeout: WAIT_MS });
    await shows(page, 'pitch', 0);
    const row = (name: string) =>
      page.evaluate((n) => {
        const el = document.querySelector(`[data-var="${n}"]`);
        return {
          value: el?.querySelector('.value')?.textContent,
          fill: (el?.querySelector('.fill') as HTMLElement | null)?.style.transform,
          ends: [el?.querySelector('.low')?.textContent, el?.querySelector('.high')?.textContent],
        };
      }, name);
    // 0 V is C4, 40 % of the way across [-2, 3] V.
    expect(await row('pitch')).toEqual({ value: 'C4', fill: 'scaleX(0.4)', ends: ['C2', 'C7'] });
    viewers.next(chat('!pitch F#2', { id: 'p1', user: 'alice', platform: 'twitch' }));
    await shows(page, 'pitch', -1.5);
    expect(await row('pitch')).toEqual({ value: 'F#2', fill: 'scaleX(0.1)', ends: ['C2', 'C7'] });
    expect(await page.locator('#commands li').allTextContents()).toEqual(['alicetwitchpitch → F#2']);
    // A normalized variable keeps its number, against its own range.
    expect(await row('cutoff')).toEqual({ value: '0.50', fill: 'scaleX(0.5)', ends: ['0.00', '1.00'] });
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}overlay-notes.png`, animations: 'disabled', omitBackground: true });
    await page.close();
    await stop(running);
    running = undefined;
  });

  it('dims the values once the server is gone, and shows the connection pill only with ?debug', async () => {
    await stop(running);
    running = await run('127.0.0.1:0');
    const { port } = running;
    const viewer = await (browser as Browser).newPage({ viewport: { width: 520, height: 420 } });
    const setup = await (browser as Browser).newPage({ viewport: { width: 520, height: 420 } });
    await viewer.goto(`http://127.0.0.1:${port}/overlay?panels=variables&stale=1`);
    await setup.goto(`http://127.0.0.1:${port}/overlay?panels=variables&stale=1&debug`);
    for (const page of [viewer, setup]) {
      await page.waitForSelector('html[data-connection="live"]', { timeout: WAIT_MS });
      await shows(page, 'cutoff', 0.5);
    }
    const opacity = (page: Page) =>
      page.evaluate(() => Number(getComputedStyle(document.querySelector('[data-var="cutoff"]') as Element).opacity));
    const pill = (page: Page) => page.evaluate(() => getComputedStyle(document.getElementById('status') as Element).display);
    expect(await opacity(viewer)).toBe(1);
    expect(await viewer.evaluate(() => document.documentElement.dataset.stale)).toBeUndefined();

    await stop(running);
    running = undefined;
    for (const page of [viewer, setup]) {
      await page.waitForSelector('html[data-stale="1"]', { timeout: WAIT_MS });
      await page.waitForFunction(
        () => Number(getComputedStyle(document.querySelector('[data-var="cutoff"]') as Element).opacity) < 0.5,
        undefined,
        { timeout: WAIT_MS },
      );
    }
    expect(await opacity(viewer)).toBeLessThan(0.5);
    expect(await pill(viewer)).toBe('none');
    expect(await pill(setup)).toBe('block');
    await mkdir(ARTIFACTS, { recursive: true });
    await viewer.screenshot({ path: `${ARTIFACTS}overlay-stopped.png`, animations: 'disabled', omitBackground: true });

    // Back: the next snapshot makes it live and bright again.
    running = await run(`127.0.0.1:${port}`);
    await viewer.waitForFunction(() => document.documentElement.dataset.stale === undefined, undefined, { timeout: 30_000 });
    await viewer.waitForFunction(
      () => Number(getComputedStyle(document.querySelector('[data-var="cutoff"]') as Element).opacity) === 1,
      undefined,
      { timeout: WAIT_MS },
    );
    await viewer.close();
    await setup.close();
  });
});
