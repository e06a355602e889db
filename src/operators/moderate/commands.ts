/**
 * Moderator commands `moderate` reads from chat: `!permit <user>` (links allowed for a while)
 * and `!nuke <phrase> [duration]` (every recent and upcoming message holding the phrase is
 * removed, on every platform), with the state they need.
 */
import { z } from 'zod';
import { type ChatEvent, ROLES } from '../../core/events.js';
import { duration, parseDuration } from '../../core/units.js';
import { DEFAULT_EXEMPT } from './rule.js';
import { compileWords, type WordMatcher } from './words.js';

export const NukeConfig = z
  .strictObject({
    command: z
      .string()
      .regex(/^[a-z0-9_-]{1,32}$/, 'A command name is lower-case letters, digits, `_` and `-`')
      .default('nuke')
      .describe('The command name after `command_prefix`: `!nuke <phrase> [duration]`.'),
    roles: z
      .array(z.enum(ROLES))
      .min(1)
      .default([...DEFAULT_EXEMPT])
      .describe('Who may nuke (any of these roles).'),
    lookback: duration()
      .prefault('60s')
      .describe('How far back already-passed messages holding the phrase are removed (verdict `delete`, reason `nuke`).'),
    duration: duration()
      .prefault('5m')
      .describe('How long upcoming messages holding the phrase are removed, when the command gives no duration.'),
    max_duration: duration().prefault('1h').describe('The longest duration a command may ask for.'),
    max_recent: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe('Most recent messages kept for the look-back (older ones are forgotten first).'),
    max_active: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(20)
      .describe('Most nukes active at once; a new one replaces the one ending soonest.'),
    exempt: z
      .array(z.enum(ROLES))
      .default([...DEFAULT_EXEMPT])
      .describe('Authors holding any of these roles are never nuked.'),
  })
  .describe(
    '`!nuke <phrase> [duration]` from a moderator removes the phrase: messages of the last `lookback` (already passed) and every message for `duration` (`30s`, `10m`, or seconds), on every platform. The phrase is matched like a banned word (`*` wildcards).',
  );
export type NukeConfig = z.output<typeof NukeConfig>;

/** A moderator command found in a chat message. */
export type ModCommand =
  | { readonly kind: 'permit'; readonly login: string }
  | { readonly kind: 'nuke'; readonly phrase: string; readonly durationMs: number | undefined }
  | { readonly kind: 'invalid' };

const SPACES = /\s+/;
const SECONDS = /^\d{1,6}$/;

/**
 * The command `text` holds (`prefix` + `permit` or `nuke` name + arguments), or undefined.
 * Names are case-insensitive; the caller checks roles.
 */
export function parseModCommand(
  text: string,
  prefix: string,
  names: { readonly permit: string | undefined; readonly nuke: string | undefined },
): ModCommand | undefined {
  if (!text.startsWith(prefix)) return undefined;
  // The name first, without splitting the line: most commands are not these two.
  let end = prefix.length;
  while (end < text.length && text.charCodeAt(end) > 0x20) end++;
  const name = text.slice(prefix.length, end).toLowerCase();
  if (name === '' || (name !== names.permit && name !== names.nuke)) return undefined;
  const words = text.slice(prefix.length).trim().split(SPACES);
  if (name === names.permit) {
    const login = (words[1] ?? '').replace(/^@/, '').toLowerCase();
    return login === '' ? { kind: 'invalid' } : { kind: 'permit', login };
  }
  const args = words.slice(1);
  let durationMs: number | undefined;
  if (args.length >= 2) {
    const last = args[args.length - 1] as string;
    durationMs = SECONDS.test(last) ? Number(last) * 1000 : parseDuration(last);
    if (durationMs !== undefined) args.pop();
  }
  const phrase = args.join(' ');
  return phrase.replace(/[*\s]/g, '') === '' ? { kind: 'invalid' } : { kind: 'nuke', phrase, durationMs };
}

interface Nuke {
  readonly matcher: WordMatcher;
  readonly until: number;
}

/** The nukes active in one subscription. */
export class ActiveNukes {
  #nukes: Nuke[] = [];

  constructor(private readonly maxActive: number) {}

  get size(): number {
    return this.#nukes.length;
  }

  /** Starts a nuke of `phrase` until `until`; returns its matcher. */
  add(phrase: string, until: number): WordMatcher {
    const matcher = compileWords([phrase]);
    if (this.#nukes.length >= this.maxActive) {
      this.#nukes.sort((a, b) => a.until - b.until);
      this.#nukes.shift();
    }
    this.#nukes.push({ matcher, until });
    return matcher;
  }

  /** True when a nuke active at `now` matches one of `texts` (expired ones are dropped). */
  matches(texts: readonly string[], now: number): boolean {
    if (this.#nukes.length === 0) return false;
    if (this.#nukes.some((n) => n.until <= now)) this.#nukes = this.#nukes.filter((n) => n.until > now);
    for (const nuke of this.#nukes) for (const text of texts) if (nuke.matcher.match(text) !== undefined) return true;
    return false;
  }
}

/** A message that passed, kept for a nuke's look-back. */
export interface Recent {
  readonly chat: ChatEvent;
  readonly texts: readonly string[];
  readonly at: number;
  /** Already removed by a nuke. */
  nuked: boolean;
}

/** A ring of the last messages that passed. */
export class RecentMessages {
  readonly #ring: (Recent | undefined)[];
  #next = 0;

  constructor(max: number) {
    this.#ring = new Array<Recent | undefined>(max);
  }

  add(chat: ChatEvent, texts: readonly string[], at: number): void {
    this.#ring[this.#next] = { chat, texts, at, nuked: false };
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** The kept messages since `since` (exclusive), oldest first. */
  *since(since: number): Generator<Recent> {
    const n = this.#ring.length;
    for (let k = 0; k < n; k++) {
      const entry = this.#ring[(this.#next + k) % n];
      if (entry !== undefined && entry.at > since) yield entry;
    }
  }
}
