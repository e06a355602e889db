/**
 * Taps: read-only copies of what leaves a node's port, for `chatflow tap` and the dashboard.
 *
 * A tap is registered by `node.port` name, not on a port object, so it survives a reload that
 * rebuilds the node or gives it fresh ports: the runtime calls {@link TapRegistry.attach} after
 * every reload. The port only calls one function per event; each tap queues what it is given
 * (bounded) and hands it to its listener on the scheduler, so a slow listener never runs on the
 * pipeline's hot path. What a full queue cannot take is counted on the tap, not on the node.
 */
import type { SchedulerLike } from 'rxjs';
import type { ChatflowEvent } from '../core/events.js';
import type { OutputPort } from './ports.js';

export const TAP_QUEUE_MAX = 1000;

export interface TapOptions {
  /** Events the tap holds before it drops; default {@link TAP_QUEUE_MAX}. */
  readonly queueMax?: number;
}

export interface Tap {
  readonly node: string;
  readonly port: string;
  /** Events the tap's full queue could not take. */
  readonly dropped: number;
  /** Detaches the tap; idempotent. */
  close(): void;
}

export type TapListener = (event: ChatflowEvent) => void;

class QueuedTap implements Tap {
  dropped = 0;
  closed = false;
  readonly #queue: ChatflowEvent[] = [];
  #scheduled = false;

  constructor(
    readonly node: string,
    readonly port: string,
    private readonly listener: TapListener,
    private readonly queueMax: number,
    private readonly scheduler: SchedulerLike,
    readonly close: () => void,
  ) {}

  offer(event: ChatflowEvent): void {
    if (this.#queue.length >= this.queueMax) {
      this.dropped += 1;
      return;
    }
    this.#queue.push(event);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.scheduler.schedule(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    const batch = this.#queue.splice(0);
    for (const event of batch) {
      if (this.closed) return;
      this.listener(event);
    }
  }
}

const keyOf = (node: string, port: string) => `${node}.${port}`;

export class TapRegistry {
  /** The taps by `node.port`; a key is removed with its last tap. */
  readonly #taps = new Map<string, { node: string; port: string; taps: QueuedTap[] }>();
  /** The port each key's fan-out is set on now. */
  readonly #attached = new Map<string, OutputPort>();

  constructor(private readonly scheduler: SchedulerLike) {}

  /**
   * Adds a tap on `node`'s `port` ('' is the default one); call {@link attach} after. The tap
   * need not name a node that exists: it attaches once one does.
   */
  add(node: string, port: string, listener: TapListener, options: TapOptions = {}): Tap {
    const key = keyOf(node, port);
    const entry = this.#taps.get(key) ?? { node, port, taps: [] };
    this.#taps.set(key, entry);
    const tap: QueuedTap = new QueuedTap(node, port, listener, options.queueMax ?? TAP_QUEUE_MAX, this.scheduler, () => {
      if (tap.closed) return;
      tap.closed = true;
      entry.taps = entry.taps.filter((t) => t !== tap);
      if (entry.taps.length === 0) {
        this.#taps.delete(key);
        this.#attached.get(key)?.setTap(undefined);
        this.#attached.delete(key);
      } else {
        this.#attached.get(key)?.setTap(fanOut(entry.taps));
      }
    });
    entry.taps.push(tap);
    return tap;
  }

  /** Sets every tap on the port that `portOf` gives for it now (after a start or a reload). */
  attach(portOf: (node: string, port: string) => OutputPort | undefined): void {
    for (const [key, entry] of this.#taps) {
      const port = portOf(entry.node, entry.port);
      const before = this.#attached.get(key);
      if (before !== undefined && before !== port) before.setTap(undefined);
      if (port === undefined) {
        this.#attached.delete(key);
        continue;
      }
      port.setTap(fanOut(entry.taps));
      this.#attached.set(key, port);
    }
  }

  get size(): number {
    let n = 0;
    for (const entry of this.#taps.values()) n += entry.taps.length;
    return n;
  }
}

function fanOut(taps: readonly QueuedTap[]): (event: ChatflowEvent) => void {
  if (taps.length === 1) {
    const only = taps[0] as QueuedTap;
    return (event) => only.offer(event);
  }
  const all = [...taps];
  return (event) => {
    for (const tap of all) tap.offer(event);
  };
}
