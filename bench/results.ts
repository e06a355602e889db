/** Writes a benchmark's figures as JSON under bench/results/, with the machine they ran on. */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';

export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly loadavg: readonly number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadavg: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

export async function writeResult(name: string, figures: Record<string, unknown>): Promise<string> {
  const dir = new URL('./results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const at = new Date().toISOString();
  const file = new URL(`${name}.json`, dir);
  const body = { benchmark: name, at, machine: machineInfo(), ...figures };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file.pathname;
}
