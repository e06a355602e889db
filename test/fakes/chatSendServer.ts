/** What the fake send endpoints of YouTube and Kick share: a local HTTP server, JSON bodies, a chat rate window. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JsonRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly json: Record<string, unknown> | undefined;
}

export type JsonAnswer = { status: number; body?: unknown; headers?: Record<string, string> };

/** Starts a server on 127.0.0.1 that answers each request with `handle`'s JSON. */
export async function startJsonServer(handle: (req: JsonRequest) => JsonAnswer): Promise<{ server: Server; port: number }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      raw += c;
    });
    req.on('end', () => {
      let json: Record<string, unknown> | undefined;
      try {
        json = raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        json = undefined;
      }
      const answer = handle({ method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://127.0.0.1'), headers: req.headers, json });
      res.writeHead(answer.status, answer.body === undefined ? answer.headers : { 'Content-Type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Messages accepted in the last window, per channel: the rate a fake enforces. */
export class RateWindow {
  readonly #times = new Map<string, number[]>();

  constructor(
    public perWindow: number,
    readonly windowMs: number,
  ) {}

  /** Counts a message in `channel` at `now`, or returns false when the window is full. */
  admit(channel: string, now: number): boolean {
    const times = (this.#times.get(channel) ?? []).filter((t) => t + this.windowMs > now);
    this.#times.set(channel, times);
    if (times.length >= this.perWindow) return false;
    times.push(now);
    return true;
  }

  clear(): void {
    this.#times.clear();
  }
}

export function bearer(req: JsonRequest): string {
  const auth = String(req.headers.authorization ?? '');
  return auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
}
