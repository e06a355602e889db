/**
 * What a thread allocated on its V8 heap over a window, from `v8.GCProfiler`'s record of every
 * collection in it: the heap's growth between collections (used before each one less used after
 * the one before), which does not depend on how long a collection took or on the machine's
 * load, unlike the collections' durations. gc-share compares changes by it.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';

/** The part of a `GCProfiler` record read here. */
export interface GcRecord {
  readonly gcType: string;
  readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
}

/**
 * Bytes allocated from `startUsed` (the heap's used size when the window opened) through the
 * collections `records`, in order, to `endUsed` (its used size when the window closed).
 */
export function allocatedBytes(startUsed: number, records: readonly GcRecord[], endUsed: number): number {
  let allocated = 0;
  let used = startUsed;
  for (const r of records) {
    allocated += Math.max(0, r.beforeGC.heapStatistics.usedHeapSize - used);
    used = r.afterGC.heapStatistics.usedHeapSize;
  }
  return allocated + Math.max(0, endUsed - used);
}

/** Watches this thread's heap from now; `stop()` gives what was allocated and the collections by type. */
export function watchAllocation(): { stop(): { bytes: number; collections: Record<string, number> } } {
  const profiler = new GCProfiler();
  const startUsed = getHeapStatistics().used_heap_size;
  profiler.start();
  return {
    stop: () => {
      const endUsed = getHeapStatistics().used_heap_size;
      const records = (profiler.stop()?.statistics ?? []) as unknown as GcRecord[];
      const collections: Record<string, number> = {};
      for (const r of records) collections[r.gcType] = (collections[r.gcType] ?? 0) + 1;
      return { bytes: allocatedBytes(startUsed, records, endUsed), collections };
    },
  };
}
