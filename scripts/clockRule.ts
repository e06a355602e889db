/**
 * One clock story (docs/architecture.md): only the process edges read the system clock. A
 * component reads time from its scheduler and wall time from `ctx.wallClock`; the server from
 * what the CLI injects. `scripts/clockRule.test.ts` runs it in `npm test`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { blankComments } from './sourceText.js';

/** Where reading the system clock is allowed: the CLI and the process watchdog. */
const EDGES = [/^src\/cli\.ts$/, /^src\/cli\//, /^src\/resources\/watchdog\.ts$/];

const SYSTEM_CLOCK = /\bDate\.now\b|\bnew Date\(\s*\)|\bperformance\.timeOrigin\b/;

function tsFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(root, rel));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** `file:line: text` of every read of the system clock under `root/src` outside the edges. */
export function systemClockReads(root: string): string[] {
  const out: string[] = [];
  for (const file of tsFiles(root, 'src')) {
    if (EDGES.some((edge) => edge.test(file))) continue;
    blankComments(readFileSync(path.join(root, file), 'utf8'))
      .split('\n')
      .forEach((line, i) => {
        if (SYSTEM_CLOCK.test(line)) out.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  return out;
}
