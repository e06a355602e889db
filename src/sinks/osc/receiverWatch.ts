/**
 * Whether anything answers on an OSC target, as far as UDP can tell: a connected UDP socket
 * learns of ICMP "port unreachable" as `ECONNREFUSED` (`ECONNRESET` on Windows), either from
 * the next `send` or as an `error` event. Silence proves little on its own, so a receiver
 * counts as answering only once a datagram has gone out and no refusal followed within
 * `confirmMs`.
 */
import type { SchedulerLike, Subscription } from 'rxjs';

/** `unknown` until the first verdict; `absent` after a refusal; `answering` after a quiet spell. */
export type ReceiverState = 'unknown' | 'answering' | 'absent';

/** Error codes a connected UDP socket reports for "nothing listens on that port". */
const REFUSED_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET']);

/** True for an error that means "no receiver on that port" rather than a failed send. */
export function isRefused(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && REFUSED_CODES.has(code);
}

/**
 * The receiver state of one target. `onChange` is called once per change of state (never for
 * `unknown`), so a caller that logs there says each change once.
 *
 * ```text
 * confirmMs: 5                s: a datagram sent, r: a refusal reported
 * events:   s-r--s-r-s-----s
 * changes:  --a-----------A-  a: absent (the first refusal), A: answering (5 ms after the send
 *                             at 9 with no refusal; the send at 5 was refused at 7)
 * ```
 */
export class ReceiverWatch {
  #state: ReceiverState = 'unknown';
  #check: Subscription | undefined;

  /**
   * @param scheduler Timer of the confirmation.
   * @param confirmMs How long after a datagram no refusal must come for the receiver to count as answering.
   * @param onChange Called with the new state on every change.
   */
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly confirmMs: number,
    private readonly onChange: (state: Exclude<ReceiverState, 'unknown'>) => void,
  ) {}

  get state(): ReceiverState {
    return this.#state;
  }

  /** The socket reported a refusal: nothing listens there (now). */
  refused(): void {
    this.#check?.unsubscribe();
    this.#check = undefined;
    if (this.#state === 'absent') return;
    this.#state = 'absent';
    this.onChange('absent');
  }

  /** A datagram left the socket: unless a refusal follows within `confirmMs`, someone answers. */
  sent(): void {
    if (this.#state === 'answering' || this.#check !== undefined) return;
    this.#check = this.scheduler.schedule(() => {
      this.#check = undefined;
      this.#state = 'answering';
      this.onChange('answering');
    }, this.confirmMs);
  }

  /** Cancels a pending confirmation. */
  close(): void {
    this.#check?.unsubscribe();
    this.#check = undefined;
  }
}
