/**
 * Runtime-owned output ports. Every node's outputs are {@link OutputPort}s that live as long as
 * the pipeline does, so a node can be swapped (hot reload) without re-subscribing the others.
 *
 * A port is a plain list of listeners rather than an RxJS Subject: it sits between every pair
 * of nodes, and a Subject's extra subscriber layers cost about a third of the engine's
 * throughput (bench/engineOverhead.ts).
 */
import { Observable } from 'rxjs';
import type { ChatflowEvent } from '../core/events.js';
import type { Counter, NodeMetrics } from '../core/metrics.js';

export interface PortListener {
  next(event: ChatflowEvent): void;
  complete(): void;
}

export class OutputPort {
  #listeners: readonly PortListener[] = [];
  #completed = false;
  /** A tap's copy of what leaves (src/pipelines/tap.ts): one branch per event when none is set. */
  #tap: ((event: ChatflowEvent) => void) | undefined;
  readonly #sent: Counter;
  readonly #unconsumed: string;

  constructor(
    private readonly metrics: NodeMetrics,
    readonly name: string,
  ) {
    this.#sent = metrics.out(name);
    this.#unconsumed = name ? `no_consumer:${name}` : 'no_consumer';
  }

  /** Sends one event to every consumer; an event nobody consumes is counted as a drop. */
  emit(event: ChatflowEvent): void {
    this.#sent.value += 1;
    if (this.#tap !== undefined) this.#tap(event);
    const listeners = this.#listeners;
    if (listeners.length === 1) {
      (listeners[0] as PortListener).next(event);
    } else if (listeners.length === 0) {
      this.metrics.drop(this.#unconsumed, true);
    } else {
      for (const listener of listeners) listener.next(event);
    }
  }

  /**
   * Hands an event to the tap and every consumer without counting it or dropping it as
   * unconsumed: the hop to a fused consumer (src/pipelines/link.ts) has counted it already and
   * delivers it to that consumer itself; the port's listeners are the other consumers.
   */
  emitAside(event: ChatflowEvent): void {
    if (this.#tap !== undefined) this.#tap(event);
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as PortListener).next(event);
  }

  /** The tap (tests; the fused hop calls {@link emitAside}). */
  get tap(): ((event: ChatflowEvent) => void) | undefined {
    return this.#tap;
  }

  /** Ends the stream for every consumer, now and later (a late subscriber completes at once). */
  complete(): void {
    if (this.#completed) return;
    this.#completed = true;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener.complete();
  }

  /** Sets (or clears) the tap; it sees every event and is not a consumer (drops count as before). */
  setTap(tap: ((event: ChatflowEvent) => void) | undefined): void {
    this.#tap = tap;
  }

  get completed(): boolean {
    return this.#completed;
  }

  /** Whether anything listens: a mirrored copy need not be sent (or counted) otherwise. */
  get consumed(): boolean {
    return this.#listeners.length > 0;
  }

  /** Adds a consumer; returns the function that removes it. */
  listen(listener: PortListener): () => void {
    if (this.#completed) {
      listener.complete();
      return () => {};
    }
    // Copy on write: emit() iterates without guarding against changes mid-loop.
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** The port as an Observable, for consumers that want one. */
  get events$(): Observable<ChatflowEvent> {
    return new Observable<ChatflowEvent>((subscriber) =>
      this.listen({ next: (e) => subscriber.next(e), complete: () => subscriber.complete() }),
    );
  }
}

/** Something that takes the next event: the subscriber of a node's input. */
export interface Downstream {
  next(event: ChatflowEvent): void;
}

/** Builds a node's per-event input handler around the subscriber that hands an event on. */
export type InputWrapper = (downstream: Downstream) => (event: ChatflowEvent) => void;

/** The ports of one node: the default one ('') and its named ones. */
export class NodePorts {
  readonly #ports = new Map<string, OutputPort>();

  constructor(metrics: NodeMetrics, names: readonly string[]) {
    this.#ports.set('', new OutputPort(metrics, ''));
    for (const name of names) this.#ports.set(name, new OutputPort(metrics, name));
  }

  get(name: string): OutputPort {
    const port = this.#ports.get(name);
    if (!port) throw new Error(`Port "${name}" does not exist`);
    return port;
  }

  find(name: string): OutputPort | undefined {
    return this.#ports.get(name);
  }

  completeAll(): void {
    for (const port of this.#ports.values()) port.complete();
  }

  /** Every port, the default one first. */
  all(): OutputPort[] {
    return [...this.#ports.values()];
  }

  /** Whether any port has ended (the node was disabled, or its stream completed). */
  get ended(): boolean {
    for (const port of this.#ports.values()) if (port.completed) return true;
    return false;
  }

  /**
   * Adds the named ports of `names` it lacks and forgets the ones not in it (a node rebuilt by a
   * reload with other ports); returns those, for the caller to complete once their consumers
   * have moved.
   */
  reshape(metrics: NodeMetrics, names: readonly string[]): OutputPort[] {
    const keep = new Set(['', ...names]);
    const gone: OutputPort[] = [];
    for (const [name, port] of this.#ports) {
      if (keep.has(name)) continue;
      gone.push(port);
      this.#ports.delete(name);
    }
    for (const name of names) if (!this.#ports.has(name)) this.#ports.set(name, new OutputPort(metrics, name));
    return gone;
  }
}
