/**
 * Buffers for COPY text, reused from part to part. Each new buffer is native memory (malloc);
 * a batch's parts used to take a fresh 64 KiB buffer per table and double it (128 KiB, 256 KiB,
 * …) as it filled, several MiB a second at 10,000 messages/s, freed whenever V8 collected them.
 * In the writer thread that churn grew the thread's malloc arena by tens of MiB of resident
 * memory that glibc never gave back (docs/storage.md, Memory). Reused, a show holds a few
 * buffers of its largest part's size instead.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  readonly #max: number;

  /** Keeps at most `max` free buffers (the largest); more are left to the garbage collector. */
  constructor(max = 16) {
    this.#max = max;
  }

  /** Free buffers held. */
  get size(): number {
    return this.#free.length;
  }

  /** A buffer of at least `bytes`: the smallest free one that fits, or a new one. Its contents are not cleared. */
  take(bytes: number): Buffer {
    const free = this.#free;
    let best = -1;
    for (let i = 0; i < free.length; i++) {
      const length = (free[i] as Buffer).length;
      if (length >= bytes && (best < 0 || length < (free[best] as Buffer).length)) best = i;
    }
    if (best < 0) return Buffer.allocUnsafeSlow(bytes);
    const buf = free[best] as Buffer;
    free[best] = free[free.length - 1] as Buffer;
    free.pop();
    return buf;
  }

  /** Gives back a buffer nothing reads or writes any more. */
  give(buf: Buffer): void {
    const free = this.#free;
    free.push(buf);
    if (free.length <= this.#max) return;
    let smallest = 0;
    for (let i = 1; i < free.length; i++) if ((free[i] as Buffer).length < (free[smallest] as Buffer).length) smallest = i;
    free[smallest] = free[free.length - 1] as Buffer;
    free.pop();
  }
}
