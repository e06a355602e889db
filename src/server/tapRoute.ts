/**
 * `GET /api/tap` (WebSocket, docs/api.md): streams the events leaving the nodes a client names,
 * as JSON, through the runtime's taps (src/pipelines/tap.ts). Authenticated like every API
 * route (`?token=` works for a WebSocket). A slow client never slows the pipeline: the tap's own
 * queue is bounded, and so is what waits in this client's socket; what either cannot take is
 * dropped and reported to the client in a `dropped` message.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { ChatflowEvent } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { PipelineView } from '../core/pipelineView.js';
import { suggest } from '../core/suggest.js';
import { TapFeed, type TapDropReason, parseTapQuery } from './tapFeed.js';

export const TAP_PATH = '/api/tap';
/** Bytes a tap client may have waiting in its socket before events to it are dropped. */
export const TAP_MAX_BUFFERED_BYTES = 1024 * 1024;
/** How often a client whose drops grew is told. */
const DROPPED_REPORT_MS = 1000;

/** What the route needs of the runtime. */
export interface Tappable extends PipelineView {
  tap(
    node: string,
    port: string,
    listener: (event: ChatflowEvent) => void,
  ): { readonly dropped: number; close(): void };
}

/** The messages a tap client receives. */
export type TapMessage =
  | { readonly type: 'hello'; readonly targets: readonly { node: string; port: string }[] }
  | { readonly type: 'event'; readonly node: string; readonly port: string; readonly event: ChatflowEvent }
  | { readonly type: 'dropped'; readonly dropped: Readonly<Record<TapDropReason, number>> }
  | { readonly type: 'error'; readonly error: string; readonly message: string; readonly suggestion?: string };

/** Close code for a request the route refuses (policy violation), after an `error` message. */
export const TAP_REFUSED = 1008;

export function tapRoute(deps: { pipeline: Tappable; clock: () => number; logger: Logger }) {
  const log = deps.logger.child({ component: 'tap' });
  return (app: FastifyInstance): void => {
    app.get(TAP_PATH, { websocket: true }, (socket: WebSocket, request) => {
      const send = (message: TapMessage) => socket.send(JSON.stringify(message));
      const refuse = (message: TapMessage) => {
        send(message);
        socket.close(TAP_REFUSED, message.type === 'error' ? message.error : 'refused');
      };
      const graph = deps.pipeline.graph;
      const parsed = parseTapQuery(request.query as Record<string, unknown>, (id) => graph.nodes.has(id));
      if (!parsed.ok) return refuse({ type: 'error', error: 'bad_request', message: parsed.message });
      for (const { node, port } of parsed.value.targets) {
        const shape = graph.nodes.get(node);
        if (shape === undefined) {
          const suggestion = suggest(node, graph.nodes.keys());
          return refuse({
            type: 'error',
            error: 'unknown_node',
            message: `No node "${node}" in the running pipeline.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
            ...(suggestion ? { suggestion } : {}),
          });
        }
        if (port !== '' && !shape.ports.includes(port)) {
          const suggestion = suggest(port, shape.ports);
          return refuse({
            type: 'error',
            error: 'unknown_port',
            message: `Node "${node}" has no port "${port}"${shape.ports.length > 0 ? ` (its ports: ${shape.ports.join(', ')})` : ''}.`,
            ...(suggestion ? { suggestion: `${node}.${suggestion}` } : {}),
          });
        }
      }
      const feed = new TapFeed(parsed.value.feed, deps.clock);
      const taps = parsed.value.targets.map(({ node, port }) =>
        deps.pipeline.tap(node, port, (event) => {
          if (socket.readyState !== socket.OPEN) return;
          if (!feed.admit(event, socket.bufferedAmount > TAP_MAX_BUFFERED_BYTES)) return;
          send({ type: 'event', node, port, event });
        }),
      );
      log.debug({ targets: parsed.value.targets }, 'Tap client connected.');
      send({ type: 'hello', targets: parsed.value.targets });
      let reported = 0;
      const report = setInterval(() => {
        const dropped = { ...feed.dropped, tap_queue: taps.reduce((n, t) => n + t.dropped, 0) };
        const total = dropped.rate + dropped.slow_client + dropped.tap_queue;
        if (total === reported || socket.readyState !== socket.OPEN) return;
        reported = total;
        send({ type: 'dropped', dropped });
      }, DROPPED_REPORT_MS);
      report.unref();
      socket.on('close', () => {
        clearInterval(report);
        for (const tap of taps) tap.close();
        log.debug({ targets: parsed.value.targets }, 'Tap client left.');
      });
    });
  };
}
