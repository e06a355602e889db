#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so a fresh clone needs no build step.

// Signals are caught before anything loads: a SIGTERM while chatflow starts must let it stop
// what it has started (embedded servers), not kill it halfway. SIGHUP (the terminal closed) is
// one too. The first asks the command to stop (io.shutdown); a second exits at once, without
// flushing.
const shutdown = new AbortController();
const onSignal = (signal) => {
  if (!shutdown.signal.aborted) {
    shutdown.abort(signal);
    return;
  }
  process.stderr.write(`\nchatflow: second ${signal}; exiting without flushing.\n`);
  process.exit(130);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  shutdown: shutdown.signal,
});
// A command cut short by a signal may still have work in flight; it is not waited for.
if (shutdown.signal.aborted) process.exit();
