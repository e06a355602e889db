/**
 * `chatflow run` with embedded Redis and PostgreSQL as a real process, stopped at points of its
 * start-up: a SIGTERM cancels the start, stops what had started and exits 0; after `kill -9`
 * the watchdogs stop the servers, and the next start is not hindered by anything left behind,
 * not even a redis-server whose watchdog was killed too.
 *
 * Linux-only observations (the code under test is portable): a server "on the project" is any
 * process whose working directory is under the project's `.chatflow/` (redis-server changes
 * into its `--dir`, PostgreSQL into its data directory), and "signal handlers installed" is
 * read from /proc/<pid>/status.
 */
import { chmod, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary } from '../../src/resources/embedded.js';
import { chatflow, pipelinesStarted, stop } from '../support/cli.js';
import { until } from '../support/poll.js';
import { tempDirs } from '../support/tempDirs.js';
import { storagePipeline } from '../fixtures/storagePipeline.js';

const temp = tempDirs();
afterAll(async () => {
  for (const d of temp.made) for (const pid of await serversOn(d)) process.kill(pid, 'SIGKILL');
  await temp.removeAll();
});

async function project(): Promise<string> {
  const dir = await temp.make('chatflow-startup-', { traversable: true });
  await writeFile(join(dir, 'pipeline.yaml'), storagePipeline({ rate: '50/s', users: 5 }));
  return dir;
}

/** Pids of processes working in `dir`'s `.chatflow/` (the embedded servers and their children). */
async function serversOn(dir: string): Promise<number[]> {
  const root = join(dir, '.chatflow');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(join('/proc', entry, 'cwd')).catch(() => '');
    if (cwd === root || cwd.startsWith(`${root}/`)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Whether chatflow has installed its signal handlers: SIGHUP (bit 0 of SigCgt), which Node
 * itself does not catch, is trapped together with SIGINT and SIGTERM by bin/chatflow.js (to
 * stop a run that is starting, and to reload one that runs).
 */
async function trapsSignals(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const mask = /SigCgt:\s*([0-9a-f]+)/.exec(status)?.[1];
  return mask !== undefined && (BigInt(`0x${mask}`) & 1n) !== 0n;
}

/**
 * A directory with wrappers for `redis-server` and `pg_ctl` that write `<name>.started` into
 * `markers` when they are called to start a server, then wait `delaySeconds` and run the real
 * one: a window in which chatflow is certainly starting that server.
 */
async function slowServers(delaySeconds: number): Promise<{ path: string; marker: (name: string) => string }> {
  const bin = await temp.make('chatflow-slow-bin-');
  const markers = join(bin, 'markers');
  await mkdir(markers);
  // The postgres user (as root) runs the pg_ctl wrapper and writes its marker.
  await chmod(bin, 0o755);
  await chmod(markers, 0o777);
  const redis = findBinary('redis-server');
  const pgCtl = findBinary('pg_ctl');
  if (!redis || !pgCtl) throw new Error('redis-server and pg_ctl are needed: apt-get install redis-server postgresql-15');
  await writeFile(
    join(bin, 'redis-server'),
    `#!/bin/sh\ntouch '${markers}/redis-server.started'\nsleep ${delaySeconds}\nexec '${redis}' "$@"\n`,
  );
  await writeFile(
    join(bin, 'pg_ctl'),
    `#!/bin/sh\ncase " $* " in *" start "*) touch '${markers}/pg_ctl.started'; sleep ${delaySeconds};; esac\nexec '${pgCtl}' "$@"\n`,
  );
  await chmod(join(bin, 'redis-server'), 0o755);
  await chmod(join(bin, 'pg_ctl'), 0o755);
  return { path: `${bin}${delimiter}${process.env.PATH ?? ''}`, marker: (name) => join(markers, `${name}.started`) };
}

describe('a signal during start-up', () => {
  it('before any server starts (as soon as chatflow catches signals): exits 0, no server left', async () => {
    const dir = await project();
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
    const pid = run.child.pid as number;
    await until('chatflow traps signals', () => trapsSignals(pid));
    const done = await stop(run);
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain('Embedded server started.');
    expect(await serversOn(dir)).toEqual([]);
  });

  it('while redis-server starts: exits 0, no server left', async () => {
    const dir = await project();
    const slow = await slowServers(2);
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir, env: { PATH: slow.path } });
    await until('redis-server is being started', () => existsSync(slow.marker('redis-server')));
    const done = await stop(run);
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('Stopped during start-up.');
    expect(done.stderr).not.toContain('Embedded server failed');
    await until('the servers started are gone', async () => (await serversOn(dir)).length === 0);
    expect(await serversOn(dir)).toEqual([]);
  });

  it('SIGHUP while redis-server starts stops it like SIGTERM (only a running pipeline reloads on SIGHUP)', async () => {
    const dir = await project();
    const slow = await slowServers(2);
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir, env: { PATH: slow.path } });
    await until('redis-server is being started', () => existsSync(slow.marker('redis-server')));
    run.child.kill('SIGHUP');
    const done = await run.finished;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('Stopped during start-up.');
    await until('the servers started are gone', async () => (await serversOn(dir)).length === 0);
    expect(await serversOn(dir)).toEqual([]);
  });

  it('while PostgreSQL starts: exits 0, no server left', async () => {
    const dir = await project();
    const slow = await slowServers(1);
    const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir, env: { PATH: slow.path } });
    await until('pg_ctl start is running', () => existsSync(slow.marker('pg_ctl')));
    const done = await stop(run);
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('Stopped during start-up.');
    // chatflow waited for its stops, so nothing is left the moment it has exited.
    expect(await serversOn(dir)).toEqual([]);
  });
});

/** Starts `chatflow run` in `dir` and resolves once the pipeline runs. */
async function started(dir: string) {
  const run = chatflow(['run', 'pipeline.yaml', '--quiet'], { cwd: dir });
  await pipelinesStarted([run]);
  return run;
}

/** chatflow's watchdogs: its children running `node -e`. */
async function watchdogsOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(join('/proc', entry, 'stat'), 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const argv = (await readFile(join('/proc', entry, 'cmdline'), 'utf8').catch(() => '')).split('\0');
    if (ppid === pid && argv[1] === '-e') found.push(Number(entry));
  }
  return found;
}

describe('after kill -9', () => {
  it('the embedded servers are stopped by their watchdogs, and the next start succeeds', async () => {
    const dir = await project();
    const first = await started(dir);
    expect((await serversOn(dir)).length).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    expect((await first.finished).signal).toBe('SIGKILL');
    await until('no server left after kill -9', async () => (await serversOn(dir)).length === 0);

    const second = await started(dir);
    const done = await stop(second);
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain('Embedded server failed');
    expect(await serversOn(dir)).toEqual([]);
  });

  it('a server left running (its watchdog killed too) does not trip the next start, which stops it', async () => {
    const dir = await project();
    const first = await started(dir);
    const pid = first.child.pid as number;
    const watchdogs = await watchdogsOf(pid);
    expect(watchdogs).toHaveLength(2);
    for (const w of watchdogs) process.kill(w, 'SIGKILL');
    first.child.kill('SIGKILL');
    await first.finished;
    const left = await serversOn(dir);
    expect(left.length).toBeGreaterThan(0);

    const second = await started(dir);
    const done = await stop(second);
    expect(done.code).toBe(0);
    expect(done.stderr).not.toContain('Embedded server failed');
    // The leftovers were stopped by the second start, and its own servers by its stop.
    expect(await serversOn(dir)).toEqual([]);
  });
});
