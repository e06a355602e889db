/**
 * Writes a benchmark's figures as JSON under bench/results/, with the machine they ran on and
 * the load it carried while they ran (bench/load.ts): `npm run bench` starts a
 * {@link LoadSampler} for each bench ({@link measuringLoad}); a bench run another way is
 * measured from when this module was loaded.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { LoadSampler } from './load.js';

export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** The V8 and node options this process ran with (`npm start`'s: bench/startOptions.ts), tsx's loader left out. */
  readonly nodeOptions: readonly string[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    nodeOptions: process.execArgv.filter((option) => /^--(?!require|import|loader)[\w-]+(=|$)/.test(option)),
  };
}

/** The sampler of the bench running in this async context. */
const currentRun = new AsyncLocalStorage<LoadSampler>();
/** For a bench started without {@link measuringLoad} (run as a script). */
const sinceLoaded = LoadSampler.start();

/**
 * Runs `bench` with a load sampler, which {@link writeResult} finishes, started after watching
 * the machine for two seconds (how busy it was before the bench: see `judgeLoad`).
 */
export async function measuringLoad<T>(bench: () => Promise<T>): Promise<T> {
  return currentRun.run(await LoadSampler.afterWatching(), bench);
}

export async function writeResult(name: string, figures: Record<string, unknown>): Promise<string> {
  const dir = new URL('./results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const at = new Date().toISOString();
  const file = new URL(`${name}.json`, dir);
  const load = (currentRun.getStore() ?? sinceLoaded).finish();
  const body = { benchmark: name, at, machine: machineInfo(), load, ...figures };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file.pathname;
}
