/**
 * Starts the output stage's worker thread: bundled by esbuild from `worker.ts` when running
 * from TypeScript (tsx in a worker costs most of a second of compiling; the bundle is about
 * 23 KB, RxJS tree-shaken to nothing), or `worker.js` as it is when compiled
 * (../../shared/workerScript.ts).
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { startWorker, workerScript } from '../../shared/workerScript.js';
import type { StageInit } from './protocol.js';

/**
 * The stage allocates little (a few messages per step); V8's default young generation would
 * still let its isolate grow by tens of MiB of resident memory before scavenging.
 */
const STAGE_LIMITS = { maxYoungGenerationSizeMb: 3 } as const;

export async function startStageWorker(init: StageInit, port: MessagePort): Promise<Worker> {
  return startWorker(await workerScript(import.meta.url, 'worker'), { workerData: { init, port }, transferList: [port], resourceLimits: STAGE_LIMITS });
}
