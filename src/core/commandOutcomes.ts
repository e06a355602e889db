/**
 * What became of a command that came from a channel-points redemption: applied, or refused and
 * why. `parse_command`, `throttle`, `cooldown` and `control` report here, only for commands whose
 * chat carries a `redemption` (every other command costs one field check); the `twitch_events`
 * source that emitted the redemption listens and settles it through Helix: FULFILLED when
 * applied, CANCELED (the viewer gets the points back) when refused.
 *
 * The CLI makes one per runtime and provides it in `resources.services` under
 * {@link COMMAND_OUTCOMES}, like the control bus; without it nothing is reported and a
 * redemption is settled by its source's `settle_timeout`.
 */
import { Observable } from 'rxjs';
import { type ChatflowEvent, chatOf, type RedemptionRef } from './events.js';
import { serviceKey } from './services.js';

/** Why a command was refused, as the operators count it (`throttled`, `cooldown`, `locked`…). */
export type RefusalReason = string;

/** One command's outcome. */
export interface CommandOutcome {
  readonly redemption: RedemptionRef;
  /** `applied`: a control change was made of it. `refused`: an operator dropped it. */
  readonly outcome: 'applied' | 'refused';
  /** The drop reason for a refusal (`throttled`, `cooldown`, `invalid_args`, `locked`, `paused`…); `applied` otherwise. */
  readonly reason: RefusalReason;
}

/** A tiny synchronous multicast of {@link CommandOutcome}s (hot; nothing is replayed). */
export class CommandOutcomes {
  readonly #listeners = new Set<(outcome: CommandOutcome) => void>();

  readonly outcomes: Observable<CommandOutcome> = new Observable<CommandOutcome>((subscriber) => {
    const listener = (outcome: CommandOutcome) => subscriber.next(outcome);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  });

  /** Delivers `outcome` to every listener; returns how many received it. */
  report(outcome: CommandOutcome): number {
    const listeners = [...this.#listeners];
    for (const listener of listeners) listener(outcome);
    return listeners.length;
  }
}

/** The process's outcome bus in `resources.services` (provided by the CLI). */
export const COMMAND_OUTCOMES = serviceKey<CommandOutcomes>('commandOutcomes');

/** What an operator calls where it applies or refuses an event; a no-op for non-redemptions. */
export type OutcomeReporter = (event: ChatflowEvent, outcome: CommandOutcome['outcome'], reason: RefusalReason) => void;

/** Reports to `bus` the outcome of events that came from a redemption; nothing without a bus. */
export function outcomeReporter(bus: CommandOutcomes | undefined): OutcomeReporter | undefined {
  if (bus === undefined) return undefined;
  return (event, outcome, reason) => {
    const redemption = chatOf(event)?.redemption;
    if (redemption !== undefined) bus.report({ redemption, outcome, reason });
  };
}
