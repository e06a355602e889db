#!/usr/bin/env node
// Runs the TypeScript sources as one esbuild bundle built on first use (./cliBundle.js), so a
// fresh clone needs no build step; through tsx when the bundle cannot be built or written.
import { setFlagsFromString } from 'node:v8';

// Signals are caught before anything loads: a SIGTERM while chatflow starts must let it stop
// what it has started (embedded servers), not kill it halfway. The first asks the command to
// stop (io.shutdown); a second exits at once, without flushing. SIGHUP asks a running
// `chatflow run` to reload its pipeline file (io.onReloadSignal); before the run listens (while
// it starts) and for the other commands, it stops like SIGTERM (the terminal closed).
const shutdown = new AbortController();
const onSignal = (signal) => {
  if (!shutdown.signal.aborted) {
    shutdown.abort(signal);
    return;
  }
  process.stderr.write(`\nchatflow: second ${signal}; exiting without flushing.\n`);
  process.exit(130);
};
let reloadListener;
const onHangup = (signal) => {
  if (reloadListener && !shutdown.signal.aborted) reloadListener();
  else onSignal(signal);
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, onSignal);
// Windows has no SIGHUP (Node emulates it for a closed console window, which must stop).
if (process.platform !== 'win32') process.on('SIGHUP', onHangup);
else process.on('SIGHUP', onSignal);

// The main thread's old generation grows to about 1.3× what is live before a full collection
// (V8 lets it reach 2–3× under a steady chat load: 60 MiB live, 150 MiB held). Read by V8 each
// time it sets the next limit, so it applies although set after start.
setFlagsFromString('--heap-growing-percent=30');
// V8's helper threads are counted only at start: `npm start` passes --v8-pool-size=2 on node's
// command line (package.json), as a streamer can (docs/architecture.md, Memory).
// Stack traces name the TypeScript sources (the bundle's source map).
process.setSourceMapsEnabled(true);
let cli;
try {
  const { cliBundle } = await import('./cliBundle.js');
  cli = await cliBundle();
} catch (err) {
  // Said, because it costs start-up time and memory (README, Troubleshooting).
  process.stderr.write(`chatflow: running the sources through tsx: the bundle could not be built (${err?.message ?? err}).\n`);
  const { register } = await import('tsx/esm/api');
  register();
  cli = '../src/cli.ts';
}
// `chatflow schema | head`: the reader went away, which is not an error of chatflow's. Stop
// quietly, as other command-line tools do, instead of dying with an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const { main } = await import(cli);
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  shutdown: shutdown.signal,
  onReloadSignal: (listener) => {
    reloadListener = listener;
    return () => {
      if (reloadListener === listener) reloadListener = undefined;
    };
  },
});
// A command cut short by a signal may still have work in flight; it is not waited for.
if (shutdown.signal.aborted) process.exit();
