/**
 * The declarative matcher shared by `filter`, `route` (and `moderate`): a config schema that
 * is also the docs, and a compiler that turns one config into a fast predicate, once per node.
 *
 * ```yaml
 * match: { kind: [chat], platform: [twitch], role: [mod, vip], text: "^!cv\\b" }
 * ```
 *
 * Every constraint that is present must hold (AND); inside one list, any entry may hold (OR).
 * An empty match (`{}`) matches every event.
 */
import { z } from 'zod';
import {
  type ChatEvent,
  type ChatflowEvent,
  chatOf,
  platformOf,
  EVENT_KINDS,
  type EventKind,
  PLATFORMS,
  type Platform,
  ROLES,
  type Role,
} from '../../core/events.js';

/** Flags a `text` regex may carry; `g` and `y` are left out because they make `test()` stateful. */
const TEXT_FLAGS = /^(?!.*(.).*\1)[imsuv]*$/;

const LengthRange = z
  .strictObject({
    min: z.number().int().nonnegative().optional().describe('Fewest code points (inclusive).'),
    max: z.number().int().nonnegative().optional().describe('Most code points (inclusive).'),
  })
  .superRefine((range, ctx) => {
    if (range.min === undefined && range.max === undefined) {
      ctx.addIssue({ code: 'custom', message: 'Give `min`, `max` or both' });
    } else if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: '`max` must not be less than `min`' });
    }
  })
  .describe('Chat text length in Unicode code points, both bounds inclusive.');

export const MatchConfig = z
  .strictObject({
    kind: z
      .array(z.enum(EVENT_KINDS))
      .min(1)
      .optional()
      .describe('Event kinds to match (`chat`, `command`, `platform`, …); any of them.'),
    platform: z
      .array(z.enum(PLATFORMS))
      .min(1)
      .optional()
      .describe(
        "Platforms to match; any of them. Commands and moderation events use their chat message's platform; events without a platform never match.",
      ),
    channel: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Channels to match, case-insensitive, a leading `#` ignored; any of them. Events without a channel never match.',
      ),
    role: z
      .array(z.enum(ROLES))
      .min(1)
      .optional()
      .describe(
        "Match when the chat message's author holds any of these roles. Events without a chat message never match; leave `role` out to match everyone.",
      ),
    user: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "Author logins to match, case-insensitive, a leading `@` ignored; any of them. Events without a chat message never match.",
      ),
    text: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A regular expression (JavaScript syntax) that must find a match in the chat text, e.g. `"^!cv\\\\b"` or `"https?://"`. Compiled once; events without a chat message never match.',
      ),
    text_flags: z
      .string()
      .regex(TEXT_FLAGS, 'Expected regex flags from `i`, `m`, `s`, `u`, `v`, each at most once')
      .default('i')
      .describe('Flags for `text`: `i` ignore case, `m` multiline, `s` dot matches newline, `u`/`v` Unicode.'),
    length: LengthRange.optional(),
    command: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Command names to match, case-insensitive, without the prefix (`cv`, not `!cv`); only command events match.',
      ),
  })
  .superRefine((match, ctx) => {
    if (match.text === undefined) return;
    try {
      new RegExp(match.text, match.text_flags);
    } catch (err) {
      // V8 says "Invalid regular expression: /(/i: Unterminated group" or "Invalid flags …".
      const reason = err instanceof Error ? err.message : String(err);
      const message = reason.startsWith('Invalid regular expression') ? reason : `Invalid regular expression: ${reason}`;
      ctx.addIssue({ code: 'custom', path: ['text'], message });
    }
  })
  .describe(
    'Declarative event matcher: every given constraint must hold; within a list, any entry may. `{}` matches everything.',
  );
export type MatchConfig = z.output<typeof MatchConfig>;

/** A compiled matcher: true when the event satisfies every constraint of its config. */
export type Matcher = (event: ChatflowEvent) => boolean;

/** Matches every event. */
export const MATCH_ALL: Matcher = () => true;

/** Matches no event. */
export const MATCH_NONE: Matcher = () => false;

/** Length of a string in Unicode code points (a surrogate pair counts once). */
export function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const high = text.charCodeAt(i);
    if (high >= 0xd800 && high <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}


function channelOf(event: ChatflowEvent): string | undefined {
  switch (event.kind) {
    case 'chat':
    case 'platform':
    case 'reply':
      return event.channel;
    case 'command':
    case 'moderation':
      return event.chat.channel;
    default:
      return undefined;
  }
}

/** A set of lower-cased names, with an optional leading `prefix` (`#`, `@`) stripped. */
function nameSet(names: readonly string[], prefix?: string): ReadonlySet<string> {
  return new Set(
    names.map((name) => (prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name).toLowerCase()),
  );
}

/** `set` holds `name` as written or lower-cased (names are usually lower-case already). */
function hasName(set: ReadonlySet<string>, name: string): boolean {
  return set.has(name) || set.has(name.toLowerCase());
}

/**
 * Compiles a {@link MatchConfig} into a predicate. The regex and the lookup sets are built
 * here, once; the predicate itself allocates nothing for most configs.
 *
 * @param config A parsed match config (an empty one matches every event).
 */
export function compileMatch(config: MatchConfig): Matcher {
  const checks: Matcher[] = [];

  if (config.kind) {
    const kinds: ReadonlySet<EventKind> = new Set(config.kind);
    checks.push((event) => kinds.has(event.kind));
  }
  if (config.platform) {
    const platforms: ReadonlySet<Platform> = new Set(config.platform);
    checks.push((event) => {
      const platform = platformOf(event);
      return platform !== undefined && platforms.has(platform);
    });
  }
  if (config.channel) {
    const channels = nameSet(config.channel, '#');
    checks.push((event) => {
      const channel = channelOf(event);
      return channel !== undefined && hasName(channels, channel);
    });
  }
  if (config.command) {
    const commands = nameSet(config.command);
    checks.push((event) => event.kind === 'command' && hasName(commands, event.name));
  }

  // Constraints on the chat message: events without one never match them.
  const chatChecks: Array<(chat: ChatEvent) => boolean> = [];
  if (config.role) {
    const roles: readonly Role[] = config.role;
    chatChecks.push((chat) => chat.author.roles.some((role) => roles.includes(role)));
  }
  if (config.user) {
    const users = nameSet(config.user, '@');
    chatChecks.push((chat) => hasName(users, chat.author.login));
  }
  if (config.length) {
    const min = config.length.min ?? 0;
    const max = config.length.max ?? Number.POSITIVE_INFINITY;
    chatChecks.push((chat) => {
      // UTF-16 length bounds the code-point length from above and, halved, from below.
      if (chat.text.length < min || Math.ceil(chat.text.length / 2) > max) return false;
      const length = codePointLength(chat.text);
      return length >= min && length <= max;
    });
  }
  if (config.text !== undefined) {
    const regex = new RegExp(config.text, config.text_flags);
    chatChecks.push((chat) => regex.test(chat.text));
  }
  if (chatChecks.length > 0) {
    checks.push((event) => {
      const chat = chatOf(event);
      if (chat === undefined) return false;
      for (const check of chatChecks) if (!check(chat)) return false;
      return true;
    });
  }

  switch (checks.length) {
    case 0:
      return MATCH_ALL;
    case 1:
      return checks[0] as Matcher;
    default:
      return (event) => {
        for (const check of checks) if (!check(event)) return false;
        return true;
      };
  }
}
