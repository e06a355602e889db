/**
 * The per-process control bus: moderator actions that do not come from chat (the dashboard's
 * `POST /api/control/pause|resume|panic`) reach every running `control` operator through it.
 * The CLI makes one per runtime and provides it in `resources.services` under {@link CONTROL_BUS};
 * each `control` node subscribes to {@link ControlBus.actions} for as long as it runs.
 */
import { Observable } from 'rxjs';
import { serviceKey } from './services.js';

/** Actions the bus carries; the same verbs as `!cv pause|resume|panic`. */
export const BUS_VERBS = ['pause', 'resume', 'panic'] as const;
export type BusVerb = (typeof BUS_VERBS)[number];

/** One moderator action from outside chat. */
export interface ControlAction {
  readonly verb: BusVerb;
  /** Who asked, for logs and the control events' `origin` trail (`api`). */
  readonly source: string;
}

/**
 * A tiny multicast of {@link ControlAction}s: `send` delivers synchronously to every
 * subscriber and says how many there were, so the API can tell "no control node is running"
 * apart from "done".
 *
 * ```ts
 * const bus = new ControlBus();
 * bus.actions.subscribe((a) => log.info({ verb: a.verb }, 'Control action.'));
 * bus.send({ verb: 'panic', source: 'api' }); // → 1
 * ```
 */
export class ControlBus {
  readonly #listeners = new Set<(action: ControlAction) => void>();

  /** Every action sent while subscribed (hot; nothing is replayed). */
  readonly actions: Observable<ControlAction> = new Observable<ControlAction>((subscriber) => {
    const listener = (action: ControlAction) => subscriber.next(action);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  });

  /** Control nodes listening now. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /** Delivers `action` to every listener; returns how many received it. */
  send(action: ControlAction): number {
    const listeners = [...this.#listeners];
    for (const listener of listeners) listener(action);
    return listeners.length;
  }
}

/** The process's control bus in `resources.services` (provided by the CLI, used by `control`). */
export const CONTROL_BUS = serviceKey<ControlBus>('controlBus');
