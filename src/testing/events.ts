/**
 * Events to feed a virtual run (`runVirtual`'s inputs), made the way sources make them, with
 * deterministic ids: the same arguments always give the same event.
 */
import {
  type Author,
  type ChatEvent,
  type Platform,
  type PlatformEvent,
  type PlatformEventType,
  platformEvent as buildPlatformEvent,
  type Role,
} from '../core/events.js';

/** Epoch ms of virtual time 0 unless a run says otherwise: 2026-01-01T00:00:00Z. */
export const DEFAULT_START_WALL_CLOCK = 1_767_225_600_000;

/** A chat line as a test states it. */
export interface ChatInput {
  readonly login: string;
  readonly text: string;
  /** Default `twitch`. */
  readonly platform?: Platform;
  /** Default none (a viewer). */
  readonly roles?: readonly Role[];
  /** Default the login. */
  readonly displayName?: string;
  /** Default `t-<at>-<login>-<hash of text>`: the same line at the same time is the same message. */
  readonly id?: string;
  /** Default `test`. */
  readonly channel?: string;
  /** Platform time, epoch ms; default {@link DEFAULT_START_WALL_CLOCK} + `at`. */
  readonly ts?: number;
  readonly bits?: number;
  readonly color?: string;
  /** The author's first message in the channel (what `moderate`'s first-timer rules read); default false. */
  readonly firstMessage?: boolean;
}

/** A platform event as a test states it. */
export interface PlatformInput {
  readonly type: PlatformEventType;
  /** Who did it (subscriber, raider, banned user…); none when absent. */
  readonly login?: string;
  readonly roles?: readonly Role[];
  readonly displayName?: string;
  /** Type-specific details (months, viewers, amount, messageId…). */
  readonly data?: PlatformEvent['data'];
  readonly platform?: Platform;
  /** Default `t-<at>-<type>-<login>`. */
  readonly id?: string;
  readonly channel?: string;
  readonly ts?: number;
}

/** FNV-1a of a string, as 8 hex digits: a short stable tag of a text. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Platforms give a user one id whatever the case of the name typed (votes count by it); logins are lower case. */
function author(login: string, platform: Platform, roles: readonly Role[], displayName?: string, color?: string): Author {
  const lower = login.toLowerCase();
  return {
    id: `${platform}-${lower}`,
    login: lower,
    displayName: displayName ?? login,
    roles,
    badges: {},
    ...(color === undefined ? {} : { color }),
  };
}

/**
 * A chat message at virtual ms `at` (`receivedAt` is set by the run when it is fed).
 *
 * @example chatEvent({ login: 'ada', text: '!vote wobble 80' }, 1200)
 */
export function chatEvent(input: ChatInput, at: number): ChatEvent {
  const platform = input.platform ?? 'twitch';
  return {
    kind: 'chat',
    id: input.id ?? `t-${at}-${input.login}-${hash(input.text)}`,
    platform,
    channel: input.channel ?? 'test',
    author: author(input.login, platform, input.roles ?? [], input.displayName, input.color),
    text: input.text,
    emotes: [],
    ts: input.ts ?? DEFAULT_START_WALL_CLOCK + at,
    action: false,
    firstMessage: input.firstMessage ?? false,
    receivedAt: at,
    ...(input.bits === undefined ? {} : { bits: input.bits }),
  };
}

/**
 * A platform event (sub, raid, redemption, deletion…) at virtual ms `at`.
 *
 * @example platformEvent({ type: 'raid', login: 'friend', data: { viewers: 120 } }, 5000)
 */
export function platformEvent(input: PlatformInput, at: number): PlatformEvent {
  const platform = input.platform ?? 'twitch';
  const who = input.login === undefined ? undefined : author(input.login, platform, input.roles ?? [], input.displayName);
  return buildPlatformEvent(
    platform,
    input.type,
    input.id ?? `t-${at}-${input.type}-${input.login ?? ''}`,
    input.channel ?? 'test',
    who,
    input.ts ?? DEFAULT_START_WALL_CLOCK + at,
    input.data ?? {},
    at,
  );
}
