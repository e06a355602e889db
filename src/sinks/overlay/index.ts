/** The `overlay` sink's registry record: the OBS overlay's WebSocket endpoint (the sink is in overlay.ts). */
import { BEAT_CLOCK } from '../../core/beatClock.js';
import { defineSink } from '../../core/component.js';
import { PipelineError } from '../../core/errors.js';
import { upstreamDeclarations } from './declarations.js';
import { OverlayConfig } from './config.js';
import { OverlaySink, overlayHub } from './overlay.js';

export const overlayComponent = defineSink({
  type: 'overlay',
  summary: 'Broadcasts control changes, chat and commands to the OBS overlay page over a WebSocket.',
  description:
    'Serves a WebSocket on the HTTP server (`server.listen`, default `/overlay/ws`) for the page at `/overlay`, an OBS browser source. Each event is serialized once, whoever is connected. A new client first gets the current state (every variable), the last `history` entries, and how the `control` nodes upstream declare their variables (range, input kind, default), so the page shows a `note` variable as note names against its declared range. Clients are pinged and the dead ones cut; a slow client holds at most `max_buffered_bytes` in the process, gets nothing until it drains, then a fresh snapshot; one that has not read what it was sent within `stuck_timeout` (measured by pings, so what the kernel buffers counts too) is closed with 1008 `too_slow` and counted as `slow_client_closed`. Events skipped for a slow client are counted as `slow_client` drops; events the page has no use for (metrics, replies, allowed verdicts) as `not_shown`. Wire moderation\'s clean output in: the page shows exactly what the sink sends; moderation `delete`/`timeout`/`ban` verdicts and platform deletions that do reach it take the messages down. With a pipeline `clock:`, every beat is sent too (the page pulses). See docs/overlay.md.',
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
    const beats = ctx.resources.services?.get(BEAT_CLOCK);
    return new OverlaySink(ctx.id, config, {
      http,
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      logger: ctx.logger,
      declarations: upstreamDeclarations(ctx.resources.pipeline?.graph, ctx.id),
      ...(beats ? { beats: beats.beats$ } : {}),
    });
  },
  // The hub's own wire messages, one output per message of a frame, with no client attached.
  // The clock's beats are not among them: a preview shows what events make the sink send.
  preview: (config, ctx, emit) => {
    const hub = overlayHub(config, {
      scheduler: ctx.scheduler,
      drops: ctx.metrics,
      logger: ctx.logger,
      declarations: upstreamDeclarations(ctx.resources.pipeline?.graph, ctx.id),
    });
    return {
      write: (batch) => {
        for (const json of hub.publish(batch)) emit(JSON.parse(json) as Record<string, unknown>);
      },
    };
  },
});

export { OverlayConfig } from './config.js';
export { type OverlayDeps, OverlaySink, overlayEndpoint } from './overlay.js';
