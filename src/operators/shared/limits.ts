/**
 * What `throttle` and `cooldown` share: the `per` scopes and the key they build from an event,
 * the `exempt_roles` check and its schema, and the `max_keys` field.
 */
import { z } from 'zod';
import { type Author, type ChatflowEvent, platformOf, ROLES, type Role } from '../../core/events.js';

/** What a limit can be counted per; several combine into one key (`per: [user, command]`). */
export const LIMIT_SCOPES = ['global', 'user', 'command', 'platform', 'channel'] as const;
export type LimitScope = (typeof LIMIT_SCOPES)[number];

/** Builds the key an event is limited under. */
export type KeyOf = (event: ChatflowEvent) => string;

/** The key part of an event without an author, for `per: user`. */
export const ANONYMOUS = 'anonymous';

/** Separates the parts of a combined key; it cannot occur in a login, channel or command name. */
const SEPARATOR = '\u001f';

/**
 * The `per` field: one scope or a list. Parses to a list without duplicates, in
 * {@link LIMIT_SCOPES} order, with `global` removed when combined with another scope (a global
 * limit per user is a limit per user).
 */
export function perField(fallback: LimitScope | readonly LimitScope[]) {
  const scope = z.enum(LIMIT_SCOPES);
  return z
    .union([scope, z.array(scope).min(1)])
    .transform((value): readonly LimitScope[] => canonicalScopes(typeof value === 'string' ? [value] : value))
    .prefault(typeof fallback === 'string' ? fallback : [...fallback]);
}

/** The `exempt_roles` field. */
export function exemptRolesField() {
  return z
    .array(z.enum(ROLES))
    .default(['broadcaster', 'mod'])
    .describe('Authors holding any of these roles bypass the limit entirely (and do not use it up).');
}

/** The `max_keys` field. */
export function maxKeysField(fallback: number, forgets: string) {
  return z
    .number()
    .int()
    .min(1)
    .default(fallback)
    .describe(
      `Most keys kept in memory; beyond it the least recently used are forgotten, a generation at a time (the newest \`max_keys / 2\` always stay; ${forgets}).`,
    );
}

function canonicalScopes(scopes: readonly LimitScope[]): readonly LimitScope[] {
  const wanted = new Set(scopes);
  if (wanted.size > 1) wanted.delete('global');
  return LIMIT_SCOPES.filter((scope) => wanted.has(scope));
}

/** The author of an event: the chat author, or the platform event's actor. */
export function authorOf(event: ChatflowEvent): Author | undefined {
  switch (event.kind) {
    case 'chat':
    case 'platform':
      return event.author;
    case 'command':
    case 'moderation':
      return event.chat.author;
    default:
      return undefined;
  }
}

/** The platform part of a limit key; empty for events from no platform. */
function platformKey(event: ChatflowEvent): string {
  return platformOf(event) ?? '';
}

function channelOf(event: ChatflowEvent): string {
  switch (event.kind) {
    case 'chat':
    case 'platform':
    case 'reply':
      return `${event.platform}:${event.channel}`;
    case 'command':
    case 'moderation':
      return `${event.chat.platform}:${event.chat.channel}`;
    default:
      return '';
  }
}

function userOf(event: ChatflowEvent): string {
  const author = authorOf(event);
  if (author) return `${platformKey(event)}:${author.login}`;
  if (event.kind === 'control' && event.by) return `${event.by.platform}:${event.by.login}`;
  return ANONYMOUS;
}

function commandOf(event: ChatflowEvent): string {
  return event.kind === 'command' ? event.name : '';
}

const PARTS: Readonly<Record<LimitScope, KeyOf>> = {
  global: () => '*',
  user: userOf,
  command: commandOf,
  platform: platformKey,
  channel: channelOf,
};

/**
 * The key function for a list of scopes (as {@link perField} parses it).
 *
 * - `global`: one key for everything;
 * - `user`: `platform:login` of the author, {@link ANONYMOUS} without one;
 * - `command`: the command name (empty for events that are not commands);
 * - `platform`: the platform;
 * - `channel`: `platform:channel`.
 */
export function keyOf(scopes: readonly LimitScope[]): KeyOf {
  const parts = scopes.map((scope) => PARTS[scope]);
  const [first, second, ...rest] = parts;
  if (!first) return PARTS.global;
  if (!second) return first;
  if (rest.length === 0) return (event) => first(event) + SEPARATOR + second(event);
  return (event) => {
    let key = first(event) + SEPARATOR + second(event);
    for (const part of rest) key += SEPARATOR + part(event);
    return key;
  };
}

/** True when the event's author holds one of `roles`. */
export function isExempt(event: ChatflowEvent, roles: ReadonlySet<Role>): boolean {
  if (roles.size === 0) return false;
  const author = authorOf(event);
  if (!author) return false;
  // An indexed loop: for…of here allocated an iterator result per role, per event.
  const held = author.roles;
  for (let i = 0; i < held.length; i++) if (roles.has(held[i] as Role)) return true;
  return false;
}

/**
 * A map of at most `maxKeys` entries that forgets the least recently used ones a generation at
 * a time (the "hashlru" scheme): new and touched entries go to a young map; when it is full, or
 * older than a given age, it becomes the old map and the previous old map is dropped whole.
 *
 * Every operation is a few `Map` calls. Evicting one entry at a time from the front of a single
 * `Map` looks cheaper but is not: V8 leaves deleted entries in place until it rehashes, so
 * iterating from the front skips over all of them, and the cost grows with churn.
 */
export class GenerationMap<V> {
  #young = new Map<string, V>();
  #old = new Map<string, V>();
  #youngSince = Number.NEGATIVE_INFINITY;
  readonly #youngMax: number;
  readonly #oldMax: number;

  /** @param maxKeys Most entries held at once; at least the `maxKeys / 2` most recent are kept. */
  constructor(maxKeys: number) {
    this.#youngMax = Math.max(1, Math.floor(maxKeys / 2));
    this.#oldMax = Math.max(0, maxKeys - this.#youngMax);
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** The entry, without making it recent. */
  get(key: string): V | undefined {
    const value = this.#young.get(key);
    return value !== undefined ? value : this.#old.get(key);
  }

  /** The entry, made the most recent (`now` is the current time). */
  touch(key: string, now: number): V | undefined {
    const value = this.#young.get(key);
    if (value !== undefined) return value;
    const old = this.#old.get(key);
    if (old === undefined) return undefined;
    this.#old.delete(key);
    this.#insert(key, old, now);
    return old;
  }

  /** Adds or replaces the entry as the most recent one (`now` is the current time). */
  set(key: string, value: V, now: number): void {
    if (this.#young.has(key)) {
      this.#young.set(key, value);
      return;
    }
    this.#old.delete(key);
    this.#insert(key, value, now);
  }

  /**
   * Drops the old generation when the young one began at least `ageMs` before `now`: every
   * entry dropped was last set or touched at least `ageMs` ago. With `ageMs` the time after
   * which an entry no longer matters, memory then follows recent traffic, not `maxKeys`.
   */
  expire(now: number, ageMs: number): void {
    if (now - this.#youngSince >= ageMs && this.#oldMax > 0) this.#rotate(now);
  }

  #insert(key: string, value: V, now: number): void {
    if (this.#young.size >= this.#youngMax) this.#rotate(now);
    if (this.#youngSince === Number.NEGATIVE_INFINITY) this.#youngSince = now;
    this.#young.set(key, value);
  }

  #rotate(now: number): void {
    this.#old = this.#young.size <= this.#oldMax ? this.#young : new Map();
    this.#young = new Map();
    this.#youngSince = now;
  }
}
