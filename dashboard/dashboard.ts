/**
 * The dashboard page's script (bundled by the server with esbuild, uPlot included): asks for
 * `server.token`, then draws live charts, the pipeline graph with live counts, alerts,
 * variables, questions, moderation verdicts, health and instances from the HTTP API and the
 * `/api/stream` WebSocket, which it keeps open by itself.
 *
 * State for tests and styling lives on `<html>`: `data-view` (loading, login, app),
 * `data-connection` (connecting, live, offline), `data-hellos` (streams begun),
 * `data-alerts` / `data-critical` (firing counts); each chart's section has `data-points`, each
 * graph edge `data-count`, the moderation panel `data-total` (verdicts in its window).
 */
import type {
  AggregatedResponse,
  AlertsResponse,
  ControlResponse,
  DashboardMessage,
  GraphView,
  HistoricalResponse,
  MetricPoint,
} from '../src/server/dashboardWire.js';
import { Api, ApiError, forgetToken, saveToken, Stream, type StreamState, storedToken } from './dashboardApi.js';
import { HistoryChart, LiveChart } from './dashboardCharts.js';
import { ChannelPanel } from './dashboardChannel.js';
import { GraphPanel } from './dashboardGraph.js';
import { TapPanel } from './dashboardTap.js';
import {
  AlertsPanel,
  byId,
  element,
  HealthPanel,
  InstancesPanel,
  ModerationPanel,
  Notifier,
  QuestionsPanel,
  refreshTimes,
  VariablesPanel,
} from './dashboardPanels.js';
import { ReloadPanel } from './dashboardReload.js';
import { CHARTS, HISTORICAL_METRICS, historicalSeries, latestTick } from './dashboardSeries.js';

/** How often the panels that are not on the stream are fetched again. */
const HEALTH_EVERY_MS = 5000;
const INSTANCES_EVERY_MS = 10_000;
const QUESTIONS_EVERY_MS = 15_000;
const MODERATION_EVERY_MS = 10_000;
const TIMES_EVERY_MS = 5000;
/** How often the file's validity is read again (also on every stream hello). */
const RELOAD_EVERY_MS = 3000;
/** How long the nodes a reload added or changed stay highlighted. */
const HIGHLIGHT_MS = 6000;

const root = document.documentElement;

function setView(view: 'loading' | 'login' | 'app'): void {
  root.dataset.view = view;
  byId('login').hidden = view !== 'login';
  byId('app').hidden = view !== 'app';
  byId('logout').hidden = view !== 'app';
}

/** Shows the login form, with `message` as its error (empty for none). */
function showLogin(message: string): void {
  setView('login');
  root.dataset.connection = 'offline';
  byId('connection-text').textContent = 'logged out';
  byId('login-error').textContent = message;
  byId<HTMLInputElement>('login-token').focus();
}

/** Probes the API with `token`: 'ok', 'unauthorized', or a message about what else went wrong. */
async function probe(api: Api): Promise<'ok' | 'unauthorized' | { problem: string }> {
  try {
    await api.get<GraphView>('/api/graph');
    return 'ok';
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return 'unauthorized';
    if (err instanceof ApiError && err.status === 404) {
      return { problem: 'This pipeline serves no metrics API: add a `metrics` sink fed by `sample_metrics` (see docs/dashboard.md).' };
    }
    return { problem: `The server did not answer (${(err as Error).message}); retrying.` };
  }
}

/** Everything on screen once logged in. */
class Dashboard {
  readonly #api: Api;
  readonly #charts: LiveChart[] = [];
  readonly #graph = new GraphPanel(byId('graph'));
  readonly #alerts = new AlertsPanel(new Notifier(byId<HTMLButtonElement>('notify')));
  readonly #variables = new VariablesPanel();
  readonly #channel = new ChannelPanel();
  readonly #questions: QuestionsPanel;
  readonly #moderation: ModerationPanel;
  readonly #health = new HealthPanel();
  readonly #instances = new InstancesPanel();
  readonly #history = new HistoryChart(byId('history-plot'));
  readonly #tap: TapPanel;
  readonly #reload: ReloadPanel;
  readonly #timers: number[] = [];
  readonly #resize: ResizeObserver;
  #stream: Stream | undefined;
  #instance: string | undefined;
  #stopped = false;

  constructor(api: Api) {
    this.#api = api;
    this.#questions = new QuestionsPanel(api);
    this.#moderation = new ModerationPanel(api);
    this.#tap = new TapPanel(api.token);
    this.#graph.onSelect((node, ports) => this.#tap.open(node, ports));
    // The graph on the stream follows the running pipeline; reading it now redraws at once.
    this.#reload = new ReloadPanel(api, (nodes) => {
      void this.#loadGraph().then(() => this.#graph.highlight(nodes, HIGHLIGHT_MS));
    });
    for (const def of CHARTS) {
      const section = document.querySelector<HTMLElement>(`[data-chart="${def.id}"]`);
      if (section) this.#charts.push(new LiveChart(def, section));
    }
    this.#resize = new ResizeObserver(() => {
      for (const chart of this.#charts) chart.resize();
      this.#graph.resize();
      this.#history.resize();
    });
    this.#resize.observe(byId('app'));
    this.#controls();
    this.#historyForm();
  }

  start(): void {
    this.#stream = new Stream(this.#api.token, {
      message: (m) => this.#receive(m),
      state: (state, detail) => this.#connection(state, detail.retryInMs),
      refused: () => {
        void this.#checkToken();
      },
    });
    byId('retry').onclick = () => this.#stream?.retryNow();
    void this.#loadAlerts();
    void this.#loadGraph();
    void this.#loadVariables();
    this.#every(HEALTH_EVERY_MS, () => this.#loadHealth());
    this.#every(INSTANCES_EVERY_MS, () => this.#loadInstances());
    this.#every(QUESTIONS_EVERY_MS, () => this.#questions.load());
    this.#every(MODERATION_EVERY_MS, () => this.#moderation.load());
    this.#every(RELOAD_EVERY_MS, () => this.#reload.poll());
    this.#timers.push(window.setInterval(() => refreshTimes(byId('app')), TIMES_EVERY_MS));
  }

  stop(): void {
    this.#stopped = true;
    this.#stream?.close();
    this.#tap.close();
    for (const t of this.#timers) clearInterval(t);
    this.#resize.disconnect();
  }

  #every(ms: number, load: () => Promise<void>): void {
    void load();
    this.#timers.push(window.setInterval(() => void load(), ms));
  }

  #connection(state: StreamState, retryInMs: number | undefined): void {
    if (this.#stopped) return;
    root.dataset.connection = state;
    const text =
      state === 'live'
        ? 'live'
        : state === 'connecting'
          ? 'connecting…'
          : retryInMs === undefined
            ? 'reconnecting…'
            : `offline, retrying in ${Math.max(1, Math.round(retryInMs / 1000))} s`;
    byId('connection-text').textContent = text;
    byId('retry').hidden = state !== 'offline';
    // Nothing shown stays "live" once the instance is gone: health and graph turn unknown
    // until the stream is back (the next hello redraws them).
    this.#graph.stale(state === 'offline');
    if (state === 'offline') this.#health.unavailable('The instance is not answering (its live stream closed); health is unknown.');
    else if (state === 'live') void this.#loadHealth();
  }

  /** The stream closed before opening: if the token stopped working, log out. */
  async #checkToken(): Promise<void> {
    const result = await probe(this.#api);
    if (result === 'unauthorized') logout('The token is no longer accepted; log in again.');
    else if (typeof result === 'object') this.#note(result.problem);
  }

  #note(message: string): void {
    const note = byId('api-note');
    note.hidden = message === '';
    note.textContent = message;
  }

  #receive(message: DashboardMessage): void {
    switch (message.type) {
      case 'hello':
        root.dataset.hellos = String(Number(root.dataset.hellos ?? 0) + 1);
        this.#instance = message.instance;
        byId('instance').textContent = message.instance;
        this.#graph.show(message.graph);
        this.#metrics(message.metrics);
        for (const alert of message.alerts) this.#alerts.receive(alert, false);
        this.#variables.show(message.variables);
        this.#channel.show(message.channel);
        this.#note('');
        void this.#reload.poll();
        return;
      case 'metrics':
        this.#metrics(message.metrics);
        this.#graph.show(message.graph);
        return;
      case 'alert':
        this.#alerts.receive(message.alert, true);
        return;
      case 'variables':
        this.#variables.show(message.variables);
        return;
      case 'channel':
        this.#channel.show(message.channel);
        return;
    }
  }

  /** A snapshot of the latest point of every series: one tick of every chart. */
  #metrics(points: readonly MetricPoint[]): void {
    const tick = latestTick(points);
    if (tick) for (const chart of this.#charts) chart.push(tick);
  }

  async #load<T>(path: string, use: (value: T) => void, failed?: (message: string) => void): Promise<void> {
    try {
      use(await this.#api.get<T>(path));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        logout('The token is no longer accepted; log in again.');
        return;
      }
      failed?.((err as Error).message);
    }
  }

  #loadGraph(): Promise<void> {
    return this.#load<GraphView>('/api/graph', (graph) => this.#graph.show(graph));
  }

  #loadAlerts(): Promise<void> {
    return this.#load<AlertsResponse>('/api/alerts', (a) =>
      this.#alerts.load(a.active ?? [], a.recent ?? []),
    );
  }

  #loadVariables(): Promise<void> {
    return this.#load('/api/variables', (v: Parameters<VariablesPanel['show']>[0]) =>
      this.#variables.show(Array.isArray(v) ? v : []),
    );
  }

  async #loadHealth(): Promise<void> {
    try {
      this.#health.show(await this.#api.getAny('/health'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        logout('The token is no longer accepted; log in again.');
        return;
      }
      this.#health.unavailable(`Health is not available: ${(err as Error).message}`);
    }
  }

  #loadInstances(): Promise<void> {
    return this.#load<AggregatedResponse>(
      '/api/metrics/aggregated',
      (a) => this.#instances.show(a.instances ?? [], this.#instance),
      (message) => this.#instances.unavailable(`Instances are not available: ${message}`),
    );
  }

  #controls(): void {
    const result = byId('control-result');
    const confirm = byId('panic-confirm');
    const send = async (action: 'pause' | 'resume' | 'panic', label: string): Promise<void> => {
      result.textContent = `${label}…`;
      result.classList.remove('error');
      try {
        const answer = await this.#api.post<ControlResponse | undefined>(`/api/control/${action}`);
        const reached = answer?.reached;
        result.textContent =
          typeof reached === 'number' ? `${label}: sent to ${reached} control node${reached === 1 ? '' : 's'}.` : `${label}: done.`;
        root.dataset.lastControl = action;
      } catch (err) {
        result.textContent = `${label} failed: ${(err as Error).message}`;
        result.classList.add('error');
      }
    };
    byId('pause').addEventListener('click', () => void send('pause', 'Pause'));
    byId('resume').addEventListener('click', () => void send('resume', 'Resume'));
    byId('panic').addEventListener('click', () => {
      confirm.hidden = false;
      byId('panic-no').focus();
    });
    byId('panic-no').addEventListener('click', () => {
      confirm.hidden = true;
    });
    byId('panic-yes').addEventListener('click', () => {
      confirm.hidden = true;
      void send('panic', 'Panic');
    });
  }

  #historyForm(): void {
    const select = byId<HTMLSelectElement>('history-metric');
    select.replaceChildren(...HISTORICAL_METRICS.map((name) => element('option', '', name)));
    const note = byId('history-note');
    byId<HTMLFormElement>('history-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = select.value;
      const range = Number(byId<HTMLSelectElement>('history-range').value);
      const to = Date.now();
      const from = to - range;
      note.textContent = 'Loading…';
      note.classList.remove('error');
      try {
        const query = new URLSearchParams({ name, from: String(from), to: String(to) });
        const answer = await this.#api.get<Partial<HistoricalResponse> | undefined>(`/api/metrics/historical?${query}`);
        const points = answer?.points ?? [];
        const { names, data } = historicalSeries(points);
        this.#history.show(names, data);
        note.textContent =
          points.length === 0
            ? 'No data in this range.'
            : `${points.length} points${answer?.truncated ? ' (more were stored: pick a shorter range to see them all)' : ''}.`;
        byId('history-panel').dataset.points = String(points.length);
      } catch (err) {
        note.textContent = `History is not available: ${(err as Error).message}`;
        note.classList.add('error');
      }
    });
  }
}

let current: Dashboard | undefined;

function logout(message: string): void {
  current?.stop();
  current = undefined;
  forgetToken();
  showLogin(message);
}

async function enter(token: string, fromForm: boolean, remember = false): Promise<void> {
  const api = new Api(token);
  const result = await probe(api);
  if (result === 'unauthorized') {
    if (fromForm || token !== '') forgetToken();
    showLogin(fromForm ? 'Wrong token.' : token === '' ? '' : 'The saved token is no longer accepted; log in again.');
    return;
  }
  if (fromForm) saveToken(token, remember);
  setView('app');
  current = new Dashboard(api);
  current.start();
  if (typeof result === 'object') byId('api-note').hidden = false;
  if (typeof result === 'object') byId('api-note').textContent = result.problem;
}

function main(): void {
  const form = byId<HTMLFormElement>('login-form');
  const input = byId<HTMLInputElement>('login-token');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === '') return;
    byId('login-error').textContent = 'Checking…';
    void enter(token, true, byId<HTMLInputElement>('login-remember').checked).then(() => {
      input.value = '';
    });
  });
  byId('logout').addEventListener('click', () => logout(''));
  setView('loading');
  // No token yet: try without one (a server without server.token lets everyone in).
  void enter(storedToken() ?? '', false);
}

main();
