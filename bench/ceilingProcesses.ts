/**
 * The machine's ceilings for chat → OSC, from a bench's side: processes run in the same window
 * as chatflow's graph, under the same load, each sending to its own socket of the same
 * kernel-timestamped receiver:
 * - the *same work*: the graph's command path alone (its sources and operators up to the osc
 *   sink, that sink, nothing else, no storage) in a chatflow process of its own
 *   (bench/controlTimingSameWork.ts), so what is left between it and the full graph is what the
 *   rest of the graph costs the command path on this machine;
 * - the *bare* ceiling: processes with no chatflow code (bench/controlTimingCeiling.ts), what
 *   the machine allows at all.
 * Used by control-timing and osc-latency.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isMap, parseDocument, type YAMLMap } from 'yaml';
import { mainThreadSchedStat, type SchedStat } from './controlTimingMachine.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** The node an input names (`cmds.cv` → `cmds`). */
const nodeOf = (input: string): string => input.split('.')[0] as string;

/**
 * The command path of a bench's pipeline alone: the sink `sink` (its target set to `port`),
 * the operators and sources it reads from directly or through others, no other node, no
 * `resources` (no storage). Throws when the pipeline has no such sink.
 */
export function sameWorkPipeline(benchSource: string, port: number, sink = 'synth'): string {
  const doc = parseDocument(benchSource);
  const section = (name: string) => {
    const node = doc.get(name);
    return isMap(node) ? (node as YAMLMap<unknown, unknown>) : undefined;
  };
  const inputsOf = (node: unknown): string[] => {
    if (!isMap(node)) return [];
    const { inputs } = node.toJSON() as { inputs?: unknown };
    return Array.isArray(inputs) ? inputs.map((input) => nodeOf(String(input))) : [];
  };
  const sources = section('sources');
  const operators = section('operators');
  const sinks = section('sinks');
  if (!sinks?.has(sink)) throw new Error(`The pipeline has no sink ${sink}`);
  const upstream = new Set<string>();
  const pending = inputsOf(sinks.get(sink));
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (upstream.has(id)) continue;
    upstream.add(id);
    pending.push(...inputsOf(operators?.get(id)));
  }
  doc.delete('resources');
  for (const map of [sources, operators]) {
    for (const pair of [...(map?.items ?? [])]) if (!upstream.has(String(pair.key))) map?.delete(pair.key);
  }
  for (const pair of [...sinks.items]) if (String(pair.key) !== sink) sinks.delete(pair.key);
  doc.setIn(['sinks', sink, 'target'], `127.0.0.1:${port}`);
  return doc.toString();
}

/** Starts a process and waits for its first line on stdout. */
export async function started(child: ChildProcess, name: string): Promise<string> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
  });
}

/** Ends a ceiling process and waits until it has. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await gone;
}

/** A bare ceiling process (bench/controlTimingCeiling.ts), running. */
export interface BareCeiling {
  readonly child: ChildProcess;
  /** The scheduling it got (`fifo:<n>`, `nice:<n>`, `normal`). */
  readonly scheduling: string;
  /** Its main thread's scheduling now (Linux). */
  schedStat(): SchedStat | undefined;
}

/**
 * A bare ceiling process: `step` (a 10 ms step loop) or `chat` (`ratePerSec` chat lines a
 * second, each sent at once), to `port`, on the clock of the process whose `offsetNs` this is.
 */
export async function startBareCeiling(
  mode: 'step' | 'chat',
  port: number,
  offsetNs: bigint,
  scheduling: string,
  ratePerSec = 1000,
): Promise<BareCeiling> {
  const script = fileURLToPath(new URL('./controlTimingCeiling.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode, String(port), String(offsetNs), scheduling, String(ratePerSec)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const hello = JSON.parse(await started(child, `ceiling ${mode}`)) as { scheduling: string };
  return { child, scheduling: hello.scheduling, schedStat: () => (child.pid === undefined ? undefined : mainThreadSchedStat(child.pid)) };
}

/** What the same-work process reports of its window (Linux; the shares null elsewhere). */
export interface SameWorkFigures {
  readonly processCpuPercent: number;
  readonly mainThreadWaitingForCorePercent: number | null;
}

/** The same-work ceiling (bench/controlTimingSameWork.ts), running. */
export interface SameWork {
  readonly child: ChildProcess;
  /** Its window begins now. */
  start(): void;
  /** Its figures since {@link start}. */
  report(): Promise<SameWorkFigures>;
}

/** Starts the same-work process on a pipeline file, on the clock of the process whose `offsetNs` this is. */
export async function startSameWork(file: string, offsetNs: bigint): Promise<SameWork> {
  const script = fileURLToPath(new URL('./controlTimingSameWork.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, file, String(offsetNs)], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await started(child, 'same-work ceiling');
  return {
    child,
    start: () => {
      child.stdin?.write('start\n');
    },
    report: async () => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      const line = new Promise<string>((resolve) => lines.once('line', resolve));
      child.stdin?.write('report\n');
      const text = await line;
      lines.close();
      return JSON.parse(text) as SameWorkFigures;
    },
  };
}
