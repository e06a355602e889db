/**
 * The resident memory of another process, in bytes: VmRSS from /proc/<pid>/status on Linux,
 * `ps -o rss=` elsewhere (macOS, the BSDs). Windows has neither: `undefined`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function processRss(pid: number): Promise<number | undefined> {
  if (process.platform === 'win32') return undefined;
  try {
    if (process.platform === 'linux') {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
      return kib === undefined ? undefined : Number(kib) * 1024;
    }
    const { stdout } = await run('ps', ['-o', 'rss=', '-p', String(pid)]);
    const kib = Number(stdout.trim());
    return stdout.trim() === '' || !Number.isFinite(kib) ? undefined : kib * 1024;
  } catch {
    return undefined; // the process is gone
  }
}

/** Parses `chatflow run`'s stop table (stderr): each node's `out` and `lost` (the column before `errors`). */
export function stopTable(text: string): Map<string, { type: string; out: number; lost: number }> {
  const rows = new Map<string, { type: string; out: number; lost: number }>();
  const lines = text.split('\n');
  const header = lines.findLastIndex((line) => /^node\s+type\s+status\s+in\s+out\b/.test(line));
  if (header < 0) return rows;
  const count = (s: string | undefined) => Number((s ?? '').replaceAll(',', ''));
  for (const line of lines.slice(header + 1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || !Number.isFinite(count(fields[4]))) break;
    rows.set(fields[0] as string, { type: fields[1] as string, out: count(fields[4]), lost: count(fields.at(-2)) });
  }
  return rows;
}
