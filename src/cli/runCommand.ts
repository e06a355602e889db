/**
 * `chatflow run`: load, start, show a live status line, stop cleanly on the first signal and
 * at once on the second.
 */
import { randomUUID } from 'node:crypto';
import { asyncScheduler } from 'rxjs';
import { dirname, resolve } from 'node:path';
import type { CommandIo } from './commandIo.js';
import { BEAT_CLOCK } from '../core/beatClock.js';
import { DUE_CHANGES, DueChanges } from '../core/dueChanges.js';
import { COMMAND_OUTCOMES, CommandOutcomes } from '../core/commandOutcomes.js';
import { CONTROL_BUS, ControlBus } from '../core/controlBus.js';
import { RELOAD_STATUS } from '../core/reloadStatus.js';
import { provide, Services } from '../core/services.js';
import { PipelineError, toError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { type PipelineRuntime, startPipeline } from '../pipelines/run.js';
import { openClock, type RunningClock } from '../resources/oscClock.js';
import { openStorage } from '../resources/storage.js';
import { openKickAuth } from '../resources/kick/openKickAuth.js';
import { openTwitchAuth } from '../resources/twitch/openTwitchAuth.js';
import { openYoutubeAuth } from '../resources/youtube/openYoutubeAuth.js';
import { openYoutubeQuota } from '../resources/youtube/quotaFile.js';
import { tapRoute } from '../server/tapRoute.js';
import { apiRoutes } from '../server/apiRoutes.js';
import { createHttpServer } from '../server/httpServer.js';
import { reloadRoutes } from '../server/reloadRoutes.js';
import { EXIT } from './exitCodes.js';
import { lossLine } from './lossLine.js';
import { watchFiles } from './fileWatcher.js';
import { loadForCli } from './loadForCli.js';
import { PipelineReloader } from './pipelineReloader.js';
import { renderStatusLine, renderSummary, totals } from './statusLine.js';
import { Terminal } from './terminal.js';
import { watchedFiles } from './watchedFiles.js';

/** How long the pipeline's files must be quiet before a change reloads (an editor saves in bursts). */
const RELOAD_DEBOUNCE_MS = 300;

/**
 * @param options.quiet No live status line.
 * @param options.strict Exit with {@link EXIT.lost} when the run lost events (without it, 0;
 *   the last line says what was lost either way).
 */
export async function runCommand(
  file: string,
  options: { quiet: boolean; strict?: boolean },
  io: CommandIo,
): Promise<number> {
  // The first SIGINT/SIGTERM (caught by bin/chatflow.js before anything loads) stops the run,
  // whenever it comes: a start-up in progress is cancelled and what it started is stopped.
  const shutdown = io.shutdown ?? new AbortController().signal;
  if (shutdown.aborted) return EXIT.ok;
  const graph = await loadForCli(file, io);
  if (!graph) return EXIT.config;
  if (shutdown.aborted) return EXIT.ok;
  const interactive = io.stderr.isTTY === true && !options.quiet;
  // In a terminal, one writer owns it: logs and console lines are printed above the status line.
  const terminal = interactive ? new Terminal(io) : undefined;
  const logger = createLogger({ pretty: interactive, ...(terminal ? { destination: terminal.stderr } : {}) });
  const stderr = terminal?.stderr ?? io.stderr;
  // One HTTP server per process: sinks add routes while the pipeline starts; it listens after.
  const http = createHttpServer(graph.settings.server, logger);
  // Redis/Postgres: a URL, or private servers under .chatflow/ (stopped after the pipeline).
  const storage = await openStorage(graph, { baseDir: dirname(resolve(file)), logger, signal: shutdown });
  if (shutdown.aborted) {
    await http.close();
    await storage.close();
    logger.info({ reason: String(shutdown.reason) }, 'Stopped during start-up.');
    logger.flush();
    return EXIT.ok;
  }
  // Twitch sign-in for the nodes that declare scopes: the tokens of `chatflow auth twitch`.
  const twitchAuth = await openTwitchAuth(graph, { baseDir: dirname(resolve(file)), env: io.env, logger, now: Date.now });
  // YouTube and Kick sign-in for sending chat: the tokens of `chatflow auth youtube` / `kick`.
  const youtubeAuth = await openYoutubeAuth(graph, { baseDir: dirname(resolve(file)), env: io.env, logger, now: Date.now });
  const kickAuth = await openKickAuth(graph, { baseDir: dirname(resolve(file)), env: io.env, logger, now: Date.now });
  // YouTube's quota, one count for reading and sending, kept across restarts of the same Pacific day.
  const youtubeQuota = await openYoutubeQuota({ baseDir: dirname(resolve(file)), logger });
  // The dashboard's control API reaches the control nodes through this (docs/api.md).
  const controlBus = new ControlBus();
  const instance = io.env.CHATFLOW_INSTANCE ?? randomUUID().slice(0, 8);
  // Read by sample_metrics (chatflow_config_valid); the reloader exists once the pipeline runs.
  let reloads: PipelineReloader | undefined;
  const reloadStatus = () => reloads?.state ?? { configValid: true, failures: 0 };
  let runtime: PipelineRuntime;
  // The pipeline clock (`clock:`): `on_beat` variables land on it, the overlay pulses with it.
  let clock: RunningClock | undefined;
  try {
    if (graph.settings.clock) clock = await openClock(graph.settings.clock, { scheduler: asyncScheduler, logger });
    runtime = await startPipeline(graph, {
      logger,
      wallClock: Date.now,
      resources: {
        baseDir: dirname(resolve(file)),
        instance,
        http,
        ...storage.resources,
        services: new Services([
          ...storage.provided,
          ...twitchAuth.provided,
          ...youtubeAuth.provided,
          ...kickAuth.provided,
          ...youtubeQuota.provided,
          provide(CONTROL_BUS, controlBus),
          // Redemption commands' outcomes, from the operators back to the `twitch_events` that settles them.
          provide(COMMAND_OUTCOMES, new CommandOutcomes()),
          provide(RELOAD_STATUS, reloadStatus),
          // With a clock, `on_beat` changes are announced early so the osc output stage lands them on its own clock.
          ...(clock ? [provide(BEAT_CLOCK, clock.clock), provide(DUE_CHANGES, new DueChanges())] : []),
        ]),
        ...(terminal ? { stdout: terminal.stdout } : {}),
      },
    });
  } catch (err) {
    // A component refused its config at start (two overlays on one room, a channel list that
    // is empty; the clock's port is taken): a config error, not a crash.
    await clock?.close();
    await http.close();
    await storage.close();
    twitchAuth.close();
    youtubeAuth.close();
    kickAuth.close();
    await youtubeQuota.close();
    const error = toError(err);
    stderr.write(`chatflow: ${error.message}\n`);
    logger.flush();
    if (error instanceof PipelineError && error.stage === 'config') return EXIT.config;
    throw error;
  }
  // Reloads: on a change of the pipeline file or a file it reads, SIGHUP, or POST /api/reload.
  const reloadLog = logger.child({ component: 'reload' });
  const requestReload = (trigger: 'file' | 'signal') => {
    reloader.request(trigger).catch((err: unknown) => reloadLog.error({ err: toError(err), trigger }, 'Reload failed.'));
  };
  const watcher = watchFiles(
    () => requestReload('file'),
    RELOAD_DEBOUNCE_MS,
    (err) => reloadLog.warn({ err }, 'Cannot watch the pipeline files; edits will not reload by themselves.'),
  );
  const reloader = new PipelineReloader({
    file,
    env: io.env,
    runtime,
    running: graph,
    logger,
    stderr,
    wallClock: Date.now,
    onApplied: (next) => watcher.setFiles(watchedFiles(file, next)),
  });
  reloads = reloader;
  // The runtime's API (/health, /api/graph, /api/control/…) comes with the server: a pipeline
  // with no HTTP node opens no port, so several can run side by side.
  if (http.needed) {
    http.register(
      apiRoutes({
        pipeline: runtime,
        instance,
        controlBus,
        ...(storage.resources.postgres ? { postgresUrl: storage.resources.postgres.url } : {}),
        wallClock: Date.now,
        logger,
      }),
    );
    http.register(tapRoute({ pipeline: runtime, clock: () => performance.now(), logger }));
    http.register(reloadRoutes(reloader));
  }
  const listenFailure = await http.listen().then(
    () => undefined,
    (err: unknown) => toError(err),
  );
  if (listenFailure) {
    watcher.close();
    await runtime.stop();
    await clock?.close();
    await http.close();
    await storage.close();
    twitchAuth.close();
    youtubeAuth.close();
    kickAuth.close();
    await youtubeQuota.close();
    stderr.write(`chatflow: ${listenFailure.message}\n`);
    logger.flush();
    return listenFailure instanceof PipelineError && listenFailure.stage === 'config' ? EXIT.config : EXIT.internal;
  }
  logger.info({ file, nodes: graph.nodes.size }, 'Pipeline started.');
  watcher.setFiles(watchedFiles(file, graph));
  const stopReloadSignal = io.onReloadSignal?.(() => requestReload('signal'));

  const startedAt = performance.now();
  let previous = totals(runtime.snapshot(), startedAt);
  const ticker = interactive
    ? setInterval(() => {
        const nodes = runtime.snapshot();
        const now = totals(nodes, performance.now());
        terminal?.status(renderStatusLine(nodes, now, previous, startedAt));
        previous = now;
      }, 1000)
    : undefined;

  // A signal that came while the pipeline started stops it at once, like one that comes later.
  const stopped = new Promise<string>((resolveStop) => {
    if (shutdown.aborted) resolveStop(String(shutdown.reason));
    shutdown.addEventListener('abort', () => resolveStop(String(shutdown.reason)), { once: true });
    void runtime.finished.then(() => resolveStop('sources ended'));
  });

  const reason = await stopped;
  watcher.close();
  stopReloadSignal?.();
  if (ticker) clearInterval(ticker);
  terminal?.clearStatus();
  logger.info({ reason }, 'Stopping: draining operators and flushing sinks.');
  const report = await runtime.stop();
  await clock?.close();
  await http.close();
  await storage.close();
  twitchAuth.close();
  youtubeAuth.close();
  kickAuth.close();
  await youtubeQuota.close();
  const nodes = runtime.snapshot();
  stderr.write(`${renderSummary(nodes)}\n`);
  logger.info(
    {
      reason,
      lost: report.lost.total,
      lostAtShutdown: report.lostAtShutdown,
      durationMs: Math.round(report.durationMs),
    },
    'Pipeline stopped.',
  );
  logger.flush();
  // The last line, after every log line: what was lost, by node and reason, or "Nothing lost."
  stderr.write(`${lossLine(report.lost)}\n`);
  return options.strict === true && report.lost.total > 0 ? EXIT.lost : EXIT.ok;
}
