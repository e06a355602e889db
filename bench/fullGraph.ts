/**
 * `npm run bench full-graph` (issue 21): the highest rate the real default graph sustains with
 * nothing dropped. pipeline.yaml as it is, every sink on and metrics on (console into nothing;
 * osc to a receiver process that listens and counts; overlay and metrics on a real HTTP server;
 * redis_state and postgres on private servers), its simulate source at a fixed offered rate.
 *
 * A trial: wait for a quiet machine (the previous trial's drain and PostgreSQL's checkpoint
 * after it are not in this window), start the graph, 2 s of warm-up, then a window at the
 * offered rate; it passes when in the window the source emitted what was offered (≥ 98%)
 * without ever being paused, no sink dropped anything or sent to disk, no sink's backlog grew
 * by more than half a second of the offered rate (at least 5,000 events), no OSC send failed,
 * and after the stop (the drain) PostgreSQL holds every message the dedupe let through. The
 * rate: doubling from 20k/s until a trial fails, then bisecting to 2.5k/s (short trials); then
 * SUSTAINED seconds (60) at that rate, counted the same way, and if it fails at exactly the
 * goal (100k/s) when that is lower and at 95% and 90% of it (bench/stats.ts sustainedRates):
 * the rate reported is the highest one a sustained run held, 0 if none did.
 * The same search, same run, with the postgres sink replaced by a null sink (a blackhole), and
 * raw COPY of the stored rows into empty copies of the tables (bench/rawCopy.ts), each round on
 * a quiet machine.
 *
 * The machine's ceiling for the same work (bench/machineCeiling.ts): every trial counts CPU
 * time per message (chatflow's process, its main thread, the PostgreSQL server's processes);
 * cores / (the null-sink graph's process + raw COPY's client and server, per message) is what
 * the cores could do if they did nothing but the graph and PostgreSQL's own work.
 *
 * Goals: ≥ 100k messages/s sustained, and ≥ 85% of the null-sink graph; or, when PostgreSQL
 * itself is the ceiling (raw COPY of these rows < 100k messages/s), ≥ 90% of raw COPY.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeMetricsSnapshot } from '../src/core/metrics.js';
import { type BenchStorage, defaultGraphText, losses, readDefaultPipeline, startBenchStorage, startGraph, sumOf } from './defaultGraph.js';
import { type LoadRecord, LoadSampler } from './load.js';
import { cpuUsPerMessage, machineCeiling, ofCeilingPercent } from './machineCeiling.js';
import { processTreeCpuMs } from './processCpu.js';
import { type Receiver, startReceiver } from './oscLatency.js';
import { PACED_PREFIX, PacedCopy, type PacedResult, pacedFailures } from './pacedCopy.js';
import { dumpRows, rawCopy } from './rawCopy.js';
import { writeResult } from './results.js';
import { highestPassingRate, median, sustainedRates } from './stats.js';
import { mainThreadCpuMs } from './threadCpu.js';

const TRIAL_SECONDS = Number(process.env.BENCH_FULL_TRIAL_SECONDS ?? 5);
const SUSTAINED_SECONDS = Number(process.env.BENCH_FULL_SECONDS ?? 60);
const WARMUP_MS = 2000;
const SEARCH = { low: 20_000, high: 400_000, step: 2500, tolerance: 0.05 };
const GOAL_RATE = 100_000;
const GOAL_OF_NULL = 0.85;
const GOAL_OF_COPY = 0.9;

/**
 * `postgres`: the default graph; `null`: its postgres sink replaced by a blackhole; `together`:
 * the null-sink graph while another process COPYs the same rows at the same rate (bench/pacedCopy.ts).
 */
type Variant = 'postgres' | 'null' | 'together';

interface Trial {
  readonly variant: Variant;
  readonly offeredPerSec: number;
  readonly seconds: number;
  readonly emittedPerSec: number;
  readonly passed: boolean;
  /** Why it failed (empty when it passed). */
  readonly failures: readonly string[];
  /** Per sink, in the window: events in, written, unintentional drops; backlog at its end. */
  readonly sinks: Record<string, { in: number; written: number; dropped: number; backlogAtStart: number; backlogAtEnd: number }>;
  readonly pausedMs: number;
  /** After the stop: chat rows in PostgreSQL against messages the dedupe let through. */
  readonly stored?: { readonly rows: number; readonly deduplicated: number };
  readonly oscDatagramsReceived: number;
  /** `together`: what the paced COPY beside the graph committed in the window. */
  readonly pacedCopy?: PacedResult;
  readonly cpuPercent: number;
  /**
   * CPU µs per message emitted in the window: chatflow's process (every thread), its main
   * thread alone, and the PostgreSQL server's processes (null off Linux).
   */
  readonly cpuUsPerMessage: { readonly process: number | null; readonly mainThread: number | null; readonly postgresServer: number | null };
  /** The machine's load over the window; the trial began once the machine was quiet (`waitedForQuietMs`). */
  readonly load: LoadRecord;
  readonly waitedForQuietMs: number | null;
}

/** The longest a trial waits for a quiet machine before it starts anyway (judged contaminated). */
const QUIET_MAX_WAIT_MS = 20_000;
const QUIET_WINDOW_MS = 1000;

const msDelta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);


const delta = (a: number | undefined, b: number | undefined) => (b ?? 0) - (a ?? 0);

async function trial(
  variant: Variant,
  rate: number,
  seconds: number,
  env: { root: string; source: string; storage: BenchStorage; receiver: Receiver; seed: () => number; paced?: PacedCopy },
): Promise<Trial> {
  const paced = variant === 'together' ? env.paced : undefined;
  if (variant === 'together' && paced === undefined) throw new Error('full-graph: a together trial needs the paced COPY');
  const measuresServer = variant !== 'null';
  await env.storage.truncate();
  // Begin once the machine is quiet: the previous trial's drain, PostgreSQL's checkpoint after
  // it, and other work on the machine would otherwise be inside this window.
  const quiet = await LoadSampler.whenQuiet({ windowMs: QUIET_WINDOW_MS, maxWaitMs: QUIET_MAX_WAIT_MS });
  const text = defaultGraphText(env.source, {
    rate,
    seed: env.seed(),
    oscTarget: `127.0.0.1:${env.receiver.port}`,
    metrics: true,
    postgres: variant === 'postgres' ? 'on' : 'null',
  });
  await env.receiver.ask({ cmd: 'start', offsetNs: '0', since: Number.POSITIVE_INFINITY });
  const running = await startGraph(text, { root: env.root, name: `full-graph-${variant}`, storage: env.storage });
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const postmaster = env.storage.postmasterPid();
  const before = running.snapshot();
  const mainBefore = mainThreadCpuMs();
  const serverBefore = measuresServer ? processTreeCpuMs(postmaster) : null;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const copying = paced?.run(rate, seconds);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = running.snapshot();
  const used = process.cpuUsage(cpu);
  const windowMs = performance.now() - started;
  const mainUsed = msDelta(mainBefore, mainThreadCpuMs());
  const serverUsed = measuresServer ? msDelta(serverBefore, processTreeCpuMs(postmaster)) : null;
  // A copy process that died fails the trial; the graph is stopped below all the same.
  const copy = await copying?.then(
    (result) => ({ result, error: undefined }),
    (err: Error) => ({ result: undefined, error: err.message }),
  );
  const copied = copy?.result;
  const load = quiet.sampler.finish();
  await running.stop();
  const end = running.snapshot();
  const report = await env.receiver.ask<{ received: number }>({ cmd: 'report' });
  const failures: string[] = [];
  const emitted = delta(before.get('demo')?.eventsOut[''], after.get('demo')?.eventsOut['']);
  const offered = (rate * windowMs) / 1000;
  if (emitted < offered * 0.98) failures.push(`emitted ${emitted} of ${Math.round(offered)} offered`);
  const pausedMs = delta(before.get('demo')?.flow?.pausedMs, after.get('demo')?.flow?.pausedMs);
  if (pausedMs > 0) failures.push(`source paused ${Math.round(pausedMs)} ms by a congested sink`);
  const sinks: Trial['sinks'] = {};
  for (const [id, node] of after) {
    if (node.kind !== 'sink') continue;
    const was = before.get(id) as NodeMetricsSnapshot;
    const dropped = sumOf(losses(end.get(id)));
    sinks[id] = {
      in: node.eventsIn - was.eventsIn,
      written: delta(was.eventsOut[''], node.eventsOut['']),
      dropped,
      backlogAtStart: was.bufferDepth,
      backlogAtEnd: node.bufferDepth,
    };
    if (dropped > 0) failures.push(`${id} dropped ${dropped} (${JSON.stringify(losses(end.get(id)))})`);
    const behind = node.bufferDepth - was.bufferDepth;
    if (behind > Math.max(rate / 2, 5000)) failures.push(`${id} fell ${behind} events further behind in the window`);
    if ((node.gauges?.disk_buffer_events ?? 0) > 0) failures.push(`${id} spilled ${node.gauges?.disk_buffer_events} events to disk`);
    if (node.errors > 0) failures.push(`${id} had ${node.errors} errors`);
  }
  // What the osc sink sent: what it was handed, less what it superseded on purpose (max_rate).
  const synth = end.get('synth');
  const intended = Object.values(synth?.dropped ?? {}).reduce((n, d) => n + (d.intentional ? d.count : 0), 0);
  const sent = (synth?.eventsOut[''] ?? 0) - intended;
  if (report.received === 0 || report.received < sent) failures.push(`the OSC receiver got ${report.received} of ${sent} datagrams`);
  if (copied) failures.push(...pacedFailures(copied));
  if (copy?.error !== undefined) failures.push(`the paced COPY process failed: ${copy.error}`);
  let stored: Trial['stored'];
  if (variant === 'postgres') {
    stored = { rows: await env.storage.chatRows(), deduplicated: end.get('once')?.eventsOut[''] ?? 0 };
    if (stored.rows !== stored.deduplicated) failures.push(`PostgreSQL holds ${stored.rows} of ${stored.deduplicated} chat messages`);
  }
  return {
    variant,
    offeredPerSec: rate,
    seconds: Math.round(windowMs / 100) / 10,
    emittedPerSec: Math.round((emitted / windowMs) * 1000),
    passed: failures.length === 0,
    failures,
    sinks,
    pausedMs: Math.round(pausedMs),
    ...(stored ? { stored } : {}),
    oscDatagramsReceived: report.received,
    ...(copied ? { pacedCopy: copied } : {}),
    cpuPercent: Math.round(((used.user + used.system) / 1000 / windowMs) * 100),
    cpuUsPerMessage: {
      process: cpuUsPerMessage((used.user + used.system) / 1000, emitted),
      mainThread: cpuUsPerMessage(mainUsed, emitted),
      postgresServer: cpuUsPerMessage(serverUsed, emitted),
    },
    load,
    waitedForQuietMs: quiet.waitedMs,
  };
}

/**
 * The highest rate the null-sink graph holds with PostgreSQL COPYing the same rows beside it
 * (short trials), searched from `low` (held: the real graph's own search reached it) to `high`.
 */
async function togetherSearch(
  env: Parameters<typeof trial>[3],
  range: { readonly low: number; readonly high: number; readonly messages: number },
): Promise<{ rate: number | null; messages: number; trials: Trial[]; error?: string }> {
  const trials: Trial[] = [];
  let paced: PacedCopy | undefined;
  let messages = 0;
  try {
    const dump = await dumpRows(env.storage.postgresUrl, range.messages, PACED_PREFIX);
    messages = dump.messages;
    paced = (await PacedCopy.start(env.storage.postgresUrl, dump, env.root)).paced;
    const copier = paced;
    const found = await highestPassingRate(
      async (rate) => {
        if (!copier.alive) throw new Error('the paced COPY process exited');
        const t = await trial('together', rate, TRIAL_SECONDS, { ...env, paced: copier });
        trials.push(t);
        process.stderr.write(`full-graph: together ${rate}/s ${t.passed ? 'passed' : `failed: ${t.failures.join('; ')}`}\n`);
        return t.passed;
      },
      { ...SEARCH, low: Math.max(SEARCH.step, range.low), high: Math.max(SEARCH.step, range.high) },
    );
    return { rate: found.rate, messages, trials };
  } catch (err) {
    // The ceiling is beside the goal's figures: its failure is reported, not the bench's.
    return { rate: null, messages, trials, error: (err as Error).message };
  } finally {
    await paced?.stop();
  }
}

export async function fullGraph(): Promise<Record<string, unknown>> {
  const root = await mkdtemp(join(tmpdir(), 'chatflow-bench-full-'));
  await chmod(root, 0o711);
  const source = await readDefaultPipeline();
  const storage = await startBenchStorage(root);
  const receiver = await startReceiver();
  let nextSeed = 2000;
  const env = { root, source, storage, receiver, seed: () => nextSeed++ };
  try {
    const searches = {} as Record<Variant, { rate: number; trials: Trial[] }>;
    const sustained = {} as Partial<Record<Variant, Trial>>;
    const sustainedTries = {} as Partial<Record<Variant, Trial[]>>;
    // Null sink first, then postgres: each search ends with its own sustained run.
    for (const variant of ['null', 'postgres'] as const) {
      const trials: Trial[] = [];
      const found = await highestPassingRate(
        async (rate) => {
          const t = await trial(variant, rate, TRIAL_SECONDS, env);
          trials.push(t);
          process.stderr.write(`full-graph: ${variant} ${rate}/s ${t.passed ? 'passed' : `failed: ${t.failures.join('; ')}`}\n`);
          return t.passed;
        },
        SEARCH,
      );
      searches[variant] = { rate: found.rate, trials };
      // The short trials can pass a rate a long run does not hold: try again lower, in 5% steps
      // and at exactly the goal for the 60 s postgres run, 10% steps for the 20 s null-sink run.
      const seconds = variant === 'postgres' ? SUSTAINED_SECONDS : Math.min(SUSTAINED_SECONDS, 20);
      const rates =
        variant === 'postgres'
          ? sustainedRates(found.rate, GOAL_RATE, SEARCH.step, [0.95, 0.9], 4)
          : sustainedRates(found.rate, Number.POSITIVE_INFINITY, SEARCH.step, [0.9, 0.8], 3);
      for (const rate of rates) {
        const t = await trial(variant, rate, seconds, env);
        sustainedTries[variant] = [...(sustainedTries[variant] ?? []), t];
        process.stderr.write(`full-graph: ${variant} sustained ${rate}/s ${t.passed ? 'passed' : `failed: ${t.failures.join('; ')}`}\n`);
        if (t.passed) {
          sustained[variant] = t;
          break;
        }
      }
    }
    // Rows of the last passing postgres trial: fill the tables again at its rate, long enough
    // for the together search's fastest window (at most the null-sink graph's rate).
    const fillRate = Math.max(SEARCH.step, sustained.postgres?.offeredPerSec ?? searches.postgres.rate);
    const nullRateFound = sustained.null?.offeredPerSec ?? searches.null.rate;
    const togetherMessages = Math.ceil(nullRateFound * TRIAL_SECONDS * 1.05);
    await trial('postgres', fillRate, Math.max(TRIAL_SECONDS, Math.ceil(togetherMessages / fillRate)), env);
    // Each round once the machine is quiet (the fill's drain and checkpoint done).
    const copyLoads: LoadRecord[] = [];
    let copySampler: LoadSampler | undefined;
    const copy = await rawCopy(storage.postgresUrl, {
      messages: 200_000,
      connections: 2,
      rounds: 3,
      beforeRound: async () => {
        copySampler = (await LoadSampler.whenQuiet({ windowMs: QUIET_WINDOW_MS, maxWaitMs: QUIET_MAX_WAIT_MS })).sampler;
      },
      afterRound: () => {
        if (copySampler) copyLoads.push(copySampler.finish());
      },
      serverCpuMs: () => processTreeCpuMs(storage.postmasterPid()),
    });
    const copyPerSec = median(copy.messagesPerSec);
    // The machine's ceiling, measured: the null-sink graph with the same rows COPYed beside it at
    // the same rate (bench/pacedCopy.ts), from the rate the real graph's search reached up to
    // the lower of the null-sink graph's and raw COPY's.
    const together = await togetherSearch(env, {
      low: searches.postgres.rate,
      high: Math.min(nullRateFound, copyPerSec),
      messages: togetherMessages,
    });
    // The machine's ceiling for the same work, by CPU accounting (bench/machineCeiling.ts): the
    // graph without storage (the null-sink run the figure came from), plus raw COPY of its rows.
    const nullTrial = sustained.null ?? searches.null.trials.filter((t) => t.passed).at(-1);
    const copyPart = (cpuMs: readonly (number | null)[]) => {
      const perMessage = cpuMs.map((ms) => cpuUsPerMessage(ms, copy.messages));
      return perMessage.some((v) => v === null) ? null : median(perMessage as number[]);
    };
    const ceilingParts = {
      chatflowNullSinkProcess: nullTrial?.cpuUsPerMessage.process ?? null,
      rawCopyClient: copyPart(copy.clientCpuMs),
      rawCopyPostgresServer: copyPart(copy.serverCpuMs),
    };
    const ceiling = machineCeiling(os.availableParallelism(), ceilingParts);
    const fullTrial = sustained.postgres ?? sustainedTries.postgres?.at(-1);
    const rate = sustained.postgres?.offeredPerSec ?? 0;
    const nullRate = sustained.null?.offeredPerSec ?? 0;
    const ofNull = nullRate > 0 ? rate / nullRate : 0;
    const ofCopy = copyPerSec > 0 ? rate / copyPerSec : 0;
    const postgresIsCeiling = copyPerSec < GOAL_RATE;
    const figures = {
      method:
        'pipeline.yaml, every sink on, metrics on; simulate at a fixed offered rate; each trial: start, 2 s warm-up, then a window; passed = emitted ≥ 98% of offered, source never paused, no sink drop, disk spill, error, or backlog growth > max(0.5 s of the rate, 5000 events), every OSC datagram the sink sent (less those superseded by max_rate) at the receiver, every deduplicated chat message in PostgreSQL after the stop. Each trial begins once the machine is quiet (≤ 25% busy over 1 s, at most 20 s of waiting). Rate: doubling from 20k/s, then bisection to 2.5k/s, with short trials; then sustained runs at that rate, at exactly 100k/s when lower, at 95% and 90% of it (the figure is the highest rate a sustained run held). Same for the graph with postgres → blackhole (20 s; 90% and 80%). Raw COPY: the rows of up to 200k stored messages, COPY FROM into empty LIKE copies on 2 connections, median of 3, each round on a quiet machine.',
      trialSeconds: TRIAL_SECONDS,
      sustainedSeconds: SUSTAINED_SECONDS,
      maxSustainedMessagesPerSec: rate,
      nullSinkMaxMessagesPerSec: nullRate,
      searchRates: { postgres: searches.postgres.rate, null: searches.null.rate },
      rawCopyMessagesPerSec: Math.round(copyPerSec),
      rawCopy: { ...copy, loads: copyLoads, contaminated: copyLoads.some((l) => l.contaminated) },
      machineCeilingMessagesPerSec: ceiling?.messagesPerSec ?? null,
      machineCeiling: {
        method:
          'cores / (CPU µs per message of chatflow\'s process in the null-sink run the figure came from + of raw COPY of the same rows: this process sending them and the PostgreSQL server\'s processes, postmaster and children with what exited children left it, /proc/<pid>/stat; median of the rounds). Linux only: null elsewhere.',
        ...(ceiling ?? { cores: os.availableParallelism(), parts: ceilingParts }),
      },
      togetherCeilingMessagesPerSec: together.rate,
      togetherCeiling: {
        method:
          'measured: the null-sink graph (short trials, as the searches) while another process (bench/pacedCopyChild.ts) COPYs the rows this run stored into empty copies of the tables at the same rate of chat messages, in parts of 2,500 messages (every table in proportion) taken in turn by 2 connections, each its own transaction; a rate holds when the graph passes its trial and the COPY falls no more than max(0.5 s of the rate, 5,000 messages) behind. From the rate the real graph\'s search reached (`searchRates.postgres`, short trials, compare with it) up to the lower of the null-sink graph\'s and raw COPY\'s; each trial on a quiet machine.',
        messagesDumped: together.messages,
        ...(together.error === undefined ? {} : { error: together.error }),
        trials: together.trials,
      },
      ofTogetherCeilingPercent: together.rate ? Math.round((searches.postgres.rate / together.rate) * 1000) / 10 : null,
      togetherCeilingPasses: together.rate === null ? null : together.rate >= GOAL_RATE,
      ofMachineCeilingPercent: ofCeilingPercent(rate, ceiling),
      ceilingPasses: ceiling === null ? null : ceiling.messagesPerSec >= GOAL_RATE,
      fullRunCpuUsPerMessage: fullTrial ? { offeredPerSec: fullTrial.offeredPerSec, passed: fullTrial.passed, ...fullTrial.cpuUsPerMessage } : null,
      ofNullSinkPercent: Math.round(ofNull * 1000) / 10,
      ofRawCopyPercent: Math.round(ofCopy * 1000) / 10,
      postgresIsCeiling,
      goals: {
        messagesPerSecAtLeast: GOAL_RATE,
        ofNullSinkAtLeastPercent: GOAL_OF_NULL * 100,
        ofRawCopyAtLeastPercentWhenPostgresIsTheCeiling: GOAL_OF_COPY * 100,
      },
      pass:
        sustained.postgres?.passed === true &&
        ((rate >= GOAL_RATE && ofNull >= GOAL_OF_NULL) || (postgresIsCeiling && ofCopy >= GOAL_OF_COPY)),
      sustained: sustainedTries,
      searches,
    };
    await writeResult('full-graph', figures);
    return figures;
  } finally {
    await receiver.exit();
    await storage.stop();
    await rm(root, { recursive: true, force: true });
  }
}
