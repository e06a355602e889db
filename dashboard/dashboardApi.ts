/**
 * The dashboard's side of the HTTP API: where the token is kept, JSON requests that carry it,
 * and the `/api/stream` WebSocket, reconnected with jittered backoff.
 */
import { DASHBOARD_STREAM_PATH, type DashboardMessage } from '../src/server/dashboardWire.js';

const STORAGE_KEY = 'chatflow.token';
/** Reconnect backoff: 500 ms doubling to 10 s, ±20 % jitter. */
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

/** The token from `?token=` (then removed from the address bar), this tab, or this device. */
export function storedToken(): string | undefined {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    saveToken(fromUrl, false);
    return fromUrl;
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? localStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the token for this tab, or (`remember`) on this device. */
export function saveToken(token: string, remember: boolean): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
    if (remember) localStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage disabled (private mode): the token lives as long as the page.
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}

/** A request that did not answer 2xx. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** JSON requests with `Authorization: Bearer <token>`. */
export class Api {
  constructor(readonly token: string) {}

  async get<T>(path: string): Promise<T> {
    return this.#request<T>('GET', path);
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    return this.#request<T>('POST', path, body);
  }

  /**
   * GET that also accepts a non-2xx answer with a JSON body (`/health` answers 503 with its
   * view when degraded).
   */
  async getAny<T>(path: string): Promise<T> {
    const response = await fetch(path, { headers: this.#headers(), cache: 'no-store' });
    if (response.status === 401) throw new ApiError(401, 'The token was not accepted.');
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(response.status, `${path} answered ${response.status}.`);
    }
  }

  /** POST that also accepts a non-2xx answer with a JSON body (`/api/reload` answers 422 with the issues). */
  async postAny<T>(path: string): Promise<T> {
    const response = await fetch(path, { method: 'POST', headers: this.#headers(), cache: 'no-store' });
    if (response.status === 401) throw new ApiError(401, 'The token was not accepted.');
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(response.status, `${path} answered ${response.status}.`);
    }
  }

  #headers(json = false): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== '') headers.authorization = `Bearer ${this.token}`;
    if (json) headers['content-type'] = 'application/json';
    return headers;
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: this.#headers(body !== undefined), cache: 'no-store' };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(path, init);
    if (!response.ok) {
      let message = `${method} ${path} answered ${response.status}.`;
      try {
        const data = (await response.json()) as { message?: unknown };
        if (typeof data.message === 'string') message = data.message;
      } catch {
        // not JSON
      }
      throw new ApiError(response.status, response.status === 401 ? 'The token was not accepted.' : message);
    }
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

export type StreamState = 'connecting' | 'live' | 'offline';

export interface StreamHandlers {
  message(message: DashboardMessage): void;
  state(state: StreamState, detail: { attempt: number; retryInMs?: number }): void;
  /** The socket closed without ever opening: the caller may check whether the token still works. */
  refused(): void;
}

/** Keeps `/api/stream` open until {@link close}, reconnecting with jittered exponential backoff. */
export class Stream {
  readonly #token: string;
  readonly #handlers: StreamHandlers;
  #ws: WebSocket | undefined;
  #timer: number | undefined;
  #attempt = 0;
  #closed = false;

  constructor(token: string, handlers: StreamHandlers) {
    this.#token = token;
    this.#handlers = handlers;
    this.#open();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#ws?.close();
  }

  /** Reconnects now (the "retry" link), skipping the wait. */
  retryNow(): void {
    if (this.#closed || this.#ws?.readyState === WebSocket.OPEN) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#open();
  }

  #open(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const query = this.#token === '' ? '' : `?token=${encodeURIComponent(this.#token)}`;
    this.#handlers.state(this.#attempt === 0 ? 'connecting' : 'offline', { attempt: this.#attempt });
    const ws = new WebSocket(`${scheme}://${location.host}${DASHBOARD_STREAM_PATH}${query}`);
    this.#ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      let message: DashboardMessage;
      try {
        message = JSON.parse(event.data) as DashboardMessage;
      } catch {
        return;
      }
      if (typeof message !== 'object' || message === null) return;
      if (message.type === 'hello') {
        this.#attempt = 0;
        this.#handlers.state('live', { attempt: 0 });
      }
      this.#handlers.message(message);
    };
    ws.onclose = () => {
      if (this.#ws !== ws || this.#closed) return;
      this.#ws = undefined;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.#attempt) * (0.8 + Math.random() * 0.4);
      this.#attempt += 1;
      this.#handlers.state('offline', { attempt: this.#attempt, retryInMs: delay });
      if (!opened) this.#handlers.refused();
      this.#timer = window.setTimeout(() => {
        this.#timer = undefined;
        this.#open();
      }, delay);
    };
  }
}
