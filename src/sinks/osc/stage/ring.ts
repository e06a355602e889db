/**
 * A single-producer, single-consumer queue of byte records in a `SharedArrayBuffer`: how the
 * main side hands targets to the output stage without a lock. A `MessagePort` guards its queue
 * with a mutex the posting thread holds while it posts; a main thread preempted there (a normal
 * thread on busy cores) holds up the stage's real-time thread until it runs again. Here the
 * producer and the consumer only publish their positions with `Atomics.store`, after writing
 * (or reading) the bytes, so neither ever waits for the other.
 *
 * Layout: two Int32 positions (write, read: byte offsets into the data), then the data. Each
 * record is an Int32 length and its bytes, padded to 4; a length of −1 marks the unused end of
 * the data, the next record being at 0. One word always stays free, so equal positions mean
 * empty.
 */

const HEADER_BYTES = 8;
const WRAP = -1;
const pad4 = (n: number) => (n + 3) & ~3;

/** A ring's shared memory: `capacity` bytes of records (a multiple of 4). */
export function ringBuffer(capacity: number): SharedArrayBuffer {
  if (capacity < 16 || capacity % 4 !== 0) throw new RangeError('A ring holds a multiple of 4 bytes, at least 16');
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

class Ring {
  protected readonly positions: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly view: DataView;
  protected readonly capacity: number;

  constructor(sab: SharedArrayBuffer) {
    this.positions = new Int32Array(sab, 0, 2);
    this.capacity = sab.byteLength - HEADER_BYTES;
    this.data = new Uint8Array(sab, HEADER_BYTES, this.capacity);
    this.view = new DataView(sab, HEADER_BYTES, this.capacity);
  }
}

/** The producer's side (the main thread). */
export class RingWriter extends Ring {
  /** Appends one record; false when it does not fit now (the consumer is behind). */
  write(bytes: Uint8Array): boolean {
    const need = 4 + pad4(bytes.length);
    const w = Atomics.load(this.positions, 0);
    const r = Atomics.load(this.positions, 1);
    // Free bytes, one word kept free so that w === r means empty.
    const free = (r - w - 4 + this.capacity) % this.capacity;
    let at = w;
    if (w + need > this.capacity) {
      // Not enough room before the end: mark the rest unused and start again at 0.
      if (this.capacity - w + need > free) return false;
      this.view.setInt32(w, WRAP);
      at = 0;
    } else if (need > free) return false;
    this.view.setInt32(at, bytes.length);
    this.data.set(bytes, at + 4);
    const next = at + need;
    Atomics.store(this.positions, 0, next === this.capacity ? 0 : next);
    return true;
  }
}

/** The consumer's side (the output stage). */
export class RingReader extends Ring {
  /** The next record (a copy), or undefined when there is none. */
  read(): Uint8Array | undefined {
    let r = Atomics.load(this.positions, 1);
    const w = Atomics.load(this.positions, 0);
    if (r === w) return undefined;
    let length = this.view.getInt32(r);
    if (length === WRAP) {
      r = 0;
      length = this.view.getInt32(0);
    }
    const bytes = this.data.slice(r + 4, r + 4 + length);
    const next = r + 4 + pad4(length);
    Atomics.store(this.positions, 1, next === this.capacity ? 0 : next);
    return bytes;
  }
}
