import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from './poll.js';

export const BIN = fileURLToPath(new URL('../../bin/chatflow.js', import.meta.url));

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A `chatflow …` process: `finished` resolves when it exits; `output` is stdout + stderr so far. */
export interface Run {
  readonly child: ChildProcess;
  readonly finished: Promise<Finished>;
  output(): string;
}

/** Runs `chatflow …` as a real process. */
export function chatflow(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, CHATFLOW_LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const finished = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, finished, output: () => stdout + stderr };
}

/** Resolves once every run has logged that its pipeline started; throws with their output after `timeoutMs`. */
export async function pipelinesStarted(runs: readonly Run[], timeoutMs = 60_000): Promise<void> {
  await until('the pipeline started', () => runs.every((r) => r.output().includes('Pipeline started.')), {
    timeoutMs,
    detail: () => runs.map((r) => r.output()).join('\n'),
  });
}

/** Sends SIGTERM and resolves with how the run finished. */
export async function stop(run: Run): Promise<Finished> {
  run.child.kill('SIGTERM');
  return run.finished;
}
