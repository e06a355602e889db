/** A source's health as the runtime hears it: each change once, the current state at hand. */
import type { SourceHealth } from '../../core/metrics.js';

export class HealthReport {
  #current: SourceHealth | undefined;
  readonly #setHealth: (health: SourceHealth) => void;

  constructor(setHealth: (health: SourceHealth) => void) {
    this.#setHealth = setHealth;
  }

  /** What was last reported; undefined before the first report. */
  get current(): SourceHealth | undefined {
    return this.#current;
  }

  /** Reports `next`, unless it is what was reported last. */
  readonly report = (next: SourceHealth): void => {
    if (next === this.#current) return;
    this.#current = next;
    this.#setHealth(next);
  };
}
