/**
 * The control-timing bench's receiver, from the bench's side: starts the receiver process with
 * kernel receive times where it can (Linux with python3: bench/controlTimingReceiver.py,
 * SO_TIMESTAMPNS), the userland one elsewhere (bench/controlTimingReceiver.ts), and speaks
 * their line protocol.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** What one receiver socket recorded in the window, times in ms on the sender's `performance.now()` clock. */
export interface LaneData {
  /** Arrivals of the slewing address (`/cv/sweep`). */
  readonly steps: number[];
  /** The last float64 argument of each of those (the ceiling's due time; the sweep command's receivedAt otherwise). */
  readonly stepTags: (number | null)[];
  /** Chat → arrival of the timed addresses (`/cv/resonance`, `/cv/pitch`). */
  readonly latency: number[];
  /** Arrivals of the on-beat address (`/cv/cutoff`). */
  readonly landed: number[];
  readonly received: number;
  /** Datagrams the kernel gave no receive time for (stamped in userland instead); 0 expected. */
  readonly unstamped: number;
}

export interface ReceiverReport {
  /** How far CLOCK_REALTIME moved against CLOCK_MONOTONIC over the window, µs (kernel receiver). */
  readonly clockDriftUs: number;
  readonly lanes: Record<string, LaneData>;
}

export type ReceiverClock = 'kernel' | 'userland';

export interface TimingReceiver {
  readonly ports: Record<string, number>;
  /** `kernel`: SO_TIMESTAMPNS receive times; `userland`: stamped when the receiver reads. */
  readonly clock: ReceiverClock;
  readonly process: ChildProcess;
  /** Forgets what arrived so far; from now on times are `performance.now()` of the process whose `offsetNs` this is. */
  start(offsetNs: bigint, since: number): Promise<void>;
  report(): Promise<ReceiverReport>;
  close(): Promise<void>;
}

const PY = fileURLToPath(new URL('./controlTimingReceiver.py', import.meta.url));
const TS = fileURLToPath(new URL('./controlTimingReceiver.ts', import.meta.url));

/** Kernel receive times are used on Linux when python3 runs (it reads SO_TIMESTAMPNS; Node cannot). */
export function kernelTimestampsAvailable(): boolean {
  if (process.platform !== 'linux') return false;
  return spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;
}

export async function startReceiver(lanes: readonly string[], clock: ReceiverClock = kernelTimestampsAvailable() ? 'kernel' : 'userland'): Promise<TimingReceiver> {
  const child =
    clock === 'kernel'
      ? spawn('python3', [PY, ...lanes], { stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn(process.execPath, ['--import', 'tsx', TS, ...lanes], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((line: string) => void)[] = [];
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => waiting.shift()?.(line));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`control-timing receiver exited (${code})`))),
  );
  exited.catch(() => {});
  const ask = <T>(command: unknown): Promise<T> => {
    const answer = new Promise<T>((resolve) => waiting.push((line) => resolve(JSON.parse(line) as T)));
    if (command !== undefined) child.stdin?.write(`${JSON.stringify(command)}\n`);
    return Promise.race([answer, exited]);
  };
  const hello = await ask<{ ports: Record<string, number>; clock: ReceiverClock }>(undefined);
  return {
    ports: hello.ports,
    clock: hello.clock,
    process: child,
    start: async (offsetNs, since) => {
      await ask({ cmd: 'start', offsetNs: String(offsetNs), since });
    },
    report: () => ask<ReceiverReport>({ cmd: 'report' }),
    close: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.write(`${JSON.stringify({ cmd: 'exit' })}\n`);
      child.stdin?.end();
      await gone;
    },
  };
}
