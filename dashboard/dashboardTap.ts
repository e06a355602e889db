/**
 * The live tap panel: the last {@link TAP_KEEP} events leaving one node of the graph, newest
 * first, each as one line of text, from the `/api/tap` WebSocket (token as `?token=`, as on
 * `/api/stream`). Pause keeps the socket open and the list still (what arrives meanwhile is
 * counted, not shown); Close ends the socket. The panel's `data-events` counts lines shown; each line's `data-seq` is its number.
 */
import type { ChatflowEvent } from '../src/core/events.js';
import type { TapMessage } from '../src/server/tapRoute.js';
import { byId, element } from './dashboardPanels.js';

/** How many events the panel keeps. */
export const TAP_KEEP = 50;
const MAX_LINE = 200;

/** One event as one line: kind, who, then the text or `variable=value`. */
export function tapLine(port: string, event: ChatflowEvent): string {
  const where = port === '' ? '' : `.${port} `;
  let what: string;
  switch (event.kind) {
    case 'chat':
      what = `${event.author.login}: ${event.text}`;
      break;
    case 'command':
      what = `${event.chat.author.login}: !${event.name} ${Object.entries(event.args)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}`;
      break;
    case 'control':
      what = `${event.by?.login ?? event.origin}: ${event.variable}=${event.value}`;
      break;
    case 'moderation':
      what = `${event.chat.author.login}: ${event.verdict} ${event.chat.text}`;
      break;
    case 'reply':
      what = `${event.channel}: ${event.text}`;
      break;
    case 'metric':
      what = `${event.name}=${event.value ?? event.summary?.p99 ?? ''}`;
      break;
    case 'alert':
      what = `${event.rule} ${event.state}: ${event.message}`;
      break;
    case 'platform':
      what = `${event.author?.login ?? event.channel}: ${event.type}`;
      break;
    default:
      what = '';
  }
  const line = `${where}${(event as { kind: string }).kind} ${what}`.replace(/[\r\n]+/g, ' ');
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}

export class TapPanel {
  readonly #token: string;
  readonly #panel = byId('tap-panel');
  readonly #list = byId('tap-events');
  readonly #status = byId('tap-status');
  readonly #pause = byId<HTMLButtonElement>('tap-pause');
  #ws: WebSocket | undefined;
  #node: string | undefined;
  #paused = false;
  #missed = 0;
  /**
   * The lines shown, by their event's JSON. A ported operator mirrors each event of a named
   * port to its default one (`mirrorToDefault`): the same event, shown once, under its port.
   */
  readonly #shown = new Map<string, HTMLElement>();

  constructor(token: string) {
    this.#token = token;
    this.#pause.addEventListener('click', () => this.#togglePause());
    byId('tap-close').addEventListener('click', () => this.close());
  }

  /** Opens (or switches) the tap on `node`'s `ports` ('' its default output). */
  open(node: string, ports: readonly string[]): void {
    this.close();
    this.#node = node;
    this.#paused = false;
    this.#missed = 0;
    this.#pause.textContent = 'Pause';
    this.#list.replaceChildren();
    this.#shown.clear();
    this.#panel.dataset.events = '0';
    this.#panel.dataset.node = node;
    byId('tap-node').textContent = node;
    this.#panel.hidden = false;
    this.#status.textContent = 'connecting…';
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const query = new URLSearchParams({ node: ports.map((p) => (p === '' ? node : `${node}.${p}`)).join(',') });
    if (this.#token !== '') query.set('token', this.#token);
    const ws = new WebSocket(`${scheme}://${location.host}/api/tap?${query}`);
    this.#ws = ws;
    ws.onmessage = (event: MessageEvent) => {
      if (this.#ws !== ws || typeof event.data !== 'string') return;
      let message: TapMessage;
      try {
        message = JSON.parse(event.data) as TapMessage;
      } catch {
        return;
      }
      this.#receive(message);
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      if (!this.#status.classList.contains('error')) this.#status.textContent = 'closed (the instance went away).';
    };
  }

  close(): void {
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.close();
    this.#node = undefined;
    this.#panel.hidden = true;
    this.#status.classList.remove('error');
    delete this.#panel.dataset.node;
  }

  #receive(message: TapMessage): void {
    switch (message.type) {
      case 'hello':
        this.#status.textContent = 'live';
        return;
      case 'error':
        this.#status.textContent = message.message;
        this.#status.classList.add('error');
        return;
      case 'dropped': {
        const d = message.dropped;
        this.#status.textContent = `live; the tap dropped ${d.rate + d.slow_client + d.tap_queue} events it could not keep up with.`;
        return;
      }
      case 'event': {
        if (this.#paused) {
          this.#missed += 1;
          this.#status.textContent = `paused; ${this.#missed} events not shown.`;
          return;
        }
        const key = JSON.stringify(message.event);
        const twin = this.#shown.get(key);
        if (twin?.isConnected) {
          if (twin.dataset.port === '' && message.port !== '') {
            twin.textContent = tapLine(message.port, message.event);
            twin.dataset.port = message.port;
          }
          return;
        }
        const seq = Number(this.#panel.dataset.events ?? 0) + 1;
        const line = element('li', '', tapLine(message.port, message.event));
        line.dataset.seq = String(seq);
        line.dataset.port = message.port;
        this.#shown.set(key, line);
        this.#list.prepend(line);
        while (this.#list.childElementCount > TAP_KEEP) this.#list.lastElementChild?.remove();
        if (this.#shown.size > TAP_KEEP * 2) {
          for (const [k, el] of this.#shown) if (!el.isConnected) this.#shown.delete(k);
        }
        this.#panel.dataset.events = String(seq);
        return;
      }
    }
  }

  #togglePause(): void {
    if (this.#node === undefined) return;
    this.#paused = !this.#paused;
    this.#missed = 0;
    this.#pause.textContent = this.#paused ? 'Resume' : 'Pause';
    this.#panel.dataset.paused = String(this.#paused);
    this.#status.textContent = this.#paused ? 'paused' : 'live';
  }
}
