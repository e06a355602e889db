/**
 * How long the `postgres` sink's main side may hold a turn of the event loop handing a batch to
 * its writer thread. A quarter of a millisecond at least (about 500 chat events), or a share of
 * the time the rest of the loop took before coming back: a quarter for the batches of a show,
 * so on a loop turning every millisecond the sink holds it as briefly as it always did, and on a
 * loop so busy that a turn takes tens of milliseconds (the pipeline flat out, or starved of CPU)
 * it still gets a fifth of the loop rather than a few hundred events per turn, which let its
 * backlog grow without end; as much as the rest of the loop ({@link BEHIND_SHARE}) for a batch
 * as large as the sink's backlog makes them, when the handing over itself is what holds
 * PostgreSQL back (bench full-graph).
 */

/** The least time a turn may be held, ms. */
export const MIN_TURN_MS = 0.25;
/** The share of the rest of the loop's time a turn may be held for. */
export const TURN_SHARE = 0.25;
/**
 * The share for a batch of {@link BEHIND_EVENTS} or more: handing 20,000 events over at a
 * quarter share took 170 ms of turns at 80,000 messages/s, while the writer thread and
 * PostgreSQL, waiting for them, were idle a third of the time.
 */
export const BEHIND_SHARE = 1;
/** A batch this large (200 ms of 50,000 events/s) comes from a sink that is behind, or nearly. */
export const BEHIND_EVENTS = 10_000;

export class TurnBudget {
  readonly #clock: () => number;
  #turnStart: number;
  readonly #share: number;
  #budget = MIN_TURN_MS;

  /**
   * @param clock A monotonic clock, ms (`performance.now`).
   * @param share The share of the rest of the loop's time a turn may be held for.
   */
  constructor(clock: () => number, share = TURN_SHARE) {
    this.#clock = clock;
    this.#share = share;
    this.#turnStart = clock();
  }

  /** The budget for handing over a batch of `events`: {@link BEHIND_SHARE} from {@link BEHIND_EVENTS} on. */
  static forBatch(clock: () => number, events: number): TurnBudget {
    return new TurnBudget(clock, events >= BEHIND_EVENTS ? BEHIND_SHARE : TURN_SHARE);
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
    this.#budget = Math.max(MIN_TURN_MS, (now - before) * this.#share);
    this.#turnStart = now;
  }
}
