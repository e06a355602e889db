/**
 * What every `moderate` rule shares: its action, its points, its role exemptions (the config
 * fields and their compiled form), the order of verdicts, and how strictness scales limits.
 */
import { z } from 'zod';
import { type ChatEvent, ROLES, type Role, type Verdict } from '../../core/events.js';

/** What a rule does to a message it catches, mildest first. */
export const ACTIONS = ['flag', 'delete', 'timeout', 'ban'] as const;
export type Action = (typeof ACTIONS)[number];

const RANK: Readonly<Record<Verdict, number>> = { allow: 0, flag: 1, delete: 2, timeout: 3, ban: 4 };

/** The severer of two verdicts (`ban` > `timeout` > `delete` > `flag` > `allow`). */
export function severer(a: Verdict, b: Verdict): Verdict {
  return RANK[b] > RANK[a] ? b : a;
}

/** Roles exempt from a rule unless it says otherwise. */
export const DEFAULT_EXEMPT: readonly Role[] = ['broadcaster', 'mod'];

/**
 * The fields every rule has: `action`, `points` and `exempt`, with this rule's defaults.
 * Spread them into the rule's `z.strictObject`.
 */
export function ruleFields(defaults: { action: Action; points: number }) {
  return {
    action: z
      .enum(ACTIONS)
      .default(defaults.action)
      .describe(
        'What a caught message gets: `flag` (reported on `flagged`, and still on `clean` with `on_flag: pass`), `delete`, `timeout` or `ban` (reported on `flagged`, never on `clean`). The verdict is the severest of every rule caught and escalation.',
      ),
    points: z
      .number()
      .min(0)
      .default(defaults.points)
      .describe('Escalation points the author gets each time this rule catches one of their messages.'),
    exempt: z
      .array(z.enum(ROLES))
      .default([...DEFAULT_EXEMPT])
      .describe('Authors holding any of these roles are never caught by this rule (e.g. `[broadcaster, mod, vip]`).'),
  };
}

/** The compiled common part of a rule. */
export interface RuleBase {
  /** The reason the rule gives (`banned_word`, `links`, …), also its metrics name. */
  readonly reason: string;
  /** `moderated_<reason>`, the count of messages it caught. */
  readonly counter: string;
  readonly action: Action;
  readonly points: number;
  readonly exempt: ReadonlySet<Role>;
  /** {@link exempt} as a {@link roleMask}. */
  readonly exemptMask: number;
}

const ROLE_BIT: Readonly<Record<Role, number>> = {
  broadcaster: 1,
  mod: 2,
  vip: 4,
  subscriber: 8,
  member: 16,
  verified: 32,
};

/** Roles as a bit mask, so a rule's exemption is one `&`. */
export function roleMask(roles: readonly Role[]): number {
  if (roles.length === 0) return 0;
  let mask = 0;
  for (let i = 0; i < roles.length; i++) mask |= ROLE_BIT[roles[i] as Role] ?? 0;
  return mask;
}

/** The compiled common part of a parsed rule config. */
export function ruleBase(reason: string, config: { action: Action; points: number; exempt: readonly Role[] }): RuleBase {
  return {
    reason,
    counter: `moderated_${reason}`,
    action: config.action,
    points: config.points,
    exempt: new Set(config.exempt),
    exemptMask: roleMask(config.exempt),
  };
}

/** True when the author of `chat` holds one of `exempt`. */
export function isExemptChat(chat: ChatEvent, exempt: ReadonlySet<Role>): boolean {
  if (exempt.size === 0) return false;
  for (const role of chat.author.roles) if (exempt.has(role)) return true;
  return false;
}

/**
 * A limit made stricter: `max × strictness` (strictness 1 is normal, 0.5 halves every limit),
 * never below `floor`.
 */
export function scaled(max: number, strictness: number, floor = 0): number {
  return strictness === 1 ? max : Math.max(floor, max * strictness);
}

/** A count limit made stricter: rounded down, never below `floor`. */
export function scaledCount(max: number, strictness: number, floor = 1): number {
  return strictness === 1 ? max : Math.max(floor, Math.floor(max * strictness));
}
