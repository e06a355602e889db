/**
 * Loss on the dashboard, in real Chromium against a real `chatflow run`: a file sink writing to
 * /dev/full (a full disk: every write fails, `retry.attempts: 0`, so every batch is lost as
 * `retries_exhausted`) raises the runtime's `data_loss:out` alert, critical, in the alert list
 * and the banner, although the pipeline's `sample_metrics` has no alert rule at all. Removing
 * the sink from the file (a live reload) resolves it; the run's last line still counts what it
 * lost. Linux-only observation (/dev/full); the code under test is portable.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertsResponse } from '../../src/server/dashboardWire.js';
import { launchChromium } from '../support/browser.js';
import { type Run, chatflow, pipelinesStarted, stop } from '../support/cli.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const WAIT_MS = 30_000;
const TOKEN = 't0k-dash-loss';

const pipeline = (withOut: boolean) => `version: 1
server: { listen: "127.0.0.1:0", token: "${TOKEN}" }
sources:
  demo: { type: simulate, rate: 20/s, users: 10, seed: 8 }
operators:
  stats: { type: sample_metrics, inputs: [demo], every: 500ms }
sinks:
  metrics: { type: metrics, inputs: [stats], stream_every: 500ms }
  keep: { type: blackhole, inputs: [demo] }
${withOut ? '  out: { type: file, inputs: [demo], path: /dev/full, retry: { attempts: 0 } }\n' : ''}`;

let dir: string;
let instance: Run;
let base: string;
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'chatflow-dash-loss-'));
  await writeFile(join(dir, 'pipeline.yaml'), pipeline(true));
  instance = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
  await pipelinesStarted([instance]);
  const listen = /"listen":"([^"]+)"/.exec(instance.output())?.[1];
  if (listen === undefined) throw new Error(`no listen address in:\n${instance.output()}`);
  base = `http://${listen}`;
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  await page.goto(`${base}/dashboard?token=${TOKEN}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (instance && instance.child.exitCode === null) await stop(instance);
  await rm(dir, { recursive: true, force: true });
});

describe('the dashboard when a sink loses events', () => {
  it('shows the loss alert, critical, in the list and the banner, with no alert rule configured', async () => {
    const firing = '#alerts-active li[data-rule="data_loss:out"][data-state="firing"]';
    await page.waitForSelector(firing, { timeout: WAIT_MS });
    await page.waitForSelector('#banner:not([hidden])', { timeout: WAIT_MS });
    const shown = await page.evaluate(() => ({
      text: document.querySelector('#alerts-active li[data-rule="data_loss:out"] .text')?.textContent ?? '',
      chip: document.querySelector('#alerts-active li[data-rule="data_loss:out"] .chip')?.textContent ?? '',
      meta: document.querySelector('#alerts-active li[data-rule="data_loss:out"] .meta')?.textContent ?? '',
      banner: document.getElementById('banner-list')?.textContent ?? '',
      critical: document.documentElement.dataset.critical,
    }));
    expect(shown.chip).toBe('critical');
    const lost = /^out lost ([\d,]+) events?: retries_exhausted ([\d,]+)\.$/.exec(shown.text);
    expect(lost, shown.text).not.toBeNull();
    expect(lost?.[2]).toBe(lost?.[1]);
    expect(shown.meta).toBe(`${lost?.[1]} lost`);
    expect(shown.banner).toBe(`data_loss:out: ${shown.text}`);
    expect(shown.critical).toBe('1');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-loss.png`, animations: 'disabled' });
    await page.locator('#alerts-panel').screenshot({ path: `${ARTIFACTS}dashboard-loss-alert.png`, animations: 'disabled' });

    // The API says the same.
    const res = await fetch(`${base}/api/alerts`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const alerts = (await res.json()) as AlertsResponse;
    expect(alerts.active.map((a) => [a.rule, a.severity, a.state])).toEqual([['data_loss:out', 'critical', 'firing']]);
    // And the log warned once (the next report is due a minute later).
    expect(instance.output().match(/"msg":"Events lost\."/g)).toHaveLength(1);
  }, 90_000);

  it('resolves the alert when the losing sink is removed, and the last line still counts what it lost', async () => {
    await writeFile(join(dir, 'pipeline.yaml'), pipeline(false));
    await page.waitForSelector('#alerts-recent li[data-rule="data_loss:out"][data-state="resolved"]', { timeout: WAIT_MS });
    await page.waitForSelector('#banner', { state: 'hidden', timeout: WAIT_MS });
    expect(await page.locator('#alerts-active li[data-rule="data_loss:out"]').count()).toBe(0);
    expect(await page.locator('#alerts-recent li[data-rule="data_loss:out"][data-state="resolved"] .text').textContent()).toMatch(
      /^out was removed from the pipeline \([\d,]+ events? lost while the alert fired\)\.$/,
    );
    await page.locator('#alerts-panel').screenshot({ path: `${ARTIFACTS}dashboard-loss-resolved.png`, animations: 'disabled' });

    const finished = await stop(instance);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr.trimEnd().split('\n').at(-1)).toMatch(/^Lost [\d,]+ events?: out retries_exhausted [\d,]+\.$/);
  }, 90_000);
});
