/**
 * What a component may do with the process's HTTP server (`resources.http`): add routes and
 * claim a path. The server itself (fastify, the token check, listening) is `server/httpServer.ts`,
 * which implements {@link HttpHost}; core only declares the contract so it imports nothing above it.
 */
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without `server.token` (only the overlay page and the overlay WebSocket). */
    public?: boolean;
  }
}

/** A function that adds routes to the app (a fastify plugin without options). */
export type HttpRoutes = (app: FastifyInstance) => void | Promise<void>;

export interface RegisterOptions {
  /**
   * Offer permessage-deflate on the process's WebSocket server. Routes that don't want it
   * still send uncompressed frames (`send(…, { compress: false })`).
   */
  readonly wsCompression?: boolean;
}

/** The process's one HTTP server as components see it, not listening yet while they are created. */
export interface HttpHost {
  /**
   * Adds routes. Must be called before the server listens (sinks do it in their `create()`).
   * Routes that must work without `server.token` set `config: { public: true }`.
   */
  register(routes: HttpRoutes, options?: RegisterOptions): void;
  /**
   * Reserves a route path for one component, so two components get a clear error instead of
   * fastify's. Throws a config error when it is taken.
   */
  claimPath(path: string, node: string): void;
}
