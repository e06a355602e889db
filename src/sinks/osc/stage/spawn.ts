/**
 * Starts the output stage's worker thread. chatflow runs its TypeScript sources through tsx
 * (bin/chatflow.js), which a worker does not inherit, and tsx in a worker costs most of a
 * second of compiling; so the stage is bundled into one small script with esbuild (about
 * 23 KB, RxJS tree-shaken to nothing) and the worker evaluates that. Compiled JavaScript
 * (a `.js` worker beside this file) is started as it is.
 */
import { fileURLToPath } from 'node:url';
import { type MessagePort, Worker } from 'node:worker_threads';
import type { StageInit } from './protocol.js';

export async function startStageWorker(init: StageInit, port: MessagePort): Promise<Worker> {
  const options = { workerData: { init, port }, transferList: [port] };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), options);
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text ?? '';
  return new Worker(code, { ...options, eval: true });
}
