/**
 * The dashboard's list panels: alerts (with the critical banner and browser notifications),
 * variables, questions, moderation verdicts, health and instances. Everything that came from chat or from the
 * pipeline's file is set with `textContent`, never as markup.
 */
import type {
  AlertView,
  HealthView,
  InstanceView,
  ModerationResponse,
  ModerationView,
  QuestionView,
  VariableView,
} from '../src/server/dashboardWire.js';
import type { Api } from './dashboardApi.js';
import { alertMeta } from './alertMeta.js';
import { partLines } from './dashboardParts.js';
import { statusClass } from './dashboardLayout.js';
import { METRIC } from './dashboardSeries.js';

/** How many resolved or past alerts the "Recent" list keeps. */
const RECENT_ALERTS = 30;
/** Verdicts the Moderation panel lists (the counts cover the API's whole window). */
const MODERATION_ROWS = 25;
/** Characters of a moderated message shown; the whole text is in the row's tooltip. */
const EXCERPT_CHARS = 160;

export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from dashboard.html`);
  return el as T;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** "12 s ago", "4 min ago", "2 h ago", with the exact time in the element's title. */
export function ago(ts: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

function timeEl(ts: number): HTMLTimeElement {
  const el = element('time', 'meta');
  el.dateTime = new Date(ts).toISOString();
  el.title = new Date(ts).toLocaleString();
  el.dataset.ts = String(ts);
  el.textContent = ago(ts);
  return el;
}

/** Refreshes every "… ago" under `root`. */
export function refreshTimes(root: ParentNode): void {
  const now = Date.now();
  for (const el of root.querySelectorAll<HTMLTimeElement>('time[data-ts]')) el.textContent = ago(Number(el.dataset.ts), now);
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1000 || Number.isInteger(v)) return String(Math.round(v * 100) / 100);
  return v.toFixed(abs >= 100 ? 1 : 3);
}

function chip(text: string, cls: string): HTMLSpanElement {
  return element('span', `chip ${cls}`, text);
}

/** Browser notifications for firing alerts: asked for on a click, silently absent otherwise. */
export class Notifier {
  readonly #button: HTMLButtonElement;

  constructor(button: HTMLButtonElement) {
    this.#button = button;
    button.addEventListener('click', () => {
      void this.#ask();
    });
    this.#render();
  }

  get #supported(): boolean {
    return typeof window.Notification === 'function';
  }

  async #ask(): Promise<void> {
    if (!this.#supported) return;
    try {
      await Notification.requestPermission();
    } catch {
      // an old browser or a blocked prompt: stay quiet
    }
    this.#render();
  }

  #render(): void {
    if (!this.#supported) {
      this.#button.hidden = true;
      return;
    }
    const permission = Notification.permission;
    this.#button.hidden = permission === 'granted';
    this.#button.disabled = permission === 'denied';
    this.#button.textContent = permission === 'denied' ? 'Notifications blocked' : 'Enable notifications';
    this.#button.title =
      permission === 'denied' ? 'Allow notifications for this site in the browser settings to get alerts.' : '';
  }

  notify(alert: AlertView): void {
    if (!this.#supported || Notification.permission !== 'granted') return;
    try {
      const n = new Notification(`chatflow ${alert.severity}: ${alert.rule}`, {
        body: alert.message,
        tag: `chatflow-${alert.instance}-${alert.rule}`,
      });
      n.onclick = () => window.focus();
    } catch {
      // Some phones allow notifications only from a service worker: the banner and list remain.
    }
  }
}

/** Active and recent alerts, and the banner for firing critical ones. */
export class AlertsPanel {
  readonly #active = new Map<string, AlertView>();
  readonly #recent: AlertView[] = [];
  readonly #notifier: Notifier;

  constructor(notifier: Notifier) {
    this.#notifier = notifier;
  }

  /** Replaces everything (`/api/alerts`). */
  load(active: readonly AlertView[], recent: readonly AlertView[]): void {
    this.#active.clear();
    for (const a of active) this.#active.set(key(a), a);
    this.#recent.length = 0;
    for (const a of recent) this.#remember(a);
    this.#render();
  }

  /** An alert from the stream; `live` ones (not the hello's) notify. */
  receive(alert: AlertView, live: boolean): void {
    const k = key(alert);
    const seen = this.#active.get(k);
    if (alert.state === 'firing') {
      this.#active.set(k, alert);
      if (live && (!seen || seen.ts !== alert.ts)) this.#notifier.notify(alert);
    } else {
      this.#active.delete(k);
    }
    this.#remember(alert);
    this.#render();
  }

  #remember(alert: AlertView): void {
    if (this.#recent.some((r) => key(r) === key(alert) && r.ts === alert.ts && r.state === alert.state)) return;
    this.#recent.push(alert);
    this.#recent.sort((a, b) => b.ts - a.ts);
    this.#recent.length = Math.min(this.#recent.length, RECENT_ALERTS);
  }

  #render(): void {
    const active = [...this.#active.values()].sort(
      (a, b) => Number(b.severity === 'critical') - Number(a.severity === 'critical') || b.ts - a.ts,
    );
    byId('alerts-active').replaceChildren(...active.map((a) => row(a)));
    byId('alerts-none').hidden = active.length > 0;
    byId('alerts-recent').replaceChildren(...this.#recent.map((a) => row(a)));
    const critical = active.filter((a) => a.severity === 'critical');
    const banner = byId('banner');
    banner.hidden = critical.length === 0;
    byId('banner-title').textContent =
      critical.length === 1 ? 'Critical alert firing' : `${critical.length} critical alerts firing`;
    byId('banner-list').replaceChildren(...critical.map((a) => element('li', '', `${a.rule}: ${a.message}`)));
    const root = document.documentElement;
    root.dataset.alerts = String(active.length);
    root.dataset.critical = String(critical.length);
  }
}

function key(a: AlertView): string {
  return `${a.instance}\u0000${a.rule}`;
}

function row(a: AlertView): HTMLLIElement {
  const li = element('li', `${a.state} ${a.severity}`);
  li.dataset.rule = a.rule;
  li.dataset.state = a.state;
  li.append(
    chip(a.state === 'firing' ? a.severity : 'resolved', a.state === 'firing' ? a.severity : 'resolved'),
    element('span', 'main', a.rule),
    element('span', 'meta', alertMeta(a, formatValue)),
    timeEl(a.ts),
    element('span', 'text', a.message),
  );
  return li;
}

/** Who or what set a variable: a viewer, else how (`vote`, `panic`…; `default` at start). */
export function setBy(v: Pick<VariableView, 'by' | 'origin'>): string {
  if (v.by) return `by ${v.by.login} (${v.by.platform})`;
  switch (v.origin) {
    case undefined:
    case 'default':
      return 'default';
    case 'restore':
      return 'restored';
    case 'vote':
      return 'by vote';
    case 'panic':
      return 'panic';
    case 'reset':
      return 'reset';
    default:
      return `by ${v.origin}`;
  }
}

/** Active control variables, who set them and when. */
export class VariablesPanel {
  show(variables: readonly VariableView[]): void {
    const sorted = [...variables].sort((a, b) => a.name.localeCompare(b.name));
    byId('variables').replaceChildren(
      ...sorted.map((v) => {
        const li = element('li');
        li.dataset.var = v.name;
        li.append(
          element('span', 'main grow', v.name),
          element('span', 'value', formatValue(v.value)),
          element('span', 'meta', setBy(v)),
          timeEl(v.at),
        );
        return li;
      }),
    );
    byId('variables-none').hidden = variables.length > 0;
  }
}

/** Open questions from chat, each with a button that marks it answered. */
export class QuestionsPanel {
  readonly #api: Api;

  constructor(api: Api) {
    this.#api = api;
    byId('questions-refresh').addEventListener('click', () => {
      void this.load();
    });
  }

  async load(): Promise<void> {
    const none = byId('questions-none');
    try {
      const questions = await this.#api.get<QuestionView[]>('/api/questions?answered=false');
      this.#show(Array.isArray(questions) ? questions : []);
      none.textContent = 'No open question.';
      none.classList.remove('error');
    } catch (err) {
      byId('questions').replaceChildren();
      none.hidden = false;
      none.textContent = `Questions are not available: ${(err as Error).message}`;
    }
  }

  #show(questions: readonly QuestionView[]): void {
    const sorted = [...questions].sort((a, b) => b.upvotes - a.upvotes || a.ts - b.ts);
    byId('questions').replaceChildren(...sorted.map((q) => this.#row(q)));
    byId('questions-none').hidden = sorted.length > 0;
  }

  #row(q: QuestionView): HTMLLIElement {
    const li = element('li');
    li.dataset.question = String(q.id);
    const button = element('button', '', 'Mark answered');
    button.type = 'button';
    const status = element('span', 'meta');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await this.#api.post(`/api/questions/${encodeURIComponent(String(q.id))}/answer`);
        li.remove();
        byId('questions-none').hidden = byId('questions').childElementCount > 0;
      } catch (err) {
        button.disabled = false;
        status.textContent = (err as Error).message;
        status.classList.add('error');
      }
    });
    li.append(
      element('span', 'text', q.text),
      element('span', 'main', q.login),
      element('span', 'meta grow', `${q.platform} · ${q.channel} · ▲ ${q.upvotes}`),
      timeEl(q.ts),
      button,
      status,
    );
    return li;
  }
}

/** The chip colour of a verdict: `allow` (shadow mode) grey, `flag` amber, the rest red. */
function verdictClass(verdict: string): 'off' | 'warn' | 'bad' {
  if (verdict === 'flag') return 'warn';
  if (verdict === 'allow') return 'off';
  return 'bad';
}

/** At most `max` characters (code points, so an emoji is never cut in half), with an ellipsis. */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Recent moderation verdicts and the window's counts by verdict and reason (`/api/moderation`). */
export class ModerationPanel {
  readonly #api: Api;

  constructor(api: Api) {
    this.#api = api;
    byId('moderation-refresh').addEventListener('click', () => {
      void this.load();
    });
  }

  async load(): Promise<void> {
    const none = byId('moderation-none');
    try {
      const answer = await this.#api.get<Partial<ModerationResponse> | undefined>(`/api/moderation?limit=${MODERATION_ROWS}`);
      this.#show(answer ?? {});
      none.textContent = 'No verdict in the last 24 hours.';
      none.classList.remove('error');
    } catch (err) {
      byId('moderation').replaceChildren();
      byId('moderation-counts').replaceChildren();
      byId('moderation-panel').dataset.total = '0';
      none.hidden = false;
      none.textContent = `Moderation is not available: ${(err as Error).message}`;
      none.classList.add('error');
    }
  }

  #show(answer: Partial<ModerationResponse>): void {
    const verdicts = Array.isArray(answer.verdicts) ? answer.verdicts : [];
    byId('moderation').replaceChildren(...verdicts.map((v) => this.#row(v)));
    byId('moderation-none').hidden = verdicts.length > 0;
    const counts = answer.counts;
    const total = typeof counts?.total === 'number' ? counts.total : 0;
    byId('moderation-panel').dataset.total = String(total);
    const items: HTMLElement[] = [];
    if (counts && total > 0) {
      const byVerdict = Object.entries(counts.byVerdict ?? {}).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
      const summary = byVerdict.map(([verdict, n]) => `${n} ${verdict}`).join(' · ');
      items.push(element('span', 'meta', `${total} in 24 h${summary === '' ? '' : `: ${summary}`}`));
      const byReason = Object.entries(counts.byReason ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      for (const [reason, n] of byReason) {
        const tag = element('span', 'tag', `${reason} ${n}`);
        tag.dataset.reason = reason;
        tag.dataset.count = String(n);
        items.push(tag);
      }
    }
    byId('moderation-counts').replaceChildren(...items);
  }

  #row(v: ModerationView): HTMLLIElement {
    const li = element('li');
    li.dataset.moderation = String(v.id);
    li.dataset.verdict = v.verdict;
    const text = element('span', 'text', excerpt(v.text));
    text.title = v.text;
    const reasons = Array.isArray(v.reasons) ? v.reasons.join(', ') : '';
    li.append(
      chip(v.verdict, verdictClass(v.verdict)),
      element('span', 'main', v.login),
      element('span', 'meta grow reasons', `${reasons} · ${v.platform} · ${v.channel}`),
      timeEl(v.ts),
      text,
    );
    return li;
  }
}

/** Sources' and sinks' health from `/health`. */
export class HealthPanel {
  show(health: HealthView): void {
    const status = byId('health-status');
    status.textContent = health.status;
    status.className = `chip ${health.status === 'ok' ? 'ok' : 'warn'}`;
    const rows: HTMLLIElement[] = [];
    for (const s of health.sources ?? []) {
      const li = element('li');
      li.dataset.node = s.id;
      li.dataset.status = s.status;
      li.append(chip(s.status, statusClass(s.status)), element('span', 'main grow', s.id), element('span', 'meta', `source · ${s.type}`));
      rows.push(li);
    }
    for (const s of health.sinks ?? []) {
      const li = element('li');
      li.dataset.node = s.id;
      li.dataset.status = s.status;
      li.append(
        chip(s.status, statusClass(s.status)),
        element('span', 'main grow', s.id),
        element('span', 'meta', `sink · ${s.type} · buffer ${s.bufferDepth}`),
      );
      rows.push(li);
      // The services it talks to (the chat sink's platforms), each on its own line under it.
      const now = Date.now();
      for (const part of s.parts ?? []) {
        const lines = partLines(part, now);
        const row = element('li', 'part');
        row.dataset.node = s.id;
        row.dataset.part = part.name;
        row.dataset.state = part.state;
        if (part.until !== undefined) row.dataset.until = String(part.until);
        row.append(chip(lines.label, lines.cls), element('span', 'main', part.name), element('span', 'meta grow', lines.counts));
        if (lines.why !== '') row.append(element('span', 'text why', lines.why));
        rows.push(row);
      }
    }
    byId('health').replaceChildren(...rows);
    const uptime = Math.round(health.uptimeS ?? 0);
    byId('health-note').textContent = `Instance ${health.instance}, up ${formatDuration(uptime)}.`;
  }

  /**
   * The instance stopped answering: what was last known is no longer true, so every node's
   * chip turns `unknown` (grey) instead of keeping its last colour.
   */
  unavailable(message: string): void {
    const status = byId('health-status');
    status.textContent = 'unknown';
    status.className = 'chip unknown';
    for (const li of byId('health').querySelectorAll<HTMLLIElement>('li')) {
      li.dataset.status = 'unknown';
      li.querySelector('.chip')?.replaceWith(chip('unknown', 'unknown'));
    }
    byId('health-note').textContent = message;
  }
}

function formatDuration(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Processes sharing this Redis, from `/api/metrics/aggregated`. */
export class InstancesPanel {
  show(instances: readonly InstanceView[], self: string | undefined): void {
    const sorted = [...instances].sort((a, b) => a.instance.localeCompare(b.instance));
    byId('instances').replaceChildren(
      ...sorted.map((inst) => {
        const li = element('li');
        li.dataset.instance = inst.instance;
        let messages = 0;
        let rss: number | undefined;
        for (const p of inst.metrics ?? []) {
          if (p.name === METRIC.messages && p.value !== undefined) messages += p.value;
          if (p.name === METRIC.rss && p.value !== undefined) rss = p.value;
        }
        li.append(
          element('span', 'main grow', inst.instance === self ? `${inst.instance} (this)` : inst.instance),
          element('span', 'value', `${messages.toFixed(1)} msg/s`),
          element('span', 'meta', rss === undefined ? '' : `${(rss / 1048576).toFixed(0)} MiB`),
          timeEl(inst.lastSeen),
        );
        return li;
      }),
    );
    byId('instances-none').hidden = instances.length > 0;
  }

  unavailable(message: string): void {
    byId('instances').replaceChildren();
    const none = byId('instances-none');
    none.hidden = false;
    none.textContent = message;
  }
}
