/**
 * Inputs a live reload can re-point without re-subscribing anyone: a node's merged input whose
 * ports can change under its subscribers ({@link SwitchInput}), and a sink's input whose feed (its
 * ports, or a fused chain) can change under the sink's driver ({@link SinkRelay}). Both swap
 * synchronously, so no event arrives between the old wiring and the new one.
 */
import { Observable, type Subscriber, Subscription } from 'rxjs';
import type { ChatflowEvent } from '../core/events.js';
import type { InputWrapper, OutputPort, PortListener } from './ports.js';

const unwrapped: InputWrapper = (downstream) => (event) => downstream.next(event);

interface Attachment {
  readonly subscriber: Subscriber<ChatflowEvent>;
  readonly next: (event: ChatflowEvent) => void;
  removers: (() => void)[];
}

/**
 * The merged input of a node: each event goes through `wrap` (counting, timing) to the
 * subscriber, with one function call per hop; {@link setPorts} moves every live subscriber to
 * other ports. Completes a subscriber when every port it listens to has completed.
 */
export class SwitchInput {
  #ports: readonly OutputPort[];
  readonly #attached = new Set<Attachment>();

  constructor(
    ports: readonly OutputPort[],
    private readonly wrap: InputWrapper = unwrapped,
  ) {
    this.#ports = ports;
  }

  get ports(): readonly OutputPort[] {
    return this.#ports;
  }

  readonly events$: Observable<ChatflowEvent> = new Observable<ChatflowEvent>((subscriber) => this.attach(subscriber));

  /** Sends the input's events to `subscriber` until the returned function is called. */
  attach(subscriber: Subscriber<ChatflowEvent>): () => void {
    const attachment: Attachment = { subscriber, next: this.wrap(subscriber), removers: [] };
    this.#attached.add(attachment);
    this.#bind(attachment);
    return () => {
      this.#attached.delete(attachment);
      for (const remove of attachment.removers) remove();
      attachment.removers = [];
    };
  }

  /** Moves every subscriber to `ports` (nothing happens when they are the same ports). */
  setPorts(ports: readonly OutputPort[]): void {
    if (ports.length === this.#ports.length && ports.every((p, i) => p === this.#ports[i])) return;
    this.#ports = ports;
    for (const attachment of [...this.#attached]) {
      for (const remove of attachment.removers) remove();
      attachment.removers = [];
      this.#bind(attachment);
    }
  }

  #bind(attachment: Attachment): void {
    const ports = this.#ports;
    const { subscriber } = attachment;
    if (ports.length === 0) {
      subscriber.complete();
      return;
    }
    let open = ports.length;
    // A fresh listener per binding: a port left behind can no longer count as completed.
    let bound = true;
    const listener: PortListener = {
      next: attachment.next,
      complete: () => {
        if (!bound) return;
        open -= 1;
        if (open === 0) subscriber.complete();
      },
    };
    const removers = ports.map((port) => port.listen(listener));
    attachment.removers = [
      () => {
        bound = false;
      },
      ...removers,
    ];
  }
}

/** What feeds a sink: given the driver's subscriber, starts sending to it; the result stops that. */
export type SinkFeed = (subscriber: Subscriber<ChatflowEvent>) => Subscription | (() => void);

/**
 * A sink's input as its driver subscribes to it once, for its whole life; what feeds it (its
 * ports, or the fused chain that ends in it) is attached and detached under it. The driver's
 * subscriber is handed to the feed as is, so the relay costs nothing per event.
 */
export class SinkRelay {
  #subscriber: Subscriber<ChatflowEvent> | undefined;
  #feed: SinkFeed | undefined;
  #stop: (() => void) | undefined;

  readonly events$: Observable<ChatflowEvent> = new Observable<ChatflowEvent>((subscriber) => {
    this.#subscriber = subscriber;
    this.#start();
    return () => {
      this.#detach();
      this.#subscriber = undefined;
    };
  });

  /** Whether the sink is subscribed and its input has not ended. */
  get open(): boolean {
    return this.#subscriber !== undefined && !this.#subscriber.closed;
  }

  /**
   * Makes `feed` the one feeding the sink (stopping the previous one first).
   * @returns What detaches `feed`, if it is still the one attached.
   */
  attach(feed: SinkFeed): Subscription {
    this.#detach();
    this.#feed = feed;
    this.#start();
    return new Subscription(() => {
      if (this.#feed !== feed) return;
      this.#detach();
      this.#feed = undefined;
    });
  }

  /** Stops whatever feeds the sink; the sink keeps its subscription and receives nothing. */
  detach(): void {
    this.#detach();
    this.#feed = undefined;
  }

  #start(): void {
    const subscriber = this.#subscriber;
    if (subscriber === undefined || subscriber.closed || this.#feed === undefined) return;
    const stop = this.#feed(subscriber);
    this.#stop = typeof stop === 'function' ? stop : () => stop.unsubscribe();
  }

  #detach(): void {
    const stop = this.#stop;
    this.#stop = undefined;
    stop?.();
  }
}
