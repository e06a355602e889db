/**
 * Starts a sink's worker thread from its TypeScript or JavaScript entry. chatflow runs its
 * TypeScript sources through tsx (bin/chatflow.js), which a worker does not inherit, and tsx in
 * a worker costs most of a second of compiling; so a `.ts` entry is bundled into one script with
 * esbuild and the worker evaluates that. Compiled JavaScript (a `.js` entry) is started as it is.
 * Used by the osc sink's output stage and the postgres sink's writer thread.
 */
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { buildThenStop } from '../../core/esbuildBuild.js';

/** How a worker's entry is started: a compiled file, or the code of its bundle. */
export type WorkerScript = { readonly file: URL } | { readonly code: string };

/**
 * The script of the entry `name` beside `moduleUrl` (the caller's `import.meta.url`): the `.js`
 * file when running compiled, otherwise its esbuild bundle. Bundle once per sink and reuse it
 * for restarts. `external`: packages left to `require` (optional native add-ons).
 */
export async function workerScript(moduleUrl: string, name: string, external: readonly string[] = []): Promise<WorkerScript> {
  if (!moduleUrl.endsWith('.ts')) return { file: new URL(`./${name}.js`, moduleUrl) };
  const result = await buildThenStop({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, moduleUrl))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: [...external],
    write: false,
    logLevel: 'silent',
  });
  return { code: result.outputFiles?.[0]?.text ?? '' };
}

/** Starts a worker running `script`. */
export function startWorker(script: WorkerScript, options: WorkerOptions): Worker {
  return 'file' in script ? new Worker(script.file, options) : new Worker(script.code, { ...options, eval: true });
}
