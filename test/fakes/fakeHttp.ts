/** Small helpers the fake OAuth servers share: one local HTTP server, bodies, forms, JSON answers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequestLog {
  readonly method: string;
  readonly path: string;
  /** Form or query parameters (values included: tests assert on them, nothing logs them). */
  readonly params: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
}

export type Handler = (req: IncomingMessage, url: URL, params: Record<string, string>, res: ServerResponse) => unknown;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Query parameters, then a form body's (a form wins). */
export async function paramsOf(req: IncomingMessage, url: URL): Promise<Record<string, string>> {
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  const body = await readBody(req);
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
  }
  return params;
}

/** Answers JSON; returns true so a handler may `return json(…)`. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  return true;
}

export function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

/** Starts `handler` on a random port of 127.0.0.1; records every request in `log`. */
export async function serve(handler: Handler, log: FakeRequestLog[]): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    void paramsOf(req, url)
      .then(async (params) => {
        log.push({ method: req.method ?? 'GET', path: url.pathname, params, authorization: req.headers.authorization });
        await handler(req, url, params, res);
      })
      .catch((err: unknown) => {
        if (!res.headersSent) json(res, 500, { error: String(err) });
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** The fakes' clock (epoch ms): token lifetimes are real time, as on the platforms. */
export const fakeOAuthNow = (): number => Date.now();
