/**
 * A watchdog for an embedded server: a small Node process that stops the server when chatflow
 * dies without stopping it (`kill -9`, a crash, a closed terminal). Nothing in a process runs
 * after SIGKILL, and neither redis-server nor PostgreSQL can watch its parent, so a separate
 * process must. It notices chatflow's death by the end of its stdin (a pipe whose only writer
 * is chatflow, closed by the OS on any exit, on Linux, macOS and Windows alike) and, as a second
 * check, by polling chatflow's pid. A clean stop disarms it first.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** How the watchdog stops the server. */
export type WatchdogStop =
  /** Send `signal` to the server's process (redis-server). */
  | { readonly pid: number; readonly signal: NodeJS.Signals }
  /**
   * Run `command` (e.g. `pg_ctl stop`), again while `pidFile` exists (the server may still be
   * coming up when chatflow died), for at most `forMs`.
   */
  | { readonly command: readonly string[]; readonly pidFile: string; readonly forMs: number };

export interface Watchdog {
  /** Called before a clean stop: the watchdog exits without touching the server. */
  disarm(): void;
}

// Plain JavaScript run with `node -e`: no loader, no imports from the project, quick to start.
const SCRIPT = `
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const spec = JSON.parse(process.argv[1]);
let fired = false;
const fire = () => {
  if (fired) return;
  fired = true;
  if (spec.pid !== undefined) {
    try { process.kill(spec.pid, spec.signal); } catch {}
    process.exit(0);
  }
  const until = Date.now() + spec.forMs;
  let seen = false;
  const attempt = () => {
    const exists = existsSync(spec.pidFile);
    seen = seen || exists;
    if (exists) spawnSync(spec.command[0], spec.command.slice(1), { stdio: 'ignore' });
    if ((seen && !existsSync(spec.pidFile)) || Date.now() > until) process.exit(0);
    setTimeout(attempt, 250);
  };
  attempt();
};
// A Ctrl-C in a shared console (Windows) is chatflow's to handle; it stops the server itself.
process.on('SIGINT', () => {});
process.stdin.on('data', (chunk) => { if (String(chunk).includes('disarm')) process.exit(0); });
process.stdin.on('end', fire);
process.stdin.on('error', fire);
process.stdin.resume();
setInterval(() => {
  try { process.kill(spec.parent, 0); } catch (err) { if (err.code === 'ESRCH') fire(); }
}, 1000);
`;

/** Starts a watchdog for the server that `stop` stops; it lives until disarmed or it fires. */
export function startWatchdog(stop: WatchdogStop): Watchdog {
  const spec = JSON.stringify({ ...stop, parent: process.pid });
  let child: ChildProcess | undefined = spawn(process.execPath, ['-e', SCRIPT, spec], {
    stdio: ['pipe', 'ignore', 'ignore'],
    // Its own process group on POSIX: a Ctrl-C meant for chatflow must not end the watchdog,
    // which would then not be there if chatflow is killed while it shuts down.
    detached: process.platform !== 'win32',
    windowsHide: true,
    // Without NODE_OPTIONS: a loader meant for chatflow (tsx) would only slow the watchdog down.
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  child.once('error', () => {
    child = undefined;
  });
  child.stdin?.on('error', () => {});
  // The watchdog must not keep chatflow's event loop alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    disarm: () => {
      child?.stdin?.end('disarm\n');
      child = undefined;
    },
  };
}
