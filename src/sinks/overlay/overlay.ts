/**
 * `overlay`: a WebSocket endpoint on the process's HTTP server that the overlay page (an OBS
 * browser source) connects to. It broadcasts what reaches the sink: control changes, chat and
 * commands (wire moderation's clean output in, and nothing removed is ever sent).
 */
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import type { Beat } from '../../core/beatClock.js';
import type { WebSocket } from 'ws';
import type { Sink } from '../../core/component.js';
import type { ChatflowEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import type { HttpHost } from '../../core/http.js';
import { upstreamDeclarations } from './declarations.js';
import { OverlayHub, type OverlayStats } from './hub.js';
import type { WireDeclaration } from './wire.js';
import type { OverlayConfig } from './config.js';



/** Collaborators of {@link OverlaySink}. */
export interface OverlayDeps {
  /** The process's HTTP server, not listening yet. */
  readonly http: HttpHost;
  /** Ping and drain-check timers and the clock of `stuck_timeout`. */
  readonly scheduler?: SchedulerLike;
  /** The node's metrics: `slow_client`, `not_shown`, `invalid_value` drops; `slow_client_closed`. */
  readonly drops?: DropCounter & { count?(name: string, n?: number): void };
  readonly logger?: Logger;
  /** The variables the `control` nodes upstream declare (see {@link upstreamDeclarations}). */
  readonly declarations?: readonly WireDeclaration[];
  /** The pipeline clock's beats (`BEAT_CLOCK`), sent to the page as `b` messages while the sink runs. */
  readonly beats?: Observable<Beat>;
}

/** The URL path a config serves: `path`, or `path/room`. */
export function overlayEndpoint(config: Pick<OverlayConfig, 'path' | 'room'>): string {
  return config.room === undefined ? config.path : `${config.path}/${config.room}`;
}

/**
 * The hub of an overlay node: its state, its wire messages and its clients (none yet).
 * A bar spans the variable's declared range unless the config names one for it.
 */
export function overlayHub(config: OverlayConfig, deps: Omit<OverlayDeps, 'http'>): OverlayHub {
  const declarations = deps.declarations ?? [];
  const ranges: Record<string, readonly [number, number]> = {};
  for (const d of declarations) ranges[d.n] = d.r;
  Object.assign(ranges, config.ranges);
  return new OverlayHub(
    {
      history: config.history,
      pingIntervalMs: config.ping_interval,
      maxBufferedBytes: config.max_buffered_bytes,
      stuckTimeoutMs: config.stuck_timeout,
      maxClients: config.max_clients,
      maxVariables: config.max_variables,
      compress: config.compression,
      frameIntervalMs: config.frame_interval,
      ranges,
      declarations: declarations.map((d) => {
        const r = ranges[d.n];
        return r ? { ...d, r } : d;
      }),
    },
    {
      drops: deps.drops ?? NO_DROPS,
      logger: deps.logger ?? silentLogger(),
      ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
    },
  );
}

/**
 * Serves the overlay's WebSocket and broadcasts every write to its clients, each event
 * serialized once: see {@link OverlayHub} for the snapshot a new client gets, pings, and how a
 * slow client is bounded, resynced or dropped. The route is added to the HTTP server when the
 * sink is made, before the server listens; it is public (no `server.token`), as OBS cannot
 * send one. `write` is synchronous and never throws.
 *
 * @see dashboard/overlay.ts, the page; docs/overlay.md.
 */
export class OverlaySink implements Sink<ChatflowEvent> {
  /** The URL path clients connect to. */
  readonly endpoint: string;
  readonly #hub: OverlayHub;
  readonly #log: Logger;
  readonly #beats: Subscription | undefined;

  constructor(id: string, config: OverlayConfig, deps: OverlayDeps) {
    this.endpoint = overlayEndpoint(config);
    this.#log = deps.logger ?? silentLogger();
    this.#hub = overlayHub(config, { ...deps, logger: this.#log });
    const hub = this.#hub;
    this.#beats = deps.beats?.subscribe((beat) => hub.pulse(beat));
    deps.http.claimPath(this.endpoint, id);
    deps.http.register(
      (app) => {
        app.get(this.endpoint, { websocket: true, config: { public: true } }, (socket: WebSocket) => hub.accept(socket));
      },
      { wsCompression: config.compression },
    );
  }

  /** Connection counters and the current number of clients. */
  stats(): OverlayStats {
    return this.#hub.stats();
  }

  write(batch: readonly ChatflowEvent[]): void {
    this.#hub.publish(batch);
  }

  /** Closes every client (1001, going away) and logs what the endpoint served. */
  async stop(): Promise<void> {
    this.#beats?.unsubscribe();
    await this.#hub.close();
    const s = this.#hub.stats();
    this.#log.info(
      { endpoint: this.endpoint, accepted: s.accepted, refused: s.refused, reaped: s.reaped, stuck: s.stuck, resynced: s.resynced },
      'Overlay endpoint closed.',
    );
  }
}
