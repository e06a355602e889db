/**
 * The sink driver's buffer: a bounded FIFO that can also conflate by key (`when_full:
 * latest_per_key`; the default key is core/eventKey.ts).
 */
import { LatestPerKey } from '../../core/latestPerKey.js';

/**
 * A bounded FIFO on a growable ring. With keys, a keyed event's place in line holds only its
 * key, and the event itself waits in a {@link LatestPerKey}, so `replace` is O(1), goes through
 * the one "latest value wins" implementation, and the newer event keeps the older one's place.
 */
export class EventQueue<E> {
  readonly #capacity: number;
  readonly #latest: LatestPerKey<E> | undefined;
  /** An unkeyed event, or undefined where `#keys` names the key whose event waits in `#latest`. */
  #items: Array<E | undefined>;
  #keys: Array<string | undefined>;
  #head = 0;
  #size = 0;

  /**
   * @param keyed Whether events pushed with a key can be replaced by a newer one of that key.
   * @param onSuperseded Receives each event replaced before it was taken.
   */
  constructor(capacity: number, keyed: boolean, onSuperseded: (event: E) => void = () => {}) {
    this.#capacity = capacity;
    this.#latest = keyed ? new LatestPerKey<E>(onSuperseded) : undefined;
    this.#items = new Array<E | undefined>(Math.min(capacity, 64));
    this.#keys = keyed ? new Array<string | undefined>(this.#items.length) : [];
  }

  get length(): number {
    return this.#size;
  }

  /** Appends `event`; with a key, only when no event of that key waits (else `replace` it). */
  push(event: E, key: string | undefined): void {
    if (this.#size === this.#items.length) this.#grow();
    const i = (this.#head + this.#size) % this.#items.length;
    if (this.#latest && key !== undefined) {
      this.#keys[i] = key;
      this.#latest.hold(key, event);
    } else {
      this.#items[i] = event;
    }
    this.#size += 1;
  }

  /** Puts `event` in place of the waiting event with the same key; false when there is none. */
  replace(key: string, event: E): boolean {
    return this.#latest?.replace(key, event) ?? false;
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
    this.#latest?.clear();
    this.#head = 0;
    this.#size = 0;
  }

  #removeHead(): E {
    const i = this.#head;
    let event = this.#items[i] as E;
    this.#items[i] = undefined;
    if (this.#latest) {
      const key = this.#keys[i];
      if (key !== undefined) {
        this.#keys[i] = undefined;
        event = this.#latest.take(key) as E;
      }
    }
    this.#head = (i + 1) % this.#items.length;
    this.#size -= 1;
    return event;
  }

  #grow(): void {
    const length = Math.min(this.#capacity, this.#items.length * 2);
    const items = new Array<E | undefined>(length);
    const keys = this.#latest ? new Array<string | undefined>(length) : [];
    for (let j = 0; j < this.#size; j++) {
      const from = (this.#head + j) % this.#items.length;
      items[j] = this.#items[from];
      if (this.#latest) keys[j] = this.#keys[from];
    }
    this.#items = items;
    this.#keys = keys;
    this.#head = 0;
  }
}
