/**
 * How long the `postgres` sink's main side may hold a turn of the event loop handing a batch to
 * its writer thread. A quarter of a millisecond at least (about 500 chat events), or a quarter
 * of the time the rest of the loop took before coming back: on a loop turning every
 * millisecond the sink holds it as briefly as it always did, and on a loop so busy that a turn
 * takes tens of milliseconds (the pipeline flat out, or starved of CPU) it still gets a fifth of
 * the loop rather than a few hundred events per turn, which let its backlog grow without end.
 */

/** The least time a turn may be held, ms. */
export const MIN_TURN_MS = 0.25;
/** The share of the rest of the loop's time a turn may be held for. */
export const TURN_SHARE = 0.25;

export class TurnBudget {
  readonly #clock: () => number;
  #turnStart: number;
  #budget = MIN_TURN_MS;

  /** @param clock A monotonic clock, ms (`performance.now`). */
  constructor(clock: () => number) {
    this.#clock = clock;
    this.#turnStart = clock();
  }

  /** Whether this turn's time is used up: yield with {@link next} before going on. */
  get spent(): boolean {
    return this.#clock() - this.#turnStart >= this.#budget;
  }

  /** Waits for the next turn (`turn`), and sets that turn's budget from how long it took to come. */
  async next(turn: () => Promise<void>): Promise<void> {
    const before = this.#clock();
    await turn();
    const now = this.#clock();
    this.#budget = Math.max(MIN_TURN_MS, (now - before) * TURN_SHARE);
    this.#turnStart = now;
  }
}
