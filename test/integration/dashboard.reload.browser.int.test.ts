/**
 * Live editing seen from the dashboard, in real Chromium against a real `chatflow run`: a node
 * clicked in the graph shows its live tap (pausable); an invalid pipeline file puts a banner up
 * with each issue's file:line:col (as text, never HTML) and the Reload button says why it did
 * not apply; fixing the file (adding a node) takes the banner down, redraws the graph and
 * highlights the added node.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReloadState } from '../../src/pipelines/reloadState.js';
import { launchChromium } from '../support/browser.js';
import { type Run, chatflow, pipelinesStarted, stop } from '../support/cli.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const WAIT_MS = 30_000;
const TOKEN = 't0k-dash-reload';

/** The pipeline; `stats` is the line an edit breaks, `extra` the node an edit adds. */
const pipeline = (opts: { statsLine?: string; extra?: boolean } = {}) => `version: 1
server: { listen: "127.0.0.1:0", token: "${TOKEN}" }
sources:
  demo:
    type: simulate
    rate: 50/s
    users: 20
    seed: 3
    mix: { command: 60 }
    commands: ["!cv cutoff {0.0..1.0}", "!hi"]
operators:
  cmds:
    type: parse_command
    inputs: [demo]
    prefix: "!"
    commands:
      cv: { args: [name, "value:number(0..1)"] }
      hi: {}
${opts.statsLine ?? '  stats: { type: sample_metrics, inputs: ["*"], every: 500ms }'}
sinks:
  metrics: { type: metrics, inputs: [stats], stream_every: 500ms }
  out: { type: blackhole, inputs: [cmds.cv, cmds.hi, cmds] }
${opts.extra ? '  extra: { type: blackhole, inputs: [cmds.hi] }\n' : ''}`;
/** 1-based line of the `stats:` operator in {@link pipeline}. */
const STATS_LINE = pipeline().split('\n').findIndex((l) => l.startsWith('  stats:')) + 1;

let dir: string;
let file: string;
let instance: Run;
let base: string;
let browser: Browser | undefined;
let page: Page;

async function reloadState(): Promise<ReloadState> {
  const res = await fetch(`${base}/api/reload`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as ReloadState;
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'chatflow-dash-reload-'));
  file = join(dir, 'pipeline.yaml');
  await writeFile(file, pipeline());
  instance = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
  await pipelinesStarted([instance]);
  const listen = /"listen":"([^"]+)"/.exec(instance.output())?.[1];
  if (listen === undefined) throw new Error(`no listen address in:\n${instance.output()}`);
  base = `http://${listen}`;
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  await page.goto(`${base}/dashboard?token=${TOKEN}`);
  await page.waitForFunction(() => document.querySelector('#graph [data-node="cmds"]') !== null, undefined, { timeout: WAIT_MS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (instance) await stop(instance);
  await rm(dir, { recursive: true, force: true });
});

describe('the dashboard while the pipeline is edited', () => {
  it('shows the live tap of a clicked node, newest first, and pauses it', async () => {
    await page.locator('#graph [data-node="cmds"]').click();
    await page.waitForFunction(() => Number(document.getElementById('tap-panel')?.dataset.events ?? 0) >= 10, undefined, {
      timeout: WAIT_MS,
    });
    expect(await page.locator('#tap-node').textContent()).toBe('cmds');
    const lines = await page.locator('#tap-events li').allTextContents();
    expect(lines.length).toBeGreaterThanOrEqual(10);
    // Every line is one command leaving cmds by its named port: the kind, who sent it, the
    // arguments. The default port's mirror of the same event is not shown a second time.
    for (const line of lines) expect(line).toMatch(/^(\.cv command \S+: !cv name=cutoff value=[\d.]+|\.hi command \S+: !hi )$/i);
    expect(lines.some((l) => l.startsWith('.cv command'))).toBe(true);
    expect(lines.some((l) => l.startsWith('.hi command'))).toBe(true);
    // Newest first.
    const seqs = await page.locator('#tap-events li').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.seq)));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));

    await page.locator('#tap-pause').click();
    expect(await page.locator('#tap-pause').textContent()).toBe('Resume');
    const shown = Number(await page.locator('#tap-panel').getAttribute('data-events'));
    // Events keep arriving while paused: they are counted, and the list stays as it was.
    await page.waitForFunction(() => /paused; [1-9]\d* events not shown/.test(document.getElementById('tap-status')?.textContent ?? ''), undefined, {
      timeout: WAIT_MS,
    });
    expect(Number(await page.locator('#tap-panel').getAttribute('data-events'))).toBe(shown);
    await page.locator('#tap-panel').screenshot({ path: `${ARTIFACTS}dashboard-tap-paused.png`, animations: 'disabled' });
    await page.locator('#tap-pause').click();
    await page.waitForFunction((n) => Number(document.getElementById('tap-panel')?.dataset.events ?? 0) > n, shown, { timeout: WAIT_MS });
    await page.locator('#tap-panel').screenshot({ path: `${ARTIFACTS}dashboard-tap.png`, animations: 'disabled' });
    // It keeps the last 50.
    await page.waitForFunction(() => Number(document.getElementById('tap-panel')?.dataset.events ?? 0) > 60, undefined, { timeout: WAIT_MS });
    expect(await page.locator('#tap-events li').count()).toBe(50);
    await page.locator('#tap-close').click();
    expect(await page.locator('#tap-panel').isHidden()).toBe(true);
  }, 90_000);

  it('puts up a banner with the position of each issue while the file is invalid; Reload says why it did not apply', async () => {
    expect(await page.locator('#config-banner').isHidden()).toBe(true);
    // A misspelt key, named like markup: the banner must show it as text.
    await writeFile(file, pipeline({ statsLine: '  stats: { type: sample_metrics, inputs: ["*"], "<i>evry</i>": 500ms }' }));
    await page.waitForFunction(() => document.getElementById('config-banner')?.hidden === false, undefined, { timeout: WAIT_MS });
    const state = await reloadState();
    expect(state.configValid).toBe(false);
    const issue = state.last?.status === 'invalid' ? state.last.issues[0] : undefined;
    expect(issue?.line).toBe(STATS_LINE);
    const banner = (await page.locator('#config-issues').allTextContents()).join('\n');
    expect(banner).toContain(`${issue?.file}:${STATS_LINE}:${issue?.col}: `);
    expect(banner).toContain('<i>evry</i>');
    expect(await page.locator('#config-banner i').count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-invalid-file.png`, animations: 'disabled' });
    await page.locator('#config-banner').screenshot({ path: `${ARTIFACTS}dashboard-invalid-banner.png`, animations: 'disabled' });

    await page.locator('#reload').click();
    await page.waitForFunction(() => /^Not reloaded: the file has \d+ problems?/.test(document.getElementById('reload-result')?.textContent ?? ''), undefined, {
      timeout: WAIT_MS,
    });
    expect((await page.locator('#reload-issues li').allTextContents()).join('\n')).toContain(`:${STATS_LINE}:`);
    await page.locator('#controls-panel').screenshot({ path: `${ARTIFACTS}dashboard-reload-refused.png`, animations: 'disabled' });
    // The running graph was kept.
    expect(await page.locator('#graph [data-node="stats"]').count()).toBe(1);
  }, 90_000);

  it('takes the banner down once a fixed file applies, redraws the graph and highlights the added node', async () => {
    const before = (await reloadState()).reloads;
    await writeFile(file, pipeline({ extra: true }));
    await page.waitForFunction(() => document.getElementById('config-banner')?.hidden === true, undefined, { timeout: WAIT_MS });
    await page.waitForFunction(() => document.querySelector('#graph [data-node="extra"][data-highlight="true"]') !== null, undefined, {
      timeout: WAIT_MS,
    });
    const state = await reloadState();
    expect(state.reloads).toBeGreaterThan(before);
    expect(state.last).toMatchObject({ status: 'ok', report: { added: ['extra'] } });
    // Only what the reload added or changed is highlighted.
    expect(await page.locator('#graph [data-highlight="true"]').evaluateAll((els) => els.map((e) => (e as SVGElement).dataset.node))).toEqual([
      'extra',
    ]);
    await page.locator('#graph').screenshot({ path: `${ARTIFACTS}dashboard-reload-highlight.png`, animations: 'disabled' });
    // The highlight is for a moment.
    await page.waitForFunction(() => document.querySelector('#graph [data-node="extra"]')?.getAttribute('data-highlight') === 'false', undefined, {
      timeout: WAIT_MS,
    });

    // The button on a valid, unchanged file: applied, with its counts.
    await page.locator('#reload').click();
    await page.waitForFunction(() => /^Reloaded: 0 added, 0 changed, 0 removed, \d+ unchanged\.$/.test(document.getElementById('reload-result')?.textContent ?? ''), undefined, {
      timeout: WAIT_MS,
    });
    expect(await page.locator('#reload-issues li').count()).toBe(0);
    // A tap opens on the redrawn graph.
    await page.locator('#graph [data-node="cmds"]').click();
    await page.waitForFunction(() => Number(document.getElementById('tap-panel')?.dataset.events ?? 0) > 0, undefined, { timeout: WAIT_MS });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-after-reload.png`, animations: 'disabled', fullPage: true });
  }, 90_000);
});
