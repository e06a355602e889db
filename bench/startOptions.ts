/**
 * The node options `npm start` gives chatflow (package.json's `start` script: V8's helper
 * threads, and whatever else is set there), read so that every bench runs chatflow with them:
 * the soak's child process gets them on its command line, and `npm run bench` itself, which
 * runs the other benches' graphs in its own process, starts again with them when it lacks them.
 * Such options are only read when node starts; a bench without them would measure another
 * process than the one a streamer runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** The node options (`--…` before `bin/chatflow.js`) of an npm script such as package.json's `start`. */
export function nodeOptionsOf(script: string): string[] {
  const words = script.trim().split(/\s+/);
  if (words[0] !== 'node') return [];
  const entry = words.findIndex((w) => w.endsWith('chatflow.js'));
  return words.slice(1, entry < 0 ? 1 : entry).filter((w) => w.startsWith('--'));
}

/** `npm start`'s node options, from the package.json at `manifestUrl`. */
export async function startOptions(manifestUrl: URL): Promise<string[]> {
  const manifest = JSON.parse(await readFile(manifestUrl, 'utf8')) as { scripts?: { start?: string } };
  return nodeOptionsOf(manifest.scripts?.start ?? '');
}

/**
 * The command line to run this process again with the `wanted` options it lacks, before its own
 * (`execArgv`: tsx's loader among them) and its script and arguments (`argv`); undefined when it
 * has them all.
 */
export function rerunArgs(wanted: readonly string[], execArgv: readonly string[], argv: readonly string[]): string[] | undefined {
  const missing = wanted.filter((option) => !execArgv.includes(option));
  return missing.length === 0 ? undefined : [...missing, ...execArgv, ...argv.slice(1)];
}

/**
 * Runs `args` with this node and resolves to its exit code. A Ctrl-C reaches both processes from
 * the terminal: this one waits for the child rather than ending before it; a SIGTERM is passed on.
 */
export function rerun(args: readonly string[]): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, args, { stdio: 'inherit' });
  const onInt = () => {};
  const onTerm = () => child.kill('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
