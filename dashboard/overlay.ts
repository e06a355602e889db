/**
 * The overlay page's script (bundled by the server with esbuild): connects to the `overlay`
 * sink's WebSocket, shows control variables as animated bars and recent commands and chat, and
 * reconnects by itself with backoff, resyncing from the snapshot the sink sends first.
 *
 * Query parameters: `theme` (dark, light, neon, minimal), `panels` (variables, commands,
 * chat; comma-separated), `room`, `limit` (entries per feed, 1–50), `accent` (hex colour
 * without `#`), `titles=0`, `stale` (seconds without a connection before the values dim,
 * 0–600, default 3), `debug` (shows the connection pill). Everything chat-provided is set
 * with `textContent`, never as markup.
 *
 * A variable is shown as its control node declares it (the snapshot's `d`): a note name for
 * `input: note`, else the number in its own units, with a bar across its declared range. With a
 * pipeline `clock:`, a dot above the variables pulses on every beat (`b` messages).
 */
import {
  deletes,
  displayValue,
  WIRE_VERSION,
  type WireChat,
  type WireCommand,
  type WireControl,
  type WireBeat,
  type WireDeclaration,
  type WireDelete,
  type WireEntry,
  type WireMessage,
  type WireSnapshot,
} from '../src/sinks/overlay/wire.js';

const THEMES = ['dark', 'light', 'neon', 'minimal'] as const;
const PANELS = ['variables', 'commands', 'chat'] as const;
type Panel = (typeof PANELS)[number];
const DEFAULT_PANELS: readonly Panel[] = ['variables', 'commands'];
/** The sink's default endpoint; a room is appended as `/<room>`. */
const WS_PATH = '/overlay/ws';
const ROOM = /^[A-Za-z0-9_-]{1,32}$/;
const HEX = /^[0-9a-fA-F]{3,8}$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;
/** Reconnect backoff: 250 ms doubling to 5 s, ±20 % jitter; 5 s at least when refused as full. */
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 5000;
/** How long a changed value stays highlighted. */
const HIGHLIGHT_MS = 700;
/** How long the page may be without its server before the values dim (`?stale=` seconds). */
const STALE_AFTER_S = 3;
const STALE_MAX_S = 600;
/** Control origins shown in the commands feed, and how. */
const ORIGIN_LABEL: Readonly<Record<string, string>> = { vote: 'vote', panic: 'panic', reset: 'reset' };

interface Settings {
  readonly theme: string;
  readonly panels: ReadonlySet<Panel>;
  readonly room: string | undefined;
  readonly limit: number;
  readonly accent: string | undefined;
  readonly titles: boolean;
  readonly staleMs: number;
  readonly debug: boolean;
}

function readSettings(search: string): Settings {
  const q = new URLSearchParams(search);
  const theme = q.get('theme') ?? 'dark';
  const wanted = (q.get('panels') ?? '')
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p): p is Panel => (PANELS as readonly string[]).includes(p));
  const room = q.get('room') ?? undefined;
  const limit = Number(q.get('limit') ?? 6);
  const accent = q.get('accent') ?? undefined;
  const stale = Number(q.get('stale') ?? STALE_AFTER_S);
  return {
    theme: (THEMES as readonly string[]).includes(theme) ? theme : 'dark',
    panels: new Set(wanted.length > 0 ? wanted : DEFAULT_PANELS),
    room: room !== undefined && ROOM.test(room) ? room : undefined,
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 50 ? limit : 6,
    accent: accent !== undefined && HEX.test(accent) ? `#${accent}` : undefined,
    titles: q.get('titles') !== '0',
    staleMs: (Number.isFinite(stale) && stale >= 0 && stale <= STALE_MAX_S ? stale : STALE_AFTER_S) * 1000,
    debug: q.has('debug') && q.get('debug') !== '0',
  };
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function platformBadge(platform: string): HTMLSpanElement {
  const badge = element('span', 'platform', platform);
  badge.dataset.p = platform;
  return badge;
}

interface VariableView {
  readonly row: HTMLLIElement;
  readonly fill: HTMLDivElement;
  readonly value: HTMLSpanElement;
  readonly lowEnd: HTMLSpanElement;
  readonly highEnd: HTMLSpanElement;
  lo: number;
  hi: number;
  timer: number | undefined;
}

/** One feed (commands or chat): newest last, at most `limit` entries. */
class Feed {
  readonly #list: HTMLOListElement;
  readonly #limit: number;
  readonly #items: { readonly li: HTMLLIElement; readonly entry: WireEntry }[] = [];

  constructor(list: HTMLOListElement, limit: number) {
    this.#list = list;
    this.#limit = limit;
  }

  add(li: HTMLLIElement, entry: WireEntry): void {
    this.#items.push({ li, entry });
    this.#list.append(li);
    while (this.#items.length > this.#limit) this.#items.shift()?.li.remove();
  }

  remove(message: WireDelete): void {
    for (let i = this.#items.length - 1; i >= 0; i--) {
      const item = this.#items[i];
      if (item && deletes(message, item.entry)) {
        item.li.remove();
        this.#items.splice(i, 1);
      }
    }
  }

  clear(): void {
    for (const item of this.#items) item.li.remove();
    this.#items.length = 0;
  }
}

class Overlay {
  readonly #variables = new Map<string, VariableView>();
  /** What the control nodes declare, by variable (from the latest snapshot). */
  readonly #declared = new Map<string, WireDeclaration>();
  readonly #varList: HTMLUListElement;
  readonly #commands: Feed;
  readonly #chat: Feed;
  readonly #beat: HTMLElement;
  #beatGone: ReturnType<typeof setTimeout> | undefined;

  constructor(settings: Settings) {
    const root = document.documentElement;
    root.dataset.theme = settings.theme;
    if (settings.accent) root.style.setProperty('--cf-accent', settings.accent);
    if (!settings.titles) root.style.setProperty('--cf-title-display', 'none');
    for (const section of document.querySelectorAll<HTMLElement>('[data-panel]')) {
      section.hidden = !settings.panels.has(section.dataset.panel as Panel);
    }
    this.#varList = document.getElementById('variables') as HTMLUListElement;
    this.#commands = new Feed(document.getElementById('commands') as HTMLOListElement, settings.limit);
    this.#chat = new Feed(document.getElementById('chat') as HTMLOListElement, settings.limit);
    this.#beat = document.getElementById('beat') as HTMLElement;
  }

  apply(message: WireMessage): void {
    switch (message.t) {
      case 's':
        this.#snapshot(message);
        return;
      case 'c':
        this.#control(message);
        if (message.o === 'command' || message.o in ORIGIN_LABEL) this.#commands.add(this.#controlEntry(message), message);
        return;
      case 'k':
        this.#commands.add(this.#commandEntry(message), message);
        return;
      case 'm':
        this.#chat.add(this.#chatEntry(message), message);
        return;
      case 'd':
        this.#commands.remove(message);
        this.#chat.remove(message);
        return;
      case 'x':
        this.#commands.clear();
        this.#chat.clear();
        return;
      case 'f':
        this.#forget(message.n);
        return;
      case 'b':
        this.#pulse(message);
        return;
    }
  }

  /**
   * A beat of the pipeline clock: the dot pulses (larger on a downbeat) and the tempo shows;
   * with no beat for three beats' time (the clock stopped or was lost) the dot is hidden.
   */
  #pulse(beat: WireBeat): void {
    const el = this.#beat;
    el.hidden = false;
    const downbeat = beat.r > 0 && beat.b % beat.r === 0;
    el.dataset.downbeat = downbeat ? '1' : '0';
    el.dataset.beat = String(beat.b);
    const label = el.querySelector('.bpm');
    if (label) label.textContent = `${beat.m} BPM`;
    const periodMs = beat.m > 0 ? 60_000 / beat.m : 500;
    if (!matchMedia('(prefers-reduced-motion: reduce)').matches) el.querySelector('.dot')?.animate(
      [{ transform: `scale(${downbeat ? 1.8 : 1.4})`, opacity: 1 }, { transform: 'scale(1)', opacity: 0.35 }],
      { duration: Math.min(250, periodMs * 0.8), easing: 'ease-out' },
    );
    if (this.#beatGone !== undefined) clearTimeout(this.#beatGone);
    this.#beatGone = setTimeout(() => {
      el.hidden = true;
    }, periodMs * 3);
  }

  #snapshot(s: WireSnapshot): void {
    this.#declared.clear();
    for (const d of s.d ?? []) this.#declared.set(d.n, d);
    const seen = new Set<string>();
    for (const [name, value, lo, hi] of s.v) {
      seen.add(name);
      this.#setVariable(name, value, [lo, hi], false);
    }
    for (const name of [...this.#variables.keys()]) if (!seen.has(name)) this.#forget(name);
    this.#commands.clear();
    this.#chat.clear();
    for (const entry of s.h) {
      if (entry.t === 'm') this.#chat.add(this.#chatEntry(entry), entry);
      else if (entry.t === 'k') this.#commands.add(this.#commandEntry(entry), entry);
      else this.#commands.add(this.#controlEntry(entry), entry);
    }
  }

  #control(c: WireControl): void {
    this.#setVariable(c.n, c.v, c.r, true);
  }

  #setVariable(name: string, value: number, sent: readonly [number, number] | undefined, highlight: boolean): void {
    const declared = this.#declared.get(name);
    // The declared range is what the value means; a range the server widened only otherwise.
    const range = declared?.r ?? sent;
    let view = this.#variables.get(name);
    if (!view) {
      const row = element('li', 'var');
      row.dataset.var = name;
      const fill = element('div', 'fill');
      const bar = element('div', 'bar');
      bar.append(fill);
      const valueEl = element('span', 'value');
      const lowEnd = element('span', 'low');
      const highEnd = element('span', 'high');
      const ends = element('div', 'ends');
      ends.append(lowEnd, highEnd);
      row.append(element('span', 'name', name), valueEl, bar, ends);
      view = { row, fill, value: valueEl, lowEnd, highEnd, lo: range?.[0] ?? 0, hi: range?.[1] ?? 1, timer: undefined };
      this.#variables.set(name, view);
      const after = [...this.#variables.keys()].filter((n) => n > name).sort()[0];
      const next = after === undefined ? null : (this.#variables.get(after)?.row ?? null);
      this.#varList.insertBefore(row, next);
    } else if (range) {
      view.lo = range[0];
      view.hi = range[1];
    }
    const span = view.hi - view.lo;
    const fraction = span > 0 ? Math.min(1, Math.max(0, (value - view.lo) / span)) : 0;
    view.fill.style.transform = `scaleX(${fraction})`;
    view.value.textContent = displayValue(value, declared);
    view.lowEnd.textContent = displayValue(view.lo, declared);
    view.highEnd.textContent = displayValue(view.hi, declared);
    view.row.dataset.value = String(value);
    view.row.dataset.input = declared?.k ?? 'unknown';
    if (highlight) {
      const v = view;
      v.row.classList.add('changed');
      if (v.timer !== undefined) clearTimeout(v.timer);
      v.timer = window.setTimeout(() => {
        v.row.classList.remove('changed');
        v.timer = undefined;
      }, HIGHLIGHT_MS);
    }
  }

  #forget(name: string): void {
    const view = this.#variables.get(name);
    if (!view) return;
    if (view.timer !== undefined) clearTimeout(view.timer);
    view.row.remove();
    this.#variables.delete(name);
  }

  #controlEntry(c: WireControl): HTMLLIElement {
    const li = element('li', 'command');
    const label = c.u ?? ORIGIN_LABEL[c.o] ?? c.o;
    li.append(element('span', 'user', label));
    if (c.p) li.append(platformBadge(c.p));
    li.append(element('span', 'what', `${c.n} → ${displayValue(c.v, this.#declared.get(c.n))}`));
    return li;
  }

  #commandEntry(k: WireCommand): HTMLLIElement {
    const li = element('li', 'command');
    li.append(element('span', 'user', k.u), platformBadge(k.p), element('span', 'what', `!${k.n}${k.a ? ` ${k.a}` : ''}`));
    return li;
  }

  #chatEntry(m: WireChat): HTMLLIElement {
    const li = element('li', m.a ? 'chat action' : 'chat');
    const user = element('span', 'user', m.u);
    if (m.c !== undefined && COLOR.test(m.c)) user.style.color = m.c;
    li.append(user, platformBadge(m.p), element('span', 'text', m.x));
    return li;
  }
}

/**
 * Keeps one WebSocket open, reconnecting with jittered exponential backoff. Without a server
 * for `staleMs` the page marks itself stale (`data-stale`): the values dim and grey, so
 * viewers never read an old value as live; the next snapshot brings it back.
 */
function connect(settings: Settings, overlay: Overlay): void {
  const root = document.documentElement;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}${WS_PATH}${settings.room ? `/${settings.room}` : ''}`;
  let attempt = 0;
  let reconnects = 0;
  let staleTimer: number | undefined;
  const goingStale = (): void => {
    if (staleTimer !== undefined || root.dataset.stale !== undefined) return;
    staleTimer = window.setTimeout(() => {
      staleTimer = undefined;
      root.dataset.stale = '1';
    }, settings.staleMs);
  };
  const fresh = (): void => {
    if (staleTimer !== undefined) clearTimeout(staleTimer);
    staleTimer = undefined;
    delete root.dataset.stale;
  };

  const open = (): void => {
    root.dataset.connection = reconnects === 0 ? 'connecting' : 'offline';
    const ws = new WebSocket(url);
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      const messages = (Array.isArray(frame) ? frame : [frame]) as WireMessage[];
      for (const message of messages) {
        if (typeof message !== 'object' || message === null) continue;
        if (message.t === 's') {
          if (message.pv !== WIRE_VERSION) {
            // The server was upgraded under this page: load the page that speaks its version.
            location.reload();
            return;
          }
          attempt = 0;
          fresh();
          root.dataset.connection = 'live';
          root.dataset.snapshots = String(Number(root.dataset.snapshots ?? 0) + 1);
        }
        overlay.apply(message);
      }
    };
    ws.onclose = (event: CloseEvent) => {
      root.dataset.connection = 'offline';
      goingStale();
      reconnects += 1;
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
      attempt += 1;
      const delay = (event.code === 1013 ? Math.max(base, BACKOFF_MAX_MS) : base) * (0.8 + Math.random() * 0.4);
      window.setTimeout(open, delay);
    };
  };
  open();
}

const settings = readSettings(location.search);
if (settings.debug) document.documentElement.dataset.debug = '1';
connect(settings, new Overlay(settings));
