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

/** What an output hears of the announcements (of every control node: it picks those that feed it). */
export interface DueListener {
  /** `change` (the very event control node `node` will emit at the beat) is due at scheduler time `dueAt`. */
  due(node: string, change: ControlEvent, dueAt: number): void;
  /** An announced change will not be emitted (superseded, panic, reset, the node stopped). */
  withdrawn(node: string, change: ControlEvent): void;
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
  readonly #listeners = new Set<DueListener>();
  readonly #announced = new WeakSet<ControlEvent>();

  /** The announcer of control node `node`. */
  announcer(node: string): DueAnnouncer {
    return {
      announce: (change, dueAt) => {
        this.#announced.add(change);
        for (const listener of [...this.#listeners]) listener.due(node, change, dueAt);
      },
      withdraw: (change) => {
        if (!this.#announced.delete(change)) return;
        for (const listener of [...this.#listeners]) listener.withdrawn(node, change);
      },
    };
  }

  /** Listens to every node's announcements; returns the unsubscribe. */
  listen(listener: DueListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Whether `event` was announced (and not withdrawn) before it was emitted. */
  isAnnounced(event: ControlEvent): boolean {
    return this.#announced.has(event);
  }
}

/** The run's hub of early announcements (provided by `chatflow run` with a `clock:`; read by `control` and `osc`). */
export const DUE_CHANGES = serviceKey<DueChanges>('dueChanges');
