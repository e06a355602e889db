/**
 * The dashboard in a real browser: a simulated pipeline (simulate → normalize → parse_command →
 * throttle → control, everything → sample_metrics → metrics sink, and questions and metrics →
 * a real PostgreSQL) runs with the runtime's API and `server.token` set, as `chatflow run`
 * starts it; Chromium logs in, watches the live charts, the graph's counts and an alert the
 * running pipeline trips, answers a question, shows a moderation verdict stored in PostgreSQL,
 * reads history, sends pause/resume/panic, is
 * checked at desktop and phone widths, and rides out a server restart.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import pg from 'pg';
import { Observable, Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSource } from '../../src/core/component.js';
import { CONTROL_BUS, ControlBus } from '../../src/core/controlBus.js';
import { provide, Services } from '../../src/core/services.js';
import type { ChatflowEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { buildRegistry } from '../../src/core/registry.js';
import { operatorComponents } from '../../src/operators/index.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { type PipelineRuntime, startPipeline } from '../../src/pipelines/run.js';
import { apiRoutes } from '../../src/server/apiRoutes.js';
import { createHttpServer, type HttpServer } from '../../src/server/httpServer.js';
import { sinkComponents } from '../../src/sinks/index.js';
import { sourceComponents } from '../../src/sources/index.js';
import { launchChromium } from '../support/browser.js';
import { chat } from '../support/events.js';
import { startTestPostgres, type TestServer } from '../support/servers.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
/** Generous: a loaded 2-core CI box runs Chromium, the server and vitest at once. */
const WAIT_MS = 20_000;
const TOKEN = 'dashboard-test-token';

/** Chat the test types (a question), besides the simulation. */
const viewers = new Subject<ChatflowEvent>();
const feedSource = defineSource({
  type: 'feed',
  summary: 'Chat pushed by the test.',
  config: z.strictObject({}),
  examples: [''],
  create: (_config, ctx) =>
    new Observable<ChatflowEvent>((subscriber) => {
      ctx.setHealth('live');
      return viewers.subscribe(subscriber);
    }),
});

// The alert rules trip on what the simulation does at once: about 40 messages/s on one channel.
const PIPELINE = (listen: string, postgresUrl: string) => `
version: 1
server: { listen: "${listen}", token: "${TOKEN}" }
resources: { postgres: { url: "${postgresUrl}" } }
sources:
  demo: { type: simulate, rate: 40/s, users: 60, seed: 5 }
  viewers: { type: feed }
operators:
  clean: { type: normalize, inputs: [demo, viewers] }
  cmds:
    type: parse_command
    inputs: [clean]
    prefix: "!"
    commands:
      cv: { args: [name, "value:number(0..1)"] }
      q: { args: ["text:rest"] }
  fair: { type: throttle, inputs: [cmds.cv], per: user, rate: 1/5s, burst: 1 }
  cv:
    type: control
    inputs: [fair]
    control_rate: 20/s
    variables:
      cutoff: { range: [0, 1], default: 0.5 }
      # Slews: the steps toward a viewer's target must still say who set it.
      drift: { range: [0, 1], default: 0, slew: 1s }
  stats:
    type: sample_metrics
    inputs: ["*"]
    every: 500ms
    alerts:
      chat_busy:
        metric: chatflow_messages_per_second
        warning: 1
        message: "Chat is busy: {value} messages/s"
      chat_flood:
        metric: chatflow_messages_per_second
        critical: 2
        message: "Chat flood <b>{value}</b>/s"
      alarm_channel:
        metric: chatflow_messages_per_second
        labels: { channel: alarm }
        warning: 1
        # One burst: without this the alert could fire and clear between two stream frames.
        clear_after: 30s
        message: "Someone chats in #alarm"
sinks:
  metrics: { type: metrics, inputs: [stats, cv], stream_every: 500ms }
  out: { type: blackhole, inputs: [cv] }
  history: { type: postgres, inputs: [cmds.q, stats], kinds: [command, metric], batch: { timeout: 200ms } }
`;

interface Running {
  readonly http: HttpServer;
  readonly runtime: PipelineRuntime;
  readonly base: string;
  readonly port: number;
}

/** What `chatflow run` does: server from `server`, pipeline started, the API, then listen. */
async function run(postgres: TestServer, listen = '127.0.0.1:0'): Promise<Running> {
  const registry = buildRegistry([...sourceComponents, feedSource], operatorComponents, sinkComponents);
  const result = buildGraph(loadText(PIPELINE(listen, postgres.url), { file: 'dashboard.yaml', env: {} }), registry);
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  const graph = result.graph;
  const logger = silentLogger();
  const http = createHttpServer(graph.settings.server, logger);
  const controlBus = new ControlBus();
  const runtime = await startPipeline(graph, {
    logger,
    resources: {
      baseDir: '.',
      instance: 'dash-test',
      http,
      services: new Services([provide(CONTROL_BUS, controlBus)]),
      postgres: { url: postgres.url },
    },
  });
  http.register(apiRoutes({ pipeline: runtime, instance: 'dash-test', controlBus, postgresUrl: postgres.url, wallClock: Date.now, logger }));
  const address = await http.listen();
  if (!address) throw new Error('the metrics sink did not register its routes');
  return { http, runtime, base: `http://127.0.0.1:${address.port}`, port: address.port };
}

async function stop(running: Running | undefined): Promise<void> {
  await running?.runtime.stop();
  await running?.http.close();
}

/** Follows page errors; failed loads (the API's 503 for /health, no PostgreSQL) are expected. */
function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) errors.push(message.text());
  });
}

/** Waits until every live chart has at least `n` ticks with values (drops may have none). */
async function chartsHavePoints(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (min) =>
      ['messages', 'commands', 'latency', 'memory', 'lag'].every(
        (id) => Number(document.querySelector<HTMLElement>(`[data-chart="${id}"]`)?.dataset.points ?? 0) >= min,
      ),
    n,
    { timeout: WAIT_MS },
  );
}

/**
 * The graph's visible edge labels: text, the port and the box each takes on screen; and
 * every pair of labels whose boxes intersect (there must be none).
 */
async function graphLabels(page: Page) {
  return page.evaluate(() => {
    const labels = [...document.querySelectorAll<SVGGElement>('#graph .edge')]
      .map((g) => ({ g, text: g.querySelector<SVGTextElement>('.count') }))
      .filter((l): l is { g: SVGGElement; text: SVGTextElement } => l.text !== null && getComputedStyle(l.text).display !== 'none')
      .map(({ g, text }) => {
        const r = text.getBoundingClientRect();
        return {
          key: `${g.dataset.from}.${g.dataset.port}>${g.dataset.to}`,
          port: g.dataset.port ?? '',
          text: text.textContent ?? '',
          title: g.querySelector('title')?.textContent ?? '',
          box: { x: r.x, y: r.y, w: r.width, h: r.height },
        };
      });
    const overlapping: string[] = [];
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = (labels[i] as (typeof labels)[number]).box;
        const b = (labels[j] as (typeof labels)[number]).box;
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
          overlapping.push(`${labels[i]?.key} / ${labels[j]?.key}`);
        }
      }
    }
    return { labels, overlapping };
  });
}

/** Labels name their port, none overlaps another, and the text is not shrunk to fit. */
async function graphReadable(page: Page): Promise<void> {
  await page.waitForFunction(
    () => (document.querySelector('.edge[data-from="cmds"][data-port="cv"] .count')?.textContent ?? '').startsWith('cv '),
    undefined,
    { timeout: WAIT_MS },
  );
  const { labels, overlapping } = await graphLabels(page);
  expect(labels.length).toBeGreaterThanOrEqual(5);
  expect(overlapping).toEqual([]);
  for (const label of labels) {
    if (label.port !== '') expect(label.text.startsWith(`${label.port} `), label.key).toBe(true);
    // 11px text stays 11px: the panel scrolls rather than scaling the picture down.
    expect(label.box.h, label.key).toBeGreaterThanOrEqual(10);
  }
  expect(labels.find((l) => l.key === 'cmds.cv>fair')?.title).toMatch(/^cmds\.cv → fair: \d+ events/);
}

async function noHorizontalScroll(page: Page): Promise<{ scroll: number; client: number }> {
  return page.evaluate(() => ({
    scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    client: document.documentElement.clientWidth,
  }));
}

describe('dashboard page in Chromium', () => {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let running: Running | undefined;
  let postgres: TestServer | undefined;
  let db: pg.Client | undefined;

  beforeAll(async () => {
    postgres = await startTestPostgres();
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    browser = await launchChromium();
    running = await run(postgres);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stop(running);
    await db?.end();
    await postgres?.destroy();
  });

  /** Polls PostgreSQL until `sql` returns a row. */
  async function stored(sql: string, params: unknown[] = []): Promise<Record<string, unknown>> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const { rows } = await (db as pg.Client).query(sql, params);
      if (rows[0]) return rows[0] as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`nothing stored for: ${sql}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('needs the token: the API answers 401 without it, and the page asks for it', async () => {
    const { base } = running as Running;
    expect((await fetch(`${base}/api/graph`)).status).toBe(401);
    expect((await fetch(`${base}/api/graph`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    // The page itself holds no data and is served to anyone, with a CSP.
    const page = await fetch(`${base}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/dashboard/dashboard.js');
    const css = await fetch(`${base}/dashboard/dashboard.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(await css.text()).toContain('.uplot');
  });

  it('logs in, draws live charts, the graph with counts and the alerts, answers a question, reads history, sends controls', async () => {
    const { base } = running as Running;
    context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['notifications'], { origin: base });
    const page = await context.newPage();
    // Records the notifications the page shows (headless Chromium has no notification centre).
    await page.addInitScript(() => {
      const shown: { title: string; body: string | undefined }[] = [];
      (window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown;
      const Real = window.Notification;
      class Recording extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push({ title, body: options?.body });
        }
      }
      window.Notification = Recording;
    });
    const errors: string[] = [];
    watchErrors(page, errors);
    await page.goto(`${base}/dashboard`);

    // No token stored: the login form. A wrong token is refused with a message.
    await page.waitForSelector('html[data-view="login"]', { timeout: WAIT_MS });
    await page.fill('#login-token', 'not-the-token');
    await page.click('#login-form button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('login-error')?.textContent === 'Wrong token.', undefined, {
      timeout: WAIT_MS,
    });
    expect(await page.evaluate(() => document.documentElement.dataset.view)).toBe('login');

    await page.fill('#login-token', TOKEN);
    await page.check('#login-remember');
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('html[data-view="app"][data-connection="live"]', { timeout: WAIT_MS });
    expect(await page.evaluate(() => localStorage.getItem('chatflow.token'))).toBe(TOKEN);

    // Live charts fill from the stream.
    await chartsHavePoints(page, 3);
    const charts = await page.evaluate(() =>
      Object.fromEntries(
        [...document.querySelectorAll<HTMLElement>('[data-chart]')].map((s) => [
          s.dataset.chart,
          { series: s.dataset.series ?? '', canvases: s.querySelectorAll('canvas').length },
        ]),
      ),
    );
    expect(charts.messages?.series.split(',')).toContain('total');
    expect(charts.messages?.canvases).toBe(1);
    expect(charts.latency?.series.split(',')).toEqual(expect.arrayContaining(['p50', 'p99']));
    expect(charts.memory?.series.split(',')).toEqual(expect.arrayContaining(['rss', 'heap']));

    // The graph: every node drawn, layered, with live counts on the edges.
    await page.waitForFunction(
      () => Number(document.querySelector<SVGGElement>('.edge[data-from="demo"][data-to="clean"]')?.dataset.count ?? 0) > 0,
      undefined,
      { timeout: WAIT_MS },
    );
    const graph = await page.evaluate(() => ({
      nodes: [...document.querySelectorAll<SVGGElement>('#graph .node')].map((g) => g.dataset.node).sort(),
      demo: document.querySelector<SVGGElement>('#graph .node[data-node="demo"]')?.getAttribute('class'),
      label: document.querySelector('.edge[data-from="demo"][data-to="clean"] .count')?.textContent,
    }));
    expect(graph.nodes).toEqual(['clean', 'cmds', 'cv', 'demo', 'fair', 'history', 'metrics', 'out', 'stats', 'viewers']);
    expect(graph.demo).toContain('st-ok');
    expect(graph.label).toMatch(/^\d+(\.\d)?k?$/);

    // The pipeline trips both rules: listed, and the critical one in the banner, as text.
    await page.waitForSelector('#alerts-active li[data-rule="chat_flood"][data-state="firing"]', { timeout: WAIT_MS });
    await page.waitForSelector('#alerts-active li[data-rule="chat_busy"]', { timeout: WAIT_MS });
    await page.waitForSelector('#banner:not([hidden])', { timeout: WAIT_MS });
    const banner = await page.evaluate(() => ({
      text: document.getElementById('banner-list')?.textContent ?? '',
      bold: document.querySelectorAll('#banner b, #alerts-panel b').length,
      critical: document.documentElement.dataset.critical,
    }));
    expect(banner.text).toMatch(/^chat_flood: Chat flood <b>[\d.]+<\/b>\/s$/);
    expect(banner.bold).toBe(0);
    expect(banner.critical).toBe('1');

    // An alert that fires while the page is open also pops up as a notification.
    for (let i = 0; i < 20; i++) {
      viewers.next(chat(`hello ${i}`, { id: `alarm-${i}`, user: 'carol', platform: 'kick', channel: 'alarm' }));
    }
    await page.waitForSelector('#alerts-active li[data-rule="alarm_channel"]', { timeout: WAIT_MS });
    await page.waitForFunction(
      () =>
        (window as unknown as { shownNotifications: { title: string }[] }).shownNotifications.some(
          (n) => n.title === 'chatflow warning: alarm_channel',
        ),
      undefined,
      { timeout: WAIT_MS },
    );
    const shown = await page.evaluate(() => (window as unknown as { shownNotifications: { title: string; body?: string }[] }).shownNotifications);
    expect(shown.find((n) => n.title === 'chatflow warning: alarm_channel')?.body).toBe('Someone chats in #alarm');

    // Variables come from the control node; health from /health.
    await page.waitForSelector('#variables li[data-var="cutoff"]', { timeout: WAIT_MS });
    await page.waitForSelector('#health li[data-node="demo"] .chip.ok', { timeout: WAIT_MS });
    await page.waitForSelector('#health-status.ok', { timeout: WAIT_MS });
    // Notifications were granted to this origin: nothing left to ask.
    expect(await page.isHidden('#notify')).toBe(true);

    // Controls reach the control node; panic asks first.
    await page.click('#pause');
    await page.waitForFunction(() => /Pause: sent to 1 control node/.test(document.getElementById('control-result')?.textContent ?? ''), undefined, {
      timeout: WAIT_MS,
    });
    await page.click('#resume');
    await page.waitForFunction(() => /Resume: sent to 1/.test(document.getElementById('control-result')?.textContent ?? ''), undefined, {
      timeout: WAIT_MS,
    });
    await page.click('#panic');
    expect(await page.isVisible('#panic-confirm')).toBe(true);
    await page.click('#panic-no');
    expect(await page.isHidden('#panic-confirm')).toBe(true);
    expect(await page.textContent('#control-result')).toMatch(/^Resume/);
    await page.click('#panic');
    await page.click('#panic-yes');
    await page.waitForFunction(() => /Panic: sent to 1/.test(document.getElementById('control-result')?.textContent ?? ''), undefined, {
      timeout: WAIT_MS,
    });

    // A question from chat: stored by the postgres sink, listed, answered from the page.
    const question = 'what synth is <script>document.title="pwned"</script> that?';
    viewers.next(chat(`!q ${question}`, { id: 'q1', user: 'alice', platform: 'twitch' }));
    const row = await stored('SELECT id FROM questions WHERE text = $1', [question]);
    await page.click('#questions-refresh');
    const item = `#questions li[data-question="${String(row.id)}"]`;
    await page.waitForSelector(item, { timeout: WAIT_MS });
    expect(await page.textContent(`${item} .text`)).toBe(question);
    expect(await page.title()).toBe('chatflow dashboard');
    await page.click(`${item} button`);
    await page.waitForSelector(item, { state: 'detached', timeout: WAIT_MS });
    expect((await stored('SELECT answered FROM questions WHERE id = $1', [row.id])).answered).toBe(true);

    // A moderation verdict in PostgreSQL: listed as text (never markup), with counts by reason.
    const hostile = '<img src=x onerror="document.title=\'pwned\'"><b>FREE</b> nitro at evil.example';
    const inserted = await (db as pg.Client).query<{ id: string }>(
      `INSERT INTO moderation_events (platform, message_id, channel, author_login, verdict, reasons, points, text, ts, instance)
       VALUES ('kick', 'mod1', 'chan', '<i>mallory</i>', 'delete', '["links","caps"]', 3, $1, now(), 'dash-test')
       RETURNING id`,
      [hostile],
    );
    await page.click('#moderation-refresh');
    const verdictRow = `#moderation li[data-moderation="${String(inserted.rows[0]?.id)}"]`;
    await page.waitForSelector(verdictRow, { timeout: WAIT_MS });
    const shownVerdict = await page.evaluate((sel) => {
      const li = document.querySelector(sel);
      return {
        verdict: li?.getAttribute('data-verdict'),
        chip: li?.querySelector('.chip')?.textContent,
        login: li?.querySelector('.main')?.textContent,
        reasons: li?.querySelector('.reasons')?.textContent,
        text: li?.querySelector('.text')?.textContent,
        markup: document.querySelectorAll('#moderation-panel img, #moderation-panel b, #moderation-panel i').length,
        tags: [...document.querySelectorAll<HTMLElement>('#moderation-counts .tag')].map((t) => [t.dataset.reason, t.dataset.count]),
      };
    }, verdictRow);
    expect(shownVerdict).toEqual({
      verdict: 'delete',
      chip: 'delete',
      login: '<i>mallory</i>',
      reasons: 'links, caps · kick · chan',
      text: hostile,
      markup: 0,
      tags: [
        ['caps', '1'],
        ['links', '1'],
      ],
    });
    expect(await page.title()).toBe('chatflow dashboard');

    // History: the metrics stored in PostgreSQL, over the last 15 minutes.
    await stored(`SELECT 1 FROM system_metrics WHERE name = 'chatflow_messages_per_second'`);
    await page.selectOption('#history-metric', 'chatflow_messages_per_second');
    await page.selectOption('#history-range', '900000');
    await page.click('#history-form button[type="submit"]');
    await page.waitForFunction(() => Number(document.getElementById('history-panel')?.dataset.points ?? 0) > 0, undefined, {
      timeout: WAIT_MS,
    });
    expect(await page.locator('#history-plot canvas').count()).toBe(1);
    expect(await page.textContent('#history-note')).toMatch(/^\d+ points/);

    // Variables: a slewed value still says who set it, during and after the slew.
    viewers.next(chat('!cv drift 1', { id: 'd1', user: 'dave', platform: 'twitch' }));
    await page.waitForFunction(
      () => document.querySelector('#variables li[data-var="drift"] .value')?.textContent === '1',
      undefined,
      { timeout: WAIT_MS },
    );
    expect(await page.textContent('#variables li[data-var="drift"] .meta')).toBe('by dave (twitch)');

    // Drops: chat that is no command and the throttle are intended filtering, apart from losses.
    await page.waitForFunction(
      () => (document.querySelector<HTMLElement>('[data-chart="filtered"]')?.dataset.series ?? '').includes('no_consumer'),
      undefined,
      { timeout: WAIT_MS },
    );
    const drops = await page.evaluate(() => {
      const at = (id: string) => document.querySelector<HTMLElement>(`[data-chart="${id}"]`);
      return {
        filtered: (at('filtered')?.dataset.series ?? '').split(','),
        lost: at('lost')?.dataset.series ?? '',
        lostPoints: at('lost')?.dataset.points,
        lostEmpty: getComputedStyle(at('lost')?.querySelector('.empty') as Element).display,
      };
    });
    expect(drops.filtered).toEqual(expect.arrayContaining(['no_consumer:_unmatched', 'throttled']));
    expect(drops).toMatchObject({ lost: '', lostPoints: '0' });
    expect(drops.lostEmpty).not.toBe('none');

    await mkdir(ARTIFACTS, { recursive: true });
    await graphReadable(page);
    await page.locator('#graph').screenshot({ path: `${ARTIFACTS}dashboard-graph-1280.png`, animations: 'disabled' });

    const desktop = await noHorizontalScroll(page);
    expect(desktop.scroll).toBeLessThanOrEqual(desktop.client);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${ARTIFACTS}dashboard-1280x800.png`, animations: 'disabled' });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-1280-full.png`, animations: 'disabled', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('works at phone width with the token in the URL, without horizontal scroll', async () => {
    const { base } = running as Running;
    const phone = await (browser as Browser).newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    try {
      const page = await phone.newPage();
      const errors: string[] = [];
      watchErrors(page, errors);
      await page.goto(`${base}/dashboard?token=${TOKEN}`);
      await page.waitForSelector('html[data-view="app"][data-connection="live"]', { timeout: WAIT_MS });
      // The token left the address bar (it stays in this tab's storage).
      expect(page.url()).toBe(`${base}/dashboard`);
      await chartsHavePoints(page, 2);
      await page.waitForFunction(() => document.querySelector('#graph svg.vertical') !== null, undefined, { timeout: WAIT_MS });
      await graphReadable(page);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.locator('#graph').screenshot({ path: `${ARTIFACTS}dashboard-graph-390.png`, animations: 'disabled' });
      await page.waitForSelector('#alerts-active li[data-rule="chat_flood"]', { timeout: WAIT_MS });
      // The verdict the desktop test stored: its long hostile row must wrap, not widen the page.
      await page.waitForSelector('#moderation li[data-verdict="delete"]', { timeout: WAIT_MS });

      const width = await noHorizontalScroll(page);
      expect(width.client).toBe(390);
      expect(width.scroll).toBeLessThanOrEqual(width.client);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: `${ARTIFACTS}dashboard-390x844.png`, animations: 'disabled' });
      await page.screenshot({ path: `${ARTIFACTS}dashboard-390-full.png`, animations: 'disabled', fullPage: true });

      // Log out: back to the form, token forgotten.
      await page.click('#logout');
      await page.waitForSelector('html[data-view="login"]', { timeout: WAIT_MS });
      expect(await page.evaluate(() => sessionStorage.getItem('chatflow.token'))).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('shows it is offline when the server goes away, and resumes by itself when it is back', async () => {
    const { port } = running as Running;
    const page = await (context as BrowserContext).newPage();
    const errors: string[] = [];
    watchErrors(page, errors);
    // A new tab of the same browser: logged in by "Remember on this device".
    await page.goto(`${(running as Running).base}/dashboard`);
    await page.waitForSelector('html[data-view="app"][data-connection="live"]', { timeout: WAIT_MS });
    await page.waitForSelector('#health li[data-node="demo"] .chip.ok', { timeout: WAIT_MS });
    await stop(running);
    running = undefined;
    await page.waitForSelector('html[data-connection="offline"]', { timeout: WAIT_MS });
    expect(await page.textContent('#connection-text')).toMatch(/^offline|^reconnecting/);
    expect(await page.isVisible('#retry')).toBe(true);
    // Nothing claims the stopped instance is healthy: every node unknown, the graph greyed.
    await page.waitForSelector('#health-status.unknown', { timeout: WAIT_MS });
    const health = await page.evaluate(() => ({
      statuses: [...new Set([...document.querySelectorAll<HTMLElement>('#health li')].map((li) => li.dataset.status))],
      green: document.querySelectorAll('#health .chip.ok, #health-status.ok').length,
      graph: document.querySelector<SVGElement>('#graph svg')?.dataset.stale,
    }));
    expect(health).toEqual({ statuses: ['unknown'], green: 0, graph: 'true' });
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-stopped.png`, animations: 'disabled', fullPage: true });

    running = await run(postgres as TestServer, `127.0.0.1:${port}`);
    await page.waitForFunction(
      () => document.documentElement.dataset.connection === 'live' && Number(document.documentElement.dataset.hellos) >= 2,
      undefined,
      { timeout: WAIT_MS },
    );
    // Still logged in, and the new process's numbers arrive.
    expect(await page.evaluate(() => document.documentElement.dataset.view)).toBe('app');
    const before = await page.evaluate(() => Number(document.querySelector<HTMLElement>('[data-chart="messages"]')?.dataset.points));
    await page.waitForFunction(
      (n) => Number(document.querySelector<HTMLElement>('[data-chart="messages"]')?.dataset.points) > n,
      before,
      { timeout: WAIT_MS },
    );
    // Failed reconnects while the server was down are expected console errors; nothing else.
    expect(errors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
  });
});
