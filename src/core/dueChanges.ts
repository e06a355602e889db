/**
 * Changes announced before their beat (issue 20): a `control` node that holds an `on_beat`
 * change until its grid point announces it here as soon as it decides it, with the scheduler
 * time it is due at, so an output with a clock of its own (the `osc` sink's output stage) can
 * release it on that clock instead of the main loop's timer. Everything else still gets the
 * change from `control`'s port at the beat: this is a side channel, read only by outputs that
 * release the change themselves and then skip the same event when it arrives (`isAnnounced`).
 *
 * The CLI provides one per run under {@link DUE_CHANGES} when the pipeline has a `clock:`;
 * virtual-time runs do not, so previews and `chatflow test` are as without it.
 */
import { serviceKey } from './services.js';
import type { ControlEvent } from './events.js';

/** What an output hears of one control node's announcements. */
export interface DueListener {
  /** `change` (the very event `control` will emit at the beat) is due at scheduler time `dueAt`. */
  due(change: ControlEvent, dueAt: number): void;
  /** An announced change will not be emitted (superseded, panic, reset, the node stopped). */
  withdrawn(change: ControlEvent): void;
}

/** What one `control` node announces through. */
export interface DueAnnouncer {
  announce(change: ControlEvent, dueAt: number): void;
  withdraw(change: ControlEvent): void;
}

/**
 * The hub: announcements by node id, delivered synchronously to the outputs listening to that
 * node. It remembers announced events weakly, so an output can tell the event it already
 * released when it arrives through the graph.
 */
export class DueChanges {
  readonly #listeners = new Map<string, Set<DueListener>>();
  readonly #announced = new WeakSet<ControlEvent>();

  /** The announcer of control node `node`. */
  announcer(node: string): DueAnnouncer {
    return {
      announce: (change, dueAt) => {
        this.#announced.add(change);
        for (const listener of [...(this.#listeners.get(node) ?? [])]) listener.due(change, dueAt);
      },
      withdraw: (change) => {
        if (!this.#announced.delete(change)) return;
        for (const listener of [...(this.#listeners.get(node) ?? [])]) listener.withdrawn(change);
      },
    };
  }

  /** Listens to the announcements of node `node`; returns the unsubscribe. */
  listen(node: string, listener: DueListener): () => void {
    let set = this.#listeners.get(node);
    if (set === undefined) this.#listeners.set(node, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(node) === set) this.#listeners.delete(node);
    };
  }

  /** Whether `event` was announced (and not withdrawn) before it was emitted. */
  isAnnounced(event: ControlEvent): boolean {
    return this.#announced.has(event);
  }
}

/** The run's hub of early announcements (provided by `chatflow run` with a `clock:`; read by `control` and `osc`). */
export const DUE_CHANGES = serviceKey<DueChanges>('dueChanges');
