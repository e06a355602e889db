/**
 * `chatflow top`: a live table of every node of a running instance (src/cli/topTable.ts), read
 * from `/api/graph` every interval, so it follows reloads (a node added or removed appears or
 * goes at the next refresh). Redrawn in place in a terminal; `--once` prints one table (rates
 * over one interval) and exits.
 */
import type { GraphView } from '../server/dashboardWire.js';
import { type ApiTarget, ApiUnreachable, getJson } from './apiClient.js';
import type { CommandIo } from './commandIo.js';
import { EXIT } from './exitCodes.js';
import { type TopSort, renderTop, sortRows, topRows } from './topTable.js';

export interface TopOptions {
  readonly target: ApiTarget;
  readonly sort: TopSort | undefined;
  readonly once: boolean;
  readonly intervalMs: number;
}

const CLEAR = '\x1b[H\x1b[2J';

export async function topCommand(options: TopOptions, io: CommandIo): Promise<number> {
  const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
  const stopped = new Promise<void>((resolve) => {
    if (io.shutdown?.aborted) resolve();
    io.shutdown?.addEventListener('abort', () => resolve(), { once: true });
  });
  /** Whether `ms` passed (false: Ctrl-C came first). The timer keeps the process alive meanwhile. */
  const wait = (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), ms);
      }),
      stopped.then(() => false),
    ]).finally(() => clearTimeout(timer));
  };
  try {
    let before = await getJson<GraphView>(options.target, '/api/graph');
    let at = performance.now();
    let ids = before.nodes.map((n) => n.id).join('\n');
    for (;;) {
      if (!(await wait(options.intervalMs))) return EXIT.ok;
      const now = await getJson<GraphView>(options.target, '/api/graph');
      const t = performance.now();
      const rows = sortRows(topRows(before, now, (t - at) / 1000), options.sort);
      const nowIds = now.nodes.map((n) => n.id).join('\n');
      const note = nowIds === ids ? '' : '  (the graph changed: reloaded)';
      ids = nowIds;
      const title = `chatflow top  ${options.target.url}  ${now.nodes.length} nodes${note}`;
      io.stdout.write(`${tty && !options.once ? CLEAR : ''}${title}\n${renderTop(rows)}\n${tty ? '' : '\n'}`);
      if (options.once) return EXIT.ok;
      before = now;
      at = t;
    }
  } catch (err) {
    if (err instanceof ApiUnreachable) {
      io.stderr.write(`chatflow top: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
