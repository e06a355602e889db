/**
 * Private servers for `resources.*.url: embedded` (DESIGN.md §7): a `redis-server` and a
 * PostgreSQL (the system's, or the npm-shipped one: npmPostgres.ts) started on free random
 * ports under a directory (`.chatflow/` in a run, a temp directory in tests), stopped with the
 * pipeline and, as a last resort, when the process exits.
 * A data directory left by an earlier run is reused, so history persists across runs.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { PipelineError } from '../core/errors.js';
import { type BinaryFinder, findPostgresTools } from './npmPostgres.js';
import { removeServerRecord, stopLeftoverRedis, writeServerRecord } from './leftovers.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

/** A running private server. */
export interface EmbeddedServer {
  /** `redis://127.0.0.1:port` or `postgres://postgres@127.0.0.1:port/postgres`. */
  readonly url: string;
  readonly port: number;
  /** The directory the server keeps its data (and, for Postgres, its socket and log) in. */
  readonly dir: string;
  /** Stops the server (fast shutdown); idempotent. The data directory stays. */
  stop(): Promise<void>;
}

/** Where Debian's postgresql-NN packages put initdb and pg_ctl (not on PATH). */
const DEBIAN_PG_BINS = ['17', '16', '15'].map((v) => `/usr/lib/postgresql/${v}/bin`);

/**
 * Finds an executable on PATH (or the absolute path given), then, for PostgreSQL's tools, in
 * Debian's `/usr/lib/postgresql/NN/bin`; `undefined` when there is none.
 */
export function findBinary(name: string, path = process.env.PATH ?? ''): string | undefined {
  const dirs = path.split(delimiter).filter(Boolean);
  if (name === 'initdb' || name === 'pg_ctl') dirs.push(...DEBIAN_PG_BINS);
  // Windows executables are found by their .exe name.
  const names = process.platform === 'win32' && !name.endsWith('.exe') ? [`${name}.exe`, name] : [name];
  const candidates = name.includes('/') ? [name] : dirs.flatMap((d) => names.map((n) => join(d, n)));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether the binaries a kind of embedded server needs are installed (for Postgres, possibly from npm). */
export function embeddedAvailable(kind: 'redis' | 'postgres'): boolean {
  if (kind === 'redis') return findBinary('redis-server') !== undefined;
  return findPostgresTools(findBinary) !== undefined;
}

/** A TCP port that was free a moment ago (bind to 0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Servers still running, stopped synchronously if the process exits without stopping them. */
const exitHooks = new Set<() => void>();
let exitHookInstalled = false;
function onProcessExit(hook: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const h of exitHooks) h();
    });
  }
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

function resourceError(message: string, cause?: unknown): PipelineError {
  return new PipelineError('ERR_RESOURCE', 'config', message, cause === undefined ? {} : { cause });
}

export interface EmbeddedRedisOptions {
  /** Keep an append-only file in `dir` so state survives a restart (default true). */
  readonly persist?: boolean;
  /** Give up waiting for readiness after this long (default 10 s). */
  readonly readyTimeoutMs?: number;
  /** A fixed port (to restart a server where its clients expect it); default a free one. */
  readonly port?: number;
  /** Cancels the start: the server is killed and the promise rejects with an AbortError. */
  readonly signal?: AbortSignal;
}

/** The rejection of a start cancelled through its `signal`. */
function aborted(signal: AbortSignal): Error {
  return new DOMException(`Start cancelled (${String(signal.reason)}).`, 'AbortError');
}

/**
 * Spawn options of an embedded server: on POSIX in its own process group, so a Ctrl-C at the
 * terminal reaches chatflow alone, which then stops the server after the sinks have flushed.
 */
const SERVER_SPAWN = { detached: process.platform !== 'win32', windowsHide: true } as const;

/**
 * Starts `redis-server` on a free port with its data in `dir` (created if missing).
 * Resolves once it accepts connections.
 */
export async function startEmbeddedRedis(dir: string, options: EmbeddedRedisOptions = {}): Promise<EmbeddedServer> {
  const binary = findBinary('redis-server');
  if (!binary) throw resourceError('redis-server is not installed (Debian: apt-get install redis-server).');
  await mkdir(dir, { recursive: true });
  const persist = options.persist ?? true;
  const signal = options.signal;
  // A redis-server an earlier run left on this data (killed along with its watchdog) goes first.
  await stopLeftoverRedis(dir);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (signal?.aborted) throw aborted(signal);
    const port = options.port ?? (await freePort());
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--save', ''];
    args.push('--appendonly', persist ? 'yes' : 'no');
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], ...SERVER_SPAWN });
    const watchdog = child.pid === undefined ? undefined : startWatchdog({ pid: child.pid, signal: 'SIGTERM' });
    const cancel = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      await waitForOutput(child, /Ready to accept connections/, options.readyTimeoutMs ?? 10_000);
    } catch (err) {
      lastError = err;
      child.kill('SIGKILL');
      watchdog?.disarm();
      continue;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    if (signal?.aborted) {
      child.kill('SIGKILL');
      watchdog?.disarm();
      throw aborted(signal);
    }
    child.stdout?.resume();
    child.stderr?.resume();
    if (child.pid !== undefined) await writeServerRecord(dir, { pid: child.pid, port });
    return redisHandle(child, port, dir, watchdog);
  }
  if (signal?.aborted) throw aborted(signal);
  throw resourceError('redis-server did not start.', lastError);
}

function redisHandle(child: ChildProcess, port: number, dir: string, watchdog: Watchdog | undefined): EmbeddedServer {
  const exited = new Promise<void>((resolveExit) => {
    if (child.exitCode !== null) resolveExit();
    else child.once('exit', () => resolveExit());
  });
  const removeHook = onProcessExit(() => child.kill('SIGTERM'));
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop: () => {
      stopping ??= (async () => {
        removeHook();
        watchdog?.disarm();
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
        await removeServerRecord(dir);
      })();
      return stopping;
    },
  };
}

/** Resolves when the child prints a line matching `ready`; rejects if it exits first or times out. */
function waitForOutput(child: ChildProcess, ready: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolveReady, reject) => {
    let output = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolveReady();
    };
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (ready.test(output)) done();
    };
    const onExit = () => done(new Error(`exited before it was ready: ${output.trim().slice(-500)}`));
    const timer = setTimeout(() => done(new Error('not ready in time')), timeoutMs);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

export interface EmbeddedPostgresOptions {
  /** Give up waiting for readiness after this long (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** Finds system binaries (default {@link findBinary}); one finding none uses the npm-shipped PostgreSQL. */
  readonly findBinary?: BinaryFinder;
  /** Cancels the start: a server already up is stopped and the promise rejects with an AbortError. */
  readonly signal?: AbortSignal;
}

/** The `postgres` system user, when running as root (initdb refuses to run as root). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const out = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (out.status !== 0 || gid.status !== 0) {
    throw resourceError(
      'Running as root, embedded Postgres needs the "postgres" system user (useradd --system postgres).',
    );
  }
  return { uid: Number(out.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The command line of a PostgreSQL tool, through `runuser -u postgres --` when root. */
function pgCommand(asPostgres: boolean, tool: string, args: readonly string[]): [string, ...string[]] {
  return asPostgres ? ['runuser', '-u', 'postgres', '--', tool, ...args] : [tool, ...args];
}

/** Runs a PostgreSQL tool, through `runuser -u postgres --` when root. */
function pgTool(asPostgres: boolean, tool: string, args: readonly string[]): { status: number; output: string } {
  const [cmd, ...argv] = pgCommand(asPostgres, tool, args);
  const result = spawnSync(cmd, argv, { encoding: 'utf8' });
  return { status: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}` };
}

/**
 * Starts PostgreSQL (`initdb` once, then `pg_ctl start`) on a free port, listening on
 * 127.0.0.1 only, with its cluster in `dir/data`, its socket in `dir` and its log in `dir/log`.
 * As root, everything runs as the `postgres` user and `dir` is chowned to it. A cluster left
 * in `dir` by an earlier run is reused (and a server still running on it is stopped first).
 */
export async function startEmbeddedPostgres(
  dir: string,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedServer> {
  const data = join(dir, 'data');
  const tools = findPostgresTools(options.findBinary ?? findBinary, { dataDir: data });
  if (!tools) {
    throw resourceError(
      'PostgreSQL is not installed: initdb/pg_ctl not on PATH and no npm-shipped PostgreSQL for this platform (run npm install, or Debian: apt-get install postgresql-15).',
    );
  }
  const { initdb, pgCtl } = tools;
  const user = postgresUser();
  const asPostgres = user !== undefined;
  const log = join(dir, 'log');
  await mkdir(dir, { recursive: true });
  if (user) await chown(dir, user.uid, user.gid);
  await chmod(dir, 0o700);
  if (asPostgres && spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-w', dir]).status !== 0) {
    throw resourceError(
      `The postgres user cannot reach "${dir}": make every parent directory traversable (chmod o+x) or set resources.postgres.url.`,
    );
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    await rm(data, { recursive: true, force: true });
    const init = pgTool(asPostgres, initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    if (init.status !== 0) throw resourceError(`initdb failed: ${init.output.trim().slice(-500)}`);
  } else if (pgTool(asPostgres, pgCtl, ['-D', data, 'status']).status === 0) {
    // A server left running by a process that died: stop it so this one owns the cluster.
    pgTool(asPostgres, pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
  }
  // Unix socket paths are limited to ~107 bytes; without room, TCP alone is used.
  const socketDir = join(dir, '.s.PGSQL.65535').length < 100 ? dir : '';
  let lastOutput = '';
  const signal = options.signal;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (signal?.aborted) throw aborted(signal);
    const port = await freePort();
    const opts = `-p ${port} ${socketOption(socketDir)} -c listen_addresses=127.0.0.1`;
    const timeout = String(Math.ceil((options.readyTimeoutMs ?? 30_000) / 1000));
    // Armed before the start: chatflow may die while pg_ctl is still bringing the server up.
    const watchdog = startWatchdog({
      command: pgCommand(asPostgres, pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']),
      pidFile: join(data, 'postmaster.pid'),
      forMs: 60_000,
    });
    const started = await runAsync(asPostgres, pgCtl, ['-D', data, '-l', log, '-w', '-t', timeout, '-o', opts, 'start'], SERVER_SPAWN);
    if (started.status === 0) {
      const server = postgresHandle(asPostgres, pgCtl, data, port, dir, watchdog);
      if (!signal?.aborted) return server;
      await server.stop();
      throw aborted(signal);
    }
    // pg_ctl gives up waiting (`-t`) while the server it launched may still come up: stop it,
    // or it would outlive this run with nothing left to stop it.
    if (existsSync(join(data, 'postmaster.pid'))) await runAsync(asPostgres, pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    watchdog.disarm();
    lastOutput = `${started.output}\n${await readFile(log, 'utf8').catch(() => '')}`;
    if (!/already in use|could not bind|could not create any TCP/i.test(lastOutput)) break;
  }
  throw resourceError(`PostgreSQL did not start: ${lastOutput.trim().slice(-800)}`);
}

/**
 * `-k` for pg_ctl's `-o`. On Windows, pg_ctl hands `-o` to cmd.exe, which keeps single quotes
 * (a socket directory named `'…'`): TCP alone there.
 */
function socketOption(socketDir: string): string {
  return process.platform === 'win32' ? '-k ""' : `-k '${socketDir}'`;
}

function postgresHandle(
  asPostgres: boolean,
  pgCtl: string,
  data: string,
  port: number,
  dir: string,
  watchdog: Watchdog,
): EmbeddedServer {
  const removeHook = onProcessExit(() => {
    pgTool(asPostgres, pgCtl, ['-D', data, '-m', 'immediate', 'stop']);
  });
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop: () => {
      stopping ??= (async () => {
        removeHook();
        watchdog.disarm();
        await runAsync(asPostgres, pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
      })();
      return stopping;
    },
  };
}

/**
 * Like {@link pgTool} but without blocking the event loop, so a signal is handled while the
 * server starts or stops.
 */
function runAsync(
  asPostgres: boolean,
  tool: string,
  args: readonly string[],
  spawnOptions: { detached?: boolean; windowsHide?: boolean } = {},
): Promise<{ status: number; output: string }> {
  const [cmd, ...argv] = pgCommand(asPostgres, tool, args);
  return new Promise((resolveRun) => {
    let output = '';
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err) => resolveRun({ status: 1, output: `${output}${err.message}` }));
    child.once('close', (code) => resolveRun({ status: code ?? 1, output }));
  });
}

/**
 * Stops and restarts an embedded Postgres on the same port (for outage tests and benchmarks).
 * @internal
 */
export async function restartEmbeddedPostgres(server: EmbeddedServer, pause: () => Promise<void>): Promise<void> {
  const asPostgres = process.getuid?.() === 0;
  const data = join(server.dir, 'data');
  const pgCtl = findPostgresTools(findBinary, { dataDir: data })?.pgCtl as string;
  await runAsync(asPostgres, pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
  await pause();
  const socketDir = join(server.dir, '.s.PGSQL.65535').length < 100 ? server.dir : '';
  const opts = `-p ${server.port} ${socketOption(socketDir)} -c listen_addresses=127.0.0.1`;
  const { status } = await runAsync(asPostgres, pgCtl, ['-D', data, '-l', join(server.dir, 'log'), '-w', '-o', opts, 'start']);
  if (status !== 0) throw resourceError('PostgreSQL did not restart.');
}
