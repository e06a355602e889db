/**
 * `overlay`: a WebSocket endpoint on the process's HTTP server that the overlay page (an OBS
 * browser source) connects to. It broadcasts what reaches the sink: control changes, chat and
 * commands (wire moderation's clean output in, and nothing removed is ever sent).
 */
import type { SchedulerLike } from 'rxjs';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { defineSink, type Sink } from '../core/component.js';
import { PipelineError } from '../core/errors.js';
import type { ChatflowEvent } from '../core/events.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { duration } from '../core/units.js';
import type { HttpHost } from '../core/http.js';
import { upstreamDeclarations } from './overlayDeclarations.js';
import { OverlayHub, type OverlayStats } from './overlayHub.js';
import type { WireDeclaration } from './overlayWire.js';

const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;
const ROOM = /^[A-Za-z0-9_-]{1,32}$/;
const VARIABLE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export const OverlayConfig = z
  .strictObject({
    path: z
      .string()
      .regex(PATH, 'Expected an absolute URL path such as /overlay/ws')
      .default('/overlay/ws')
      .describe('URL path of the WebSocket endpoint on the HTTP server (`server.listen`).'),
    room: z
      .string()
      .regex(ROOM, 'Expected 1–32 letters, digits, `_` or `-`')
      .optional()
      .describe(
        'Lets several overlays coexist: this sink serves `<path>/<room>`, and the page connects to it with `?room=<room>`.',
      ),
    history: z
      .number()
      .int()
      .min(0)
      .max(500)
      .default(20)
      .describe('Recent feed entries (chat, commands, accepted control changes) a newly connected page is sent.'),
    ping_interval: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('15s')
      .describe(
        'How often every client is pinged; one that has not answered the previous ping by the next is disconnected.',
      ),
    max_buffered_bytes: z
      .number()
      .int()
      .min(4096)
      .default(262_144)
      .describe(
        'Unsent bytes one client may hold. A client that falls behind further is sent nothing (counted as `slow_client` drops) until it has drained; then it gets a fresh snapshot.',
      ),
    stuck_timeout: duration()
      .refine((ms) => ms >= 100, 'At least 100ms')
      .prefault('10s')
      .describe(
        'How far behind a client may fall: one that has not read, this long after, what it was sent (it answers no ping sent after it) is disconnected with close code 1008 `too_slow` and counted as `slow_client_closed`.',
      ),
    max_clients: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Connections served at once; more are refused with close code 1013 (try again later) and counted.'),
    max_variables: z
      .number()
      .int()
      .positive()
      .max(1024)
      .default(64)
      .describe('Variables shown at once; beyond it the least recently changed one is removed from the page.'),
    compression: z
      .boolean()
      .default(false)
      .describe(
        'Offer permessage-deflate. Off by default: frames are then compressed once per client, which makes fan-out to many clients far slower.',
      ),
    ranges: z
      .record(
        z.string().regex(VARIABLE, 'Expected a variable name'),
        z
          .tuple([z.number(), z.number()])
          .refine(([lo, hi]) => lo < hi, 'The low end must be below the high end'),
      )
      .default({})
      .describe(
        "The range a variable's bar spans, by variable (`pitch: [-2, 3]`). Left out, a variable declared by a `control` node upstream spans its declared `range`; any other starts at [0, 1] and widens to fit its values.",
      ),
  })
  .describe('A WebSocket endpoint for the OBS overlay page.');
export type OverlayConfig = z.output<typeof OverlayConfig>;

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
}

/** The URL path a config serves: `path`, or `path/room`. */
export function overlayEndpoint(config: Pick<OverlayConfig, 'path' | 'room'>): string {
  return config.room === undefined ? config.path : `${config.path}/${config.room}`;
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

  constructor(id: string, config: OverlayConfig, deps: OverlayDeps) {
    this.endpoint = overlayEndpoint(config);
    this.#log = deps.logger ?? silentLogger();
    const declarations = deps.declarations ?? [];
    // A bar spans the variable's declared range unless the config names one for it.
    const ranges: Record<string, readonly [number, number]> = {};
    for (const d of declarations) ranges[d.n] = d.r;
    Object.assign(ranges, config.ranges);
    this.#hub = new OverlayHub(
      {
        history: config.history,
        pingIntervalMs: config.ping_interval,
        maxBufferedBytes: config.max_buffered_bytes,
        stuckTimeoutMs: config.stuck_timeout,
        maxClients: config.max_clients,
        maxVariables: config.max_variables,
        compress: config.compression,
        ranges,
        declarations: declarations.map((d) => {
          const r = ranges[d.n];
          return r ? { ...d, r } : d;
        }),
      },
      {
        drops: deps.drops ?? NO_DROPS,
        logger: this.#log,
        ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
      },
    );
    const hub = this.#hub;
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
    await this.#hub.close();
    const s = this.#hub.stats();
    this.#log.info(
      { endpoint: this.endpoint, accepted: s.accepted, refused: s.refused, reaped: s.reaped, stuck: s.stuck, resynced: s.resynced },
      'Overlay endpoint closed.',
    );
  }
}

export const overlayComponent = defineSink({
  type: 'overlay',
  summary: 'Broadcasts control changes, chat and commands to the OBS overlay page over a WebSocket.',
  description:
    'Serves a WebSocket on the HTTP server (`server.listen`, default `/overlay/ws`) for the page at `/overlay`, an OBS browser source. Each event is serialized once, whoever is connected. A new client first gets the current state (every variable), the last `history` entries, and how the `control` nodes upstream declare their variables (range, input kind, default), so the page shows a `note` variable as note names against its declared range. Clients are pinged and the dead ones cut; a slow client holds at most `max_buffered_bytes` in the process, gets nothing until it drains, then a fresh snapshot; one that has not read what it was sent within `stuck_timeout` (measured by pings, so what the kernel buffers counts too) is closed with 1008 `too_slow` and counted as `slow_client_closed`. Events skipped for a slow client are counted as `slow_client` drops; events the page has no use for (metrics, replies, allowed verdicts) as `not_shown`. Wire moderation\'s clean output in: the page shows exactly what the sink sends; moderation `delete`/`timeout`/`ban` verdicts and platform deletions that do reach it take the messages down. See docs/overlay.md.',
  config: OverlayConfig,
  driver: { batchTimeoutMs: 0, whenFull: 'latest_per_key', bufferMax: 1000, batchMax: 100 },
  examples: ['history: 20', 'room: stage\nhistory: 10', 'ranges: { pitch: [-2, 3] }\nmax_clients: 200\nping_interval: 10s'],
  create: (config, ctx) => {
    const http = ctx.resources.http;
    if (!http) {
      throw new PipelineError(
        'ERR_RESOURCE',
        'config',
        `Sink "${ctx.id}" needs the HTTP server, and this process has none.`,
        { node: ctx.id },
      );
    }
    return new OverlaySink(ctx.id, config, {
      http,
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      logger: ctx.logger,
      declarations: upstreamDeclarations(ctx.resources.pipeline?.graph, ctx.id),
    });
  },
});
