/**
 * `npm run bench soak` (issue 21): memory over a long show, as a streamer runs it. A
 * `chatflow run` child process (bin/chatflow.js with the node options of package.json's
 * `start` script, as `npm start` runs it) on the default
 * pipeline.yaml, every sink on: its simulate source at 10,000 messages/s (CHATFLOW_SIM_RATE),
 * embedded redis-server and PostgreSQL under the run's own .chatflow/, osc to a UDP socket that
 * listens (this process), overlay and metrics on the run's HTTP server (a free port), for
 * CHATFLOW_SOAK_SECONDS (default 600: ten minutes). The child's RSS every 10 s: VmRSS from
 * /proc/<pid>/status on Linux, `ps -o rss=` on macOS (threads included: the osc stage and the
 * postgres writer are threads of it; redis-server and PostgreSQL are other processes).
 *
 * Fails on growth: when the least-squares slope of RSS over the second half of the run (the
 * last 5 minutes by default) is above 1 MiB/min, or when any sample of that half is above
 * 160 MiB. The first half is the graph filling its windows (dedupe's ids, the buffers), which
 * is growth by design.
 *
 * The floor, in the same run: a node process with the same options that loads the same code and
 * connects to the same Redis and PostgreSQL but processes nothing (bench/soakFloor.mjs), its RSS
 * sampled beside chatflow's. `floorRssMiB` is what the runtime and the code cost before any
 * chat; `aboveFloorMiB` what chatflow's work adds (its threads, windows, buffers, heap growth);
 * `ceilingPasses` whether the floor itself is within the goal (on this machine and Node, could
 * any chatflow doing this work be?).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmod, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processRss, stopTable } from './processRss.js';
import { writeResult } from './results.js';
import { slope } from './stats.js';
import { startOptions } from './startOptions.js';

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? process.env.CHATFLOW_SOAK_SECONDS ?? 600);
const RATE = 10_000;
const SAMPLE_SECONDS = 10;
const MAX_SLOPE_MIB_PER_MIN = 1;
const MAX_RSS_MIB = 160;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * The rule, on samples `{ x: minutes, y: MiB }`: the slope of the second half and its highest
 * sample against the limits.
 */
export function judgeSoak(samples: readonly { readonly x: number; readonly y: number }[]): {
  slopeMiBPerMin: number;
  maxMiBLastHalf: number;
  failures: string[];
} {
  const half = samples.slice(Math.floor(samples.length / 2));
  const slopeMiBPerMin = Math.round(slope(half) * 100) / 100;
  const maxMiBLastHalf = Math.max(0, ...half.map((s) => s.y));
  const failures: string[] = [];
  if (half.length < 2) failures.push('fewer than 2 samples in the second half: run longer');
  if (slopeMiBPerMin > MAX_SLOPE_MIB_PER_MIN) failures.push(`RSS grew ${slopeMiBPerMin} MiB/min over the second half`);
  if (maxMiBLastHalf > MAX_RSS_MIB) failures.push(`RSS reached ${maxMiBLastHalf} MiB`);
  return { slopeMiBPerMin, maxMiBLastHalf, failures };
}

/** The run's embedded servers' URLs, from what they leave in its `.chatflow/`. */
export async function embeddedUrls(project: string): Promise<{ redis: string; postgres: string }> {
  const redis = JSON.parse(await readFile(join(project, '.chatflow', 'redis', 'server.json'), 'utf8')) as { port: number };
  // postmaster.pid: its fourth line is the port.
  const pid = (await readFile(join(project, '.chatflow', 'postgres', 'data', 'postmaster.pid'), 'utf8')).split('\n');
  return { redis: `redis://127.0.0.1:${redis.port}`, postgres: `postgres://postgres@127.0.0.1:${Number(pid[3])}/postgres` };
}

/** Starts the floor process (bench/soakFloor.mjs) on the run's servers; resolves once it is connected. */
async function startFloor(nodeOptions: readonly string[], project: string): Promise<ChildProcess> {
  const urls = await embeddedUrls(project);
  const floor = spawn(process.execPath, [...nodeOptions, join(ROOT, 'bench', 'soakFloor.mjs'), urls.redis, urls.postgres], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let said = '';
  floor.stderr?.on('data', (chunk: Buffer) => {
    said = (said + chunk.toString()).slice(-3000);
  });
  await new Promise<void>((resolve, reject) => {
    floor.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    floor.once('exit', (code) => reject(new Error(`The soak's floor process exited (${code}):\n${said}`)));
  });
  return floor;
}

export async function soak(): Promise<Record<string, unknown>> {
  if (process.platform === 'win32') throw new Error('The soak bench reads RSS from /proc or ps: run it on Linux or macOS.');
  const project = await mkdtemp(join(tmpdir(), 'chatflow-bench-soak-'));
  // The embedded PostgreSQL runs as the postgres user when chatflow is root: it must reach .chatflow/.
  await chmod(project, 0o711);
  await copyFile(join(ROOT, 'pipeline.yaml'), join(project, 'pipeline.yaml'));
  const receiver = createSocket('udp4');
  let datagrams = 0;
  receiver.on('message', () => {
    datagrams += 1;
  });
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  const samples: { seconds: number; rssMiB: number; floorRssMiB: number | null }[] = [];
  const nodeOptions = await startOptions(new URL('../package.json', import.meta.url));
  let stderr = '';
  let child: ChildProcess | undefined;
  let floor: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, [...nodeOptions, join(ROOT, 'bin', 'chatflow.js'), 'run', 'pipeline.yaml'], {
      cwd: project,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        CHATFLOW_SIM_RATE: `${RATE}/s`,
        CHATFLOW_LISTEN: '127.0.0.1:0',
        CHATFLOW_OSC_TARGET: `127.0.0.1:${receiver.address().port}`,
        REDIS_URL: 'embedded',
        DATABASE_URL: 'embedded',
      },
    });
    const pid = child.pid as number;
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-200_000);
    });
    // Sampling starts when the show does: the first datagram at the receiver.
    while (datagrams === 0) {
      if ((await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('wait'), 100))])) !== 'wait') {
        throw new Error(`chatflow run exited before sending OSC:\n${stderr.slice(-3000)}`);
      }
    }
    floor = await startFloor(nodeOptions, project);
    const started = performance.now();
    for (let k = 1; k * SAMPLE_SECONDS <= SECONDS; k++) {
      await new Promise((resolve) => setTimeout(resolve, started + k * SAMPLE_SECONDS * 1000 - performance.now()));
      const rss = await processRss(pid);
      if (rss === undefined) throw new Error(`chatflow run is gone:\n${stderr.slice(-3000)}`);
      const floorRss = floor.pid === undefined ? undefined : await processRss(floor.pid);
      samples.push({ seconds: k * SAMPLE_SECONDS, rssMiB: mib(rss), floorRssMiB: floorRss === undefined ? null : mib(floorRss) });
    }
    floor.kill('SIGTERM');
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`chatflow run exited with ${code}:\n${stderr.slice(-3000)}`);
  } finally {
    if (floor?.exitCode === null) floor.kill('SIGKILL');
    if (child?.exitCode === null) child.kill('SIGKILL');
    receiver.close();
    await rm(project, { recursive: true, force: true });
  }
  const nodes = stopTable(stderr);
  const emitted = nodes.get('demo')?.out ?? 0;
  const verdict = judgeSoak(samples.map((s) => ({ x: s.seconds / 60, y: s.rssMiB })));
  const floorSamples = samples.slice(Math.floor(samples.length / 2)).flatMap((s) => (s.floorRssMiB === null ? [] : [s.floorRssMiB]));
  const floorRssMiB = floorSamples.length === 0 ? null : Math.max(...floorSamples);
  const figures = {
    method: `a \`chatflow run\` child process (node ${[...nodeOptions, 'bin/chatflow.js'].join(' ')}, as \`npm start\`) on pipeline.yaml, every sink on, embedded redis-server and PostgreSQL, simulate at ${RATE} messages/s (CHATFLOW_SIM_RATE) for ${SECONDS} s (BENCH_SOAK_SECONDS), osc to a listening socket; the child's RSS (${process.platform === 'linux' ? '/proc/<pid>/status VmRSS' : 'ps -o rss='}) every ${SAMPLE_SECONDS} s from its first OSC datagram`,
    rule: `fails when the RSS slope over the second half of the run is above ${MAX_SLOPE_MIB_PER_MIN} MiB/min or a sample of that half is above ${MAX_RSS_MIB} MiB`,
    seconds: SECONDS,
    chatPerSec: RATE,
    nodeOptions,
    ...verdict,
    maxRssMiB: Math.max(0, ...samples.map((s) => s.rssMiB)),
    floorMethod:
      'a node process with the same options that imports the same CLI bundle (every module and package `chatflow run` loads) and holds one ioredis and one pg connection to the same servers, processing nothing (bench/soakFloor.mjs); its highest RSS over the second half, sampled beside chatflow',
    floorRssMiB,
    aboveFloorMiB: floorRssMiB === null ? null : Math.round((verdict.maxMiBLastHalf - floorRssMiB) * 10) / 10,
    ceilingPasses: floorRssMiB === null ? null : floorRssMiB <= MAX_RSS_MIB,
    endRssMiB: samples.at(-1)?.rssMiB ?? null,
    pass: verdict.failures.length === 0,
    emitted,
    emittedPerSec: Math.round(emitted / SECONDS),
    oscDatagrams: datagrams,
    sinkLosses: Object.fromEntries([...nodes].filter(([, n]) => n.lost > 0).map(([id, n]) => [id, n.lost])),
    samples,
  };
  await writeResult('soak', figures);
  return figures;
}
