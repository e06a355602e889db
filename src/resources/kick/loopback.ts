/**
 * The loopback redirect of `chatflow auth kick`: a one-shot HTTP server on the port of the
 * registered redirect URI that waits for the browser to come back with `?code=&state=`. Kick
 * matches the redirect URI exactly and rewrites `127.0.0.1` to `localhost` (kick-send.md §1),
 * so the URI says `localhost`, and the server listens on both loopback addresses (a browser may
 * resolve `localhost` to either); it never listens beyond the machine.
 */
import { createServer, type Server } from 'node:http';

export type RedirectResult =
  | { readonly ok: true; readonly code: string }
  /** `denied`: the user refused (Kick's `error=access_denied`), `error`: another `error=`, `aborted`: the caller stopped. */
  | { readonly ok: false; readonly reason: 'denied' | 'error' | 'aborted'; readonly error?: string };

export interface LoopbackOptions {
  readonly redirectUri: string;
  /** The `state` sent; a redirect with another one is refused and waiting goes on. */
  readonly state: string;
  readonly signal?: AbortSignal;
}

export interface Loopback {
  /** Resolves once a redirect with the right state (or an `error`) arrives, or on abort. */
  readonly result: Promise<RedirectResult>;
  /** The redirects refused for a wrong or missing state. */
  refused(): number;
  close(): Promise<void>;
}

const PAGE = (text: string) =>
  `<!doctype html><meta charset="utf-8"><title>chatflow</title><p style="font:16px sans-serif">${text}</p>`;

/** Where the redirect URI points: a loopback host, a port, a path; a message otherwise. */
export function loopbackTarget(redirectUri: string): { port: number; path: string } | string {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return `"${redirectUri}" is not a URL`;
  }
  if (url.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || url.port === '') {
    return `The redirect URI must be http://localhost:<port>/<path> (a loopback address with a port), not "${redirectUri}"`;
  }
  return { port: Number(url.port), path: url.pathname };
}

/** Starts listening; rejects when the port is taken on every loopback address. */
export async function listenForRedirect(options: LoopbackOptions): Promise<Loopback> {
  const target = loopbackTarget(options.redirectUri);
  if (typeof target === 'string') throw new Error(target);
  let refused = 0;
  let settle: (r: RedirectResult) => void = () => {};
  const result = new Promise<RedirectResult>((resolve) => {
    settle = resolve;
  });
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== target.path) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    if (url.searchParams.get('state') !== options.state) {
      refused += 1;
      res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE('This sign-in link is stale (its state does not match). Start again from the terminal.'));
      return;
    }
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    if (error !== null || code === null || code === '') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE('Sign-in was not completed. You may close this tab.'));
      settle({ ok: false, reason: error === 'access_denied' ? 'denied' : 'error', error: error ?? 'no code' });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE('chatflow is signed in to Kick. You may close this tab.'));
    settle({ ok: true, code });
  };
  const servers: Server[] = [];
  const failures: unknown[] = [];
  for (const host of ['127.0.0.1', '::1']) {
    const server = createServer(handler);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(target.port, host, () => resolve());
      });
      servers.push(server);
    } catch (err) {
      failures.push(err); // no IPv6 on this machine, or the port is taken there
    }
  }
  if (servers.length === 0) {
    throw new Error(`cannot listen on port ${target.port} for the redirect (${String((failures[0] as Error)?.message ?? failures[0])}); free it or change resources.kick.redirect_uri (and the app's redirect URL).`);
  }
  const onAbort = () => settle({ ok: false, reason: 'aborted' });
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  return {
    result,
    refused: () => refused,
    close: async () => {
      options.signal?.removeEventListener('abort', onAbort);
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
