/**
 * Escalation for `moderate` (the model of Twitch Plays Pokémon's modbot): every rule that
 * catches a message gives its author points; points decay with a half-life; the points an
 * author holds turn a caught message's verdict into `delete`, `timeout` or `ban` past their
 * thresholds. The verdict is the severer of the rules' actions and the escalation's.
 */
import { z } from 'zod';
import type { Verdict } from '../../core/events.js';
import { duration } from '../../core/units.js';
import { scaled } from './rule.js';

export const EscalationConfig = z
  .strictObject({
    half_life: duration()
      .prefault('5m')
      .describe('Points halve every `half_life` (continuously): 4 points are 2 after 5 minutes, 1 after 10.'),
    delete: z
      .number()
      .positive()
      .nullable()
      .default(3)
      .describe('Points (after this message\'s) at which a caught message is deleted at least.'),
    timeout: z
      .number()
      .positive()
      .nullable()
      .default(6)
      .describe('Points at which a caught message times its author out at least.'),
    ban: z
      .number()
      .positive()
      .nullable()
      .default(12)
      .describe('Points at which a caught message bans its author.'),
  })
  .describe(
    'Points per caught message that decay over time, and the totals that escalate the verdict. A threshold of `null` is never reached. Thresholds are scaled down like every limit for first-time chatters and in strict mode.',
  );
export type EscalationConfig = z.output<typeof EscalationConfig>;

/** An author's escalation points, as of a time. */
export interface Points {
  points: number;
  at: number;
}

/** The points decayed from `state.at` to `now` with half-life `halfLifeMs`. */
export function decayed(state: Points, now: number, halfLifeMs: number): number {
  if (state.points === 0 || now <= state.at) return state.points;
  const points = state.points * 2 ** (-(now - state.at) / halfLifeMs);
  return points < 0.01 ? 0 : points;
}

/** Adds `points` to the decayed state at `now` and returns the total. */
export function addPoints(state: Points, points: number, now: number, halfLifeMs: number): number {
  const total = decayed(state, now, halfLifeMs) + points;
  state.points = total;
  state.at = now;
  return total;
}

/** The verdict `points` reach under `config`, with thresholds scaled by `strictness`. */
export function escalated(points: number, config: EscalationConfig, strictness: number): Verdict {
  if (config.ban !== null && points >= scaled(config.ban, strictness, 1)) return 'ban';
  if (config.timeout !== null && points >= scaled(config.timeout, strictness, 1)) return 'timeout';
  if (config.delete !== null && points >= scaled(config.delete, strictness, 1)) return 'delete';
  return 'allow';
}
