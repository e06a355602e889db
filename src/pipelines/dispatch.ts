/**
 * The terminal subscribers of an operator's output: they hand each value to the node's ports.
 * They extend `Subscriber` (rather than being observer objects) because RxJS wraps a plain
 * observer in two more layers, and this sits on every hop of the hot path.
 */
import { Subscriber } from 'rxjs';
import { mirrorsToDefault, type Routed } from '../core/component.js';
import type { ChatflowEvent } from '../core/events.js';
import type { NodeMetrics } from '../core/metrics.js';
import type { ProcessingTimer } from './measure.js';
import type { ChainEnd } from './restart.js';
import type { NodePorts, OutputPort } from './ports.js';

/** Where a dispatcher sends errors and completion instead of passing them on. */
export type DispatchEnd = ChainEnd;

abstract class DispatchSubscriber<T> extends Subscriber<T> {
  constructor(private readonly end: DispatchEnd) {
    super();
  }

  protected override _error(err: unknown): void {
    try {
      this.end.error(err);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.end.complete();
    } finally {
      this.unsubscribe();
    }
  }
}

/** For an operator with one output: every value goes to the default port. */
export class SingleDispatch extends DispatchSubscriber<ChatflowEvent> {
  constructor(
    private readonly port: OutputPort,
    private readonly timer: ProcessingTimer,
    end: DispatchEnd,
  ) {
    super(end);
  }

  // `next` itself, not `_next`: skips a megamorphic hop inside Subscriber.next.
  override next(event: ChatflowEvent): void {
    if (this.isStopped) return;
    if (this.timer.start >= 0) this.timer.outputSeen();
    this.port.emit(event);
  }
}

/** For a ported operator: each {@link Routed} value goes to its port (and maybe the default). */
export class RoutedDispatch extends DispatchSubscriber<Routed> {
  readonly #main: OutputPort;

  constructor(
    private readonly ports: NodePorts,
    /** The definition's `mirrorToDefault` (see {@link mirrorsToDefault}). */
    private readonly mirror: boolean | readonly string[] | undefined,
    private readonly metrics: NodeMetrics,
    private readonly timer: ProcessingTimer,
    end: DispatchEnd,
  ) {
    super(end);
    this.#main = ports.get('');
  }

  // `next` itself, not `_next`: skips a megamorphic hop inside Subscriber.next.
  override next({ port, event }: Routed): void {
    if (this.isStopped) return;
    if (this.timer.start >= 0) this.timer.outputSeen();
    if (port === '') {
      this.#main.emit(event);
      return;
    }
    const target = this.ports.find(port);
    if (!target) {
      this.metrics.drop(`unknown_port:${port}`, false);
      return;
    }
    target.emit(event);
    if (this.#main.consumed && mirrorsToDefault(this.mirror, port)) this.#main.emit(event);
  }
}

/**
 * For a source: every event goes to its port; the first one after a (re)connect also calls
 * `onFirst` (health, backoff reset).
 */
export class SourceDispatch extends DispatchSubscriber<ChatflowEvent> {
  #first = true;

  constructor(
    private readonly port: OutputPort,
    private readonly onFirst: () => void,
    end: DispatchEnd,
  ) {
    super(end);
  }

  // `next` itself, not `_next`: skips a megamorphic hop inside Subscriber.next.
  override next(event: ChatflowEvent): void {
    if (this.isStopped) return;
    if (this.#first) {
      this.#first = false;
      this.onFirst();
    }
    this.port.emit(event);
  }
}
