/**
 * esbuild's `build`, with its service process stopped once no build is running. esbuild runs
 * every build in a child process (`esbuild --service`) that it keeps for the life of the
 * process, and reads its answers into a buffer that grows to twice the largest one and is never
 * shrunk. chatflow bundles at start (the sinks' worker threads, the dashboard and overlay pages)
 * and seldom after (a reload, a restarted thread), so a show kept that child (12–50 MiB of
 * resident memory) and the buffer (about 4 MiB of chatflow's own) for nothing
 * (docs/architecture.md, Memory). A build after the stop starts a new service.
 */
import type { BuildOptions, BuildResult } from 'esbuild';

/** What of esbuild's API is used: `build` and `stop`. */
export interface EsbuildApi {
  build(options: BuildOptions): Promise<BuildResult>;
  stop(): Promise<void>;
}

/** `build(options)`, with `esbuild`'s service stopped when the build ends and no other runs. */
export type BuildThenStop = (options: BuildOptions) => Promise<BuildResult>;

/** {@link BuildThenStop} over the esbuild `load` gives; it counts the builds it runs. */
export function stoppingBuilds(load: () => Promise<EsbuildApi>): BuildThenStop {
  let running = 0;
  return async (options) => {
    const esbuild = await load();
    running += 1;
    try {
      return await esbuild.build(options);
    } finally {
      running -= 1;
      // Synchronously after the count: no build can start between the two.
      if (running === 0) await esbuild.stop();
    }
  };
}

/**
 * esbuild's service is one per process (its module's own state), and so is this: every build
 * chatflow runs goes through it, so none is running when the service is stopped.
 */
export const buildThenStop: BuildThenStop = stoppingBuilds(() => import('esbuild'));
