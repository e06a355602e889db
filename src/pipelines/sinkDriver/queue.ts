/**
 * The sink driver's buffer: a bounded FIFO that can also conflate by key (`when_full:
 * latest_per_key`; the default key is core/eventKey.ts).
 */
/**
 * A bounded FIFO on a growable ring. With keys, it remembers where each key's event waits so
 * `replace` is O(1) and the replaced event keeps its place in line.
 */
export class EventQueue<E> {
  readonly #capacity: number;
  readonly #slots: Map<string, number> | undefined;
  #items: Array<E | undefined>;
  #keys: Array<string | undefined>;
  #head = 0;
  #size = 0;
  /** Sequence number of the event at `#head`; an event's sequence never changes. */
  #headSeq = 0;

  constructor(capacity: number, keyed: boolean) {
    this.#capacity = capacity;
    this.#slots = keyed ? new Map() : undefined;
    this.#items = new Array<E | undefined>(Math.min(capacity, 64));
    this.#keys = keyed ? new Array<string | undefined>(this.#items.length) : [];
  }

  get length(): number {
    return this.#size;
  }

  push(event: E, key: string | undefined): void {
    if (this.#size === this.#items.length) this.#grow();
    const i = (this.#head + this.#size) % this.#items.length;
    this.#items[i] = event;
    if (this.#slots && key !== undefined) {
      this.#keys[i] = key;
      this.#slots.set(key, this.#headSeq + this.#size);
    }
    this.#size += 1;
  }

  /** Puts `event` in place of the waiting event with the same key; false when there is none. */
  replace(key: string, event: E): boolean {
    const seq = this.#slots?.get(key);
    if (seq === undefined) return false;
    this.#items[(this.#head + seq - this.#headSeq) % this.#items.length] = event;
    return true;
  }

  /** Removes the oldest event. */
  shift(): void {
    if (this.#size > 0) this.#removeHead();
  }

  /** Removes and returns up to `max` of the oldest events. */
  take(max: number): E[] {
    const n = Math.min(max, this.#size);
    const out = new Array<E>(n);
    for (let i = 0; i < n; i++) out[i] = this.#removeHead();
    return out;
  }

  clear(): void {
    this.#items.fill(undefined);
    this.#keys.fill(undefined);
    this.#slots?.clear();
    this.#headSeq += this.#size;
    this.#head = 0;
    this.#size = 0;
  }

  #removeHead(): E {
    const i = this.#head;
    const event = this.#items[i] as E;
    this.#items[i] = undefined;
    if (this.#slots) {
      const key = this.#keys[i];
      if (key !== undefined) {
        this.#keys[i] = undefined;
        if (this.#slots.get(key) === this.#headSeq) this.#slots.delete(key);
      }
    }
    this.#head = (i + 1) % this.#items.length;
    this.#headSeq += 1;
    this.#size -= 1;
    return event;
  }

  #grow(): void {
    const length = Math.min(this.#capacity, this.#items.length * 2);
    const items = new Array<E | undefined>(length);
    const keys = this.#slots ? new Array<string | undefined>(length) : [];
    for (let j = 0; j < this.#size; j++) {
      const from = (this.#head + j) % this.#items.length;
      items[j] = this.#items[from];
      if (this.#slots) keys[j] = this.#keys[from];
    }
    this.#items = items;
    this.#keys = keys;
    this.#head = 0;
  }
}
