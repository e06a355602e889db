/**
 * The one HTTP server of a chatflow process (DESIGN.md §2): a fastify app that serves the
 * overlay page now and the dashboard, `/api`, `/metrics` and `/health` later. Components add
 * their routes while the pipeline is built (sinks in `create()`); the CLI then calls
 * {@link HttpServer.listen} once, after the pipeline has started, and {@link HttpServer.close}
 * after it has stopped.
 */
import type { AddressInfo } from 'node:net';
import fastifyWebsocket from '@fastify/websocket';
import { fastify, type FastifyInstance, LogController } from 'fastify';
import { PipelineError } from '../core/errors.js';
import type { HttpHost, HttpRoutes, RegisterOptions } from '../core/http.js';
import type { Logger } from '../core/logger.js';
import { dashboardPageRoutes } from './dashboardPage.js';
import { DASHBOARD_PAGE_PATH } from './dashboardWire.js';
import { overlayPageRoutes } from './overlayPage.js';
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rateLimit.js';
import { requestAuthorized } from './token.js';

/** `server` of pipeline.yaml, resolved. */
export interface HttpServerSettings {
  /** `host:port`; port 0 picks a free port (tests). */
  readonly listen: string;
  /** When not empty, every non-public route requires it. */
  readonly token: string;
}

/** Where the server listens, once it does. */
export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

export interface HttpServerOptions {
  /**
   * Listen even when no component registered routes. By default a process whose pipeline
   * needs no HTTP (no overlay sink yet) opens no port, so several pipelines can run side by
   * side without a `server.listen` each.
   */
  readonly always?: boolean;
  /**
   * The token bucket per client address on every non-public route (`/api`, `/metrics`,
   * `/health`); `false` turns it off. Default 20 requests/s, bursts of 40 (docs/api.md).
   */
  readonly rateLimit?: RateLimitOptions | false;
}

/** Largest frame a WebSocket client may send; overlay clients send nothing but pongs. */
const WS_MAX_PAYLOAD = 4096;
/** Pending connections the kernel queues: an OBS scene of many overlays reconnects at once. */
const LISTEN_BACKLOG = 2048;
const DEFAULT_LISTEN = { host: '127.0.0.1', port: 8080 };

type State = 'new' | 'listening' | 'closed';

/**
 * The process's HTTP server. Routes are collected by {@link HttpServer.register} and mounted
 * at {@link HttpServer.listen}, after `@fastify/websocket` (whose options depend on what the
 * routes asked for) and the token check. Create with {@link createHttpServer}.
 */
export class HttpServer implements HttpHost {
  readonly #settings: HttpServerSettings;
  readonly #log: Logger;
  readonly #options: HttpServerOptions;
  readonly #routes: HttpRoutes[] = [];
  readonly #paths = new Set<string>();
  #wsCompression = false;
  #app: FastifyInstance | undefined;
  #address: BoundAddress | undefined;
  #state: State = 'new';
  #closing: Promise<void> | undefined;

  constructor(settings: HttpServerSettings, logger: Logger, options: HttpServerOptions = {}) {
    this.#settings = settings;
    this.#log = logger.child({ component: 'server' });
    this.#options = options;
  }

  /** The `server.listen` setting as given. */
  get listenSetting(): string {
    return this.#settings.listen;
  }

  /** Where the server listens; `undefined` before {@link listen} or when it did not need to. */
  get address(): BoundAddress | undefined {
    return this.#address;
  }

  /** Whether a component registered routes (so {@link listen} opens the port). */
  get needed(): boolean {
    return this.#routes.length > 0 || this.#options.always === true;
  }

  /**
   * Adds routes. Must be called before {@link listen} (sinks do it in their `create()`).
   * Routes that must work without `server.token` set `config: { public: true }`.
   */
  register(routes: HttpRoutes, options: RegisterOptions = {}): void {
    if (this.#state !== 'new') {
      throw new PipelineError('ERR_RESOURCE', 'config', 'Routes must be added before the HTTP server listens.');
    }
    if (options.wsCompression) this.#wsCompression = true;
    this.#routes.push(routes);
  }

  /**
   * Reserves a route path for one component, so two components (two overlay sinks in the same
   * room) get a clear error instead of fastify's. Throws a config error when it is taken.
   */
  claimPath(path: string, node: string): void {
    if (this.#paths.has(path)) {
      throw new PipelineError(
        'ERR_CONFIG_INVALID',
        'config',
        `Sink "${node}": the path ${path} is already served by another node; give one of them another \`room\` or \`path\`.`,
        { node },
      );
    }
    this.#paths.add(path);
  }

  /**
   * An absolute URL of `path` on this server (`http://127.0.0.1:8080/overlay`), with a
   * wildcard host shown as 127.0.0.1; `undefined` while not listening.
   */
  url(path: string): string | undefined {
    const address = this.#address;
    if (!address) return undefined;
    const host = address.host === '0.0.0.0' || address.host === '::' ? '127.0.0.1' : address.host;
    const shown = host.includes(':') ? `[${host}]` : host;
    return `http://${shown}:${address.port}${path}`;
  }

  /**
   * Mounts the routes and listens on `server.listen`. Resolves with the bound address, or
   * with `undefined` (opening no port) when no component needs the server. Throws a
   * {@link PipelineError} (`ERR_RESOURCE`, stage `config`) naming `server.listen` when the
   * address is taken or not usable. Call once.
   */
  async listen(): Promise<BoundAddress | undefined> {
    if (this.#state !== 'new') throw new PipelineError('ERR_RESOURCE', 'config', 'The HTTP server was already started.');
    this.#state = 'listening';
    if (!this.needed) {
      this.#log.debug({}, 'No component needs the HTTP server; not listening.');
      return undefined;
    }
    const { host, port } = parseListen(this.#settings.listen);
    const app = await this.#build();
    this.#app = app;
    try {
      await app.listen({ host, port, backlog: LISTEN_BACKLOG });
    } catch (err) {
      this.#app = undefined;
      await app.close().catch(() => undefined);
      throw listenError(this.#settings.listen, host, port, err);
    }
    const info = app.server.address() as AddressInfo | null;
    this.#address = { host, port: info?.port ?? port };
    this.#log.info(
      { listen: `${host}:${this.#address.port}`, overlay: this.url('/overlay'), dashboard: this.url(DASHBOARD_PAGE_PATH) },
      'HTTP server listening; overlay page ready.',
    );
    return this.#address;
  }

  /** Closes every connection (WebSocket clients are cut) and the port. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = 'closed';
    const app = this.#app;
    this.#app = undefined;
    this.#address = undefined;
    if (!app) return;
    await app.close();
    this.#log.info({}, 'HTTP server closed.');
  }

  async #build(): Promise<FastifyInstance> {
    const app = fastify({
      // fastify's own lines ("Server listening at …", per request) stay below info; ours say it once.
      loggerInstance: this.#log.child({}, { level: maxLevel(this.#log.level, 'warn') }),
      logController: new LogController({ disableRequestLogging: true }),
      forceCloseConnections: true,
      return503OnClosing: true,
      bodyLimit: 64 * 1024,
    }) as unknown as FastifyInstance;
    const log = this.#log;
    // Loaded now, so its onRequest hook (which marks upgrade requests, and destroys their
    // socket after an HTTP reply) runs before the token check below.
    await app.register(fastifyWebsocket, {
      options: {
        maxPayload: WS_MAX_PAYLOAD,
        perMessageDeflate: this.#wsCompression ? { threshold: 256, serverNoContextTakeover: true } : false,
      },
      errorHandler: (error, socket) => {
        // A client vanishing mid-frame is routine; the route's own close handler counts it.
        log.debug({ err: error }, 'WebSocket client error.');
        socket.terminate();
      },
      preClose: function preClose(this: FastifyInstance, done: () => void) {
        // Cut WebSocket clients at once: a stalled client would hold a graceful close (and
        // the port) for ws's 30 s close timeout. Components close theirs politely before.
        for (const client of this.websocketServer.clients) client.terminate();
        done();
      },
    });
    const limits = this.#options.rateLimit;
    const limiter = limits === false ? undefined : new RateLimiter(limits ?? DEFAULT_RATE_LIMIT);
    if (limiter) {
      // Before the token check, so guessing tokens is rate-limited too.
      app.addHook('onRequest', async (request, reply) => {
        if (request.routeOptions.config.public === true) return;
        const waitMs = limiter.take(request.ip, performance.now());
        if (waitMs === 0) return;
        await reply
          .code(429)
          .header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))))
          .send({ error: 'rate_limited', message: 'Too many requests; slow down and retry after Retry-After seconds.' });
      });
    }
    const token = this.#settings.token;
    app.addHook('onRequest', async (request, reply) => {
      if (token === '' || request.routeOptions.config.public === true) return;
      if (requestAuthorized(token, request)) return;
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="chatflow"')
        .send({ error: 'unauthorized', message: 'This route needs server.token.' });
    });
    void app.register(overlayPageRoutes(log));
    void app.register(dashboardPageRoutes(log));
    // The address the log prints, opened as it is, lands on the dashboard instead of a 404.
    app.get('/', { config: { public: true } }, async (_request, reply) => reply.redirect(DASHBOARD_PAGE_PATH));
    for (const routes of this.#routes) {
      void app.register(async (instance) => {
        await routes(instance);
      });
    }
    return app;
  }
}

/** Creates the process's HTTP server from `server` of pipeline.yaml (not listening yet). */
export function createHttpServer(
  settings: HttpServerSettings,
  logger: Logger,
  options: HttpServerOptions = {},
): HttpServer {
  return new HttpServer(settings, logger, options);
}

/** The more severe of two pino levels, so a child never logs more than its parent. */
function maxLevel(a: string, b: string): string {
  const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  return order.indexOf(a) > order.indexOf(b) ? a : b;
}

/** Splits `host:port`; an empty string gives the default `127.0.0.1:8080`. */
export function parseListen(listen: string): BoundAddress {
  if (listen === '') return DEFAULT_LISTEN;
  const colon = listen.lastIndexOf(':');
  const host = colon > 0 ? listen.slice(0, colon) : '';
  const port = Number(listen.slice(colon + 1));
  if (host === '' || !Number.isInteger(port) || port < 0 || port > 65535 || colon === listen.length - 1) {
    throw new PipelineError(
      'ERR_CONFIG_INVALID',
      'config',
      `server.listen "${listen}" is not host:port with a port from 0 to 65535, such as 127.0.0.1:8080.`,
    );
  }
  return { host, port };
}

/** A listen failure as an error that names `server.listen` and what to do. */
function listenError(listen: string, host: string, port: number, err: unknown): PipelineError {
  const code = (err as { code?: unknown } | undefined)?.code;
  let message: string;
  switch (code) {
    case 'EADDRINUSE':
      message = `server.listen ${listen}: the address is already in use. Another program (perhaps another chatflow) listens on port ${port}; stop it, or set server.listen in pipeline.yaml to a free port, such as ${host}:${port === 65535 ? 8081 : port + 1}.`;
      break;
    case 'EACCES':
      message = `server.listen ${listen}: permission denied; ports below 1024 need privileges. Set server.listen to a port above 1024, such as ${host}:8080.`;
      break;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      message = `server.listen ${listen}: ${host} is not an address of this machine. Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).`;
      break;
    default:
      message = `server.listen ${listen}: the HTTP server could not listen (${typeof code === 'string' ? code : String(err)}).`;
  }
  return new PipelineError('ERR_RESOURCE', 'config', message, { cause: err });
}
