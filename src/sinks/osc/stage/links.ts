/**
 * Connected UDP sockets to an `osc` sink's targets, with what each send came to: sent, no
 * receiver (a refusal, which {@link ReceiverWatch} turns into a state) or failed. The output
 * stage sends through one set on its thread; the main side opens its own for the values it
 * sends at once (stageSink.ts, "direct sends"). Sockets cannot cross threads, so each has its own.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { SchedulerLike } from 'rxjs';
import { isRefused, ReceiverWatch } from '../receiverWatch.js';
import type { OscTarget } from '../target.js';

/** See osc.ts: how long after a datagram no "port unreachable" must come to count as answering. */
export const CONFIRM_MS = 3000;

/** What the sends came to, one call per datagram and target. */
export interface LinkEvents {
  sent(): void;
  /** `no_receiver` (intentional: nothing listens) or `send_failed` (a loss). */
  drop(reason: 'no_receiver' | 'send_failed'): void;
  /** A send failed for another reason than a refusal. */
  sendError(message: string, code: string | undefined): void;
  /** Target `index`'s receiver changed state. */
  receiver(index: number, state: 'answering' | 'absent'): void;
}

interface Link {
  readonly socket: Socket;
  readonly watch: ReceiverWatch;
  readonly onSent: (err: Error | null) => void;
}

/** One connected socket per target. */
export class Links {
  #links: readonly Link[] = [];
  #inFlight = 0;
  #idle: (() => void) | undefined;

  private constructor() {}

  /**
   * Connects one socket per target, in order. Rejects (with every socket opened so far closed)
   * when a target cannot be reached: an unknown host, a bad address.
   */
  static async open(targets: readonly OscTarget[], scheduler: SchedulerLike, events: LinkEvents): Promise<Links> {
    const links = new Links();
    const onSent = (link: Link, err: Error | null) => links.#settle(link, err, events);
    const made: Link[] = [];
    try {
      for (let i = 0; i < targets.length; i++) made.push(await connect(targets[i] as OscTarget, i, scheduler, events, onSent));
    } catch (err) {
      for (const link of made) link.socket.close();
      throw err;
    }
    links.#links = made;
    return links;
  }

  /** Datagrams handed to the sockets whose callbacks have not come yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Sends one datagram to every target. */
  send(packet: Buffer): void {
    for (const link of this.#links) {
      this.#inFlight += 1;
      try {
        link.socket.send(packet, link.onSent);
      } catch (err) {
        link.onSent(err as Error);
      }
    }
  }

  /** Resolves once every datagram sent so far has left its socket (or failed). */
  settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const before = this.#idle;
      this.#idle = () => {
        before?.();
        resolve();
      };
    });
  }

  /** Closes every socket (after `settled()` for nothing to be cut short). */
  async close(): Promise<void> {
    for (const link of this.#links) link.watch.close();
    await Promise.all(this.#links.map((link) => new Promise<void>((resolve) => link.socket.close(() => resolve()))));
  }

  #settle(link: Link, err: Error | null, events: LinkEvents): void {
    this.#inFlight -= 1;
    if (err && isRefused(err)) {
      events.drop('no_receiver');
      link.watch.refused();
    } else if (err) {
      events.drop('send_failed');
      events.sendError(err.message, (err as NodeJS.ErrnoException).code);
    } else {
      events.sent();
      link.watch.sent();
    }
    if (this.#inFlight === 0 && this.#idle) {
      const resolve = this.#idle;
      this.#idle = undefined;
      resolve();
    }
  }
}

function connect(
  t: OscTarget,
  index: number,
  scheduler: SchedulerLike,
  events: LinkEvents,
  onSent: (link: Link, err: Error | null) => void,
): Promise<Link> {
  return new Promise<Link>((resolve, reject) => {
    const socket = createSocket(t.family);
    socket.once('error', reject);
    // A failed lookup comes to this callback (not as an `error` event).
    (socket.connect as (port: number, host: string, cb: (err?: Error) => void) => void)(t.port, t.host, (err) => {
      socket.removeListener('error', reject);
      if (err) {
        socket.close();
        reject(err);
        return;
      }
      const watch = new ReceiverWatch(scheduler, CONFIRM_MS, (state) => events.receiver(index, state));
      const link: Link = { socket, watch, onSent: (err) => onSent(link, err) };
      socket.on('error', (err) => {
        if (isRefused(err)) {
          events.drop('no_receiver');
          watch.refused();
        } else events.sendError(err.message, (err as NodeJS.ErrnoException).code);
      });
      resolve(link);
    });
  });
}
