/**
 * Backpressure as a pausable source sees it (docs/storage.md, "Backpressure"). A sink whose
 * driver has `buffer.when_full: block` or a disk tier (`buffer.type: disk`) is **congested**
 * while its memory buffer is full (or, with a disk tier, while events wait on disk), until it
 * has drained to half; the runtime then pauses every source that declared `pausable: true`
 * and feeds that sink (through any operators). Live sources are never paused.
 *
 * The hot path stays free of per-event promises: a source reads the plain field
 * {@link SourceFlow.paused} before each event it emits, and when it finds it set, stops and
 * asks for one callback with {@link SourceFlow.onResume}.
 */

/** What a pausable source reads through `ctx.flow`. */
export interface SourceFlow {
  /**
   * True while a blocking sink this source feeds is congested. A plain field, cheap enough to
   * read before every event; it turns true synchronously inside the `next` that filled the sink.
   */
  readonly paused: boolean;
  /**
   * Calls `listener` once, on the scheduler (never inside the caller's stack), when the source
   * may go on: at the next resume, or in the next turn when it is not paused now. Returns a
   * function that cancels the call (for a source that is unsubscribed while it waits).
   */
  onResume(listener: () => void): () => void;
}

/** The flow of a source that is never paused: outside a pipeline, and for live sources. */
export const NEVER_PAUSED: SourceFlow = Object.freeze({
  paused: false,
  onResume: (listener: () => void) => {
    // Same contract as a gate that is not paused: later, never in the caller's stack.
    let cancelled = false;
    queueMicrotask(() => {
      if (!cancelled) listener();
    });
    return () => {
      cancelled = true;
    };
  },
});
