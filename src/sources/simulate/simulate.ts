/**
 * `simulate`: deterministic synthetic chat for demos, tests and load generation.
 */
import { asyncScheduler, Observable, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Author, ChatEvent, EmoteRange, Platform, Role } from '../../core/events.js';
import { NEVER_PAUSED, type SourceFlow } from '../../core/flow.js';
import type { SourceHealth } from '../../core/metrics.js';
import type { SimulateConfig, SimulateMix } from './config.js';
import {
  ADJECTIVES,
  between,
  CAPS_LINES,
  CHAT_LINES,
  COLORS,
  COMMAND_NOISES,
  type CommandNoise,
  type CommandRenderer,
  compileCommandTemplate,
  emoteLine,
  LINK_LINES,
  mix32,
  mulberry32,
  NO_EMOTES,
  NOUNS,
  pick,
  type Rand,
  unicodeTrick,
} from './text.js';


/**
 * Makes the next synthetic chat message. `ts` (platform time, epoch ms) and `receivedAt`
 * default to the generator's `now` and `clock`; the rest of the message depends only on the
 * seed and on how many messages came before.
 */
export type ChatGenerator = (ts?: number, receivedAt?: number) => ChatEvent;

export interface ChatGeneratorOptions {
  /** Platform time for `ts`, epoch ms (a wall clock, or a scheduler's `now()`). */
  readonly now: () => number;
  /** Monotonic clock for `receivedAt`; defaults to `performance.now`. */
  readonly clock?: () => number;
}

type MessageKind = keyof SimulateMix;

/** `rate: max` emits chunks of this many messages… */
const CHUNK = 1000;
/** …while a scheduler turn has lasted less than this (by the clock), … */
const MAX_TURN_MS = 4;
/** …and at most this many chunks per turn, so the event loop stays responsive. */
const MAX_CHUNKS_PER_TURN = 16;
/** A steady rate emits at most this many overdue messages per turn. */
const MAX_BATCH = 10_000;
/** Shortest wait between two batches, ms. */
const MIN_TICK_MS = 1;
/** Absorbs floating-point error when counting the messages due. */
const EPSILON = 1e-9;

function makeAuthor(seed: number, index: number, platform: Platform, config: SimulateConfig): Author {
  const rand = mulberry32(mix32(seed ^ mix32(index + 0x632be5ab)));
  const color = rand() < 0.85 ? pick(rand, COLORS) : undefined;
  const withColor = (author: Omit<Author, 'color'>): Author =>
    Object.freeze(platform !== 'youtube' && color !== undefined ? { ...author, color } : author);

  if (index < config.platforms.length) {
    const login = config.channel.toLowerCase().replace(/[^a-z0-9_]/g, '_');
    const badges = platform === 'youtube' ? { owner: '1' } : { broadcaster: '1' };
    return withColor({
      id: userId(seed, index, platform),
      login,
      displayName: config.channel,
      roles: Object.freeze(['broadcaster'] as Role[]),
      badges: Object.freeze(badges),
    });
  }

  const adjective = pick(rand, ADJECTIVES);
  const noun = pick(rand, NOUNS);
  const capitalized = `${adjective[0]?.toUpperCase()}${adjective.slice(1)}${noun[0]?.toUpperCase()}${noun.slice(1)}`;
  const roles: Role[] = [];
  const badges: Record<string, string> = {};
  const roll = rand();
  if (roll < 0.03) {
    roles.push('mod');
    badges.moderator = '1';
  } else if (roll < 0.06 && platform !== 'youtube') {
    roles.push('vip');
    badges.vip = '1';
  }
  const months = String(pick(rand, [1, 3, 6, 9, 12, 24, 36] as const));
  if (platform === 'youtube') {
    if (rand() < 0.2) {
      roles.push('member');
      badges.member = months;
    }
  } else if (rand() < 0.3) {
    roles.push('subscriber');
    badges.subscriber = months;
  }
  if (rand() < 0.01) {
    roles.push('verified');
    badges[platform === 'twitch' ? 'partner' : 'verified'] = '1';
  }

  let login: string;
  let displayName: string;
  switch (platform) {
    case 'twitch': {
      const underscore = rand() < 0.4;
      login = underscore ? `${adjective}_${noun}${index}` : `${adjective}${noun}${index}`;
      displayName = underscore ? login : `${capitalized}${index}`;
      break;
    }
    case 'kick':
      login = `${adjective}-${noun}${index}`;
      displayName = `${capitalized}${index}`;
      break;
    case 'youtube':
      login = `${adjective}${noun}${index}`;
      displayName = rand() < 0.1 ? `✨${capitalized}✨` : `${capitalized.replace(/(?<=[a-z])(?=[A-Z])/, ' ')}`;
      break;
  }
  return withColor({
    id: userId(seed, index, platform),
    login,
    displayName,
    roles: Object.freeze(roles),
    badges: Object.freeze(badges),
  });
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function userId(seed: number, index: number, platform: Platform): string {
  if (platform !== 'youtube') return String((platform === 'twitch' ? 100_000_000 : 1_000_000) + index);
  // `UC` + 22 characters; the last six encode the index, so ids never collide.
  const rand = mulberry32(mix32(seed + index * 0x9e3779b9));
  let id = 'UC';
  for (let i = 0; i < 16; i++) id += BASE64URL[Math.floor(rand() * 64)];
  for (let shift = 30; shift >= 0; shift -= 6) id += BASE64URL[(index >>> shift) & 63];
  return id;
}

/**
 * A plain, RxJS-free generator of synthetic chat, for benchmarks and for {@link simulate}.
 * Users are built once (lazily) and frozen; a message costs a few random draws, one string
 * and one object.
 *
 * @param config Parsed config (`rate` and `count` are ignored here).
 * @param options Clocks for `ts` and `receivedAt` when the caller passes none.
 */
export function createChatGenerator(config: SimulateConfig, options: ChatGeneratorOptions): ChatGenerator {
  const { now } = options;
  const clock = options.clock ?? (() => performance.now());
  const seed = config.seed >>> 0;
  const rand: Rand = mulberry32(mix32(seed ^ 0x5eed5eed));
  const { platforms, channel } = config;
  const platformCount = platforms.length;
  const userCount = config.users;
  const authors: Array<Author | undefined> = new Array(userCount);
  const seen = new Uint8Array(userCount);
  const renderers: CommandRenderer[] = config.commands.map(compileCommandTemplate);

  const kinds = (Object.keys(config.mix) as MessageKind[]).filter((kind) => config.mix[kind] > 0);
  const total = kinds.reduce((sum, kind) => sum + config.mix[kind], 0);
  const thresholds: number[] = [];
  let cumulative = 0;
  for (const kind of kinds) {
    cumulative += config.mix[kind] / total;
    thresholds.push(cumulative);
  }

  const idPrefix = `sim-${config.seed}-`;
  let sequence = 0;
  // The previous message, for replies (kept as fields: no allocation per message).
  let lastId = '';
  let lastUser = -1;
  let lastText = '';

  const pickUser = (): number => {
    if (userCount <= platformCount) return Math.floor(rand() * userCount);
    if (rand() < 0.005) return Math.floor(rand() * platformCount);
    const r = rand();
    return platformCount + Math.floor((userCount - platformCount) * r * r);
  };

  const pickKind = (): MessageKind => {
    const r = rand();
    for (let i = 0; i < thresholds.length - 1; i++) if (r < (thresholds[i] as number)) return kinds[i] as MessageKind;
    return kinds[kinds.length - 1] as MessageKind;
  };

  return (ts = now(), receivedAt = clock()) => {
    sequence += 1;
    const index = pickUser();
    const platform = platforms[index % platformCount] as Platform;
    let author = authors[index];
    if (author === undefined) {
      author = makeAuthor(seed, index, platform, config);
      authors[index] = author;
    }
    const firstMessage = seen[index] === 0;
    seen[index] = 1;

    let text: string;
    let emotes: readonly EmoteRange[] = NO_EMOTES;
    let action = false;
    let bits: number | undefined;
    let replyTo: ChatEvent['replyTo'];
    switch (pickKind()) {
      case 'chat': {
        text = pick(rand, CHAT_LINES);
        const extra = rand();
        if (platform === 'twitch' && extra < 0.01) action = true;
        else if (platform === 'twitch' && extra < 0.015) {
          bits = pick(rand, [1, 100, 500, 1000] as const);
          text = `Cheer${bits} ${text}`;
        } else if (platform !== 'youtube' && extra < 0.045 && lastUser >= 0 && lastUser !== index) {
          const login = (authors[lastUser] as Author).login;
          replyTo = { id: lastId, login, text: lastText };
          text = `@${login} ${text}`;
        }
        break;
      }
      case 'command': {
        const renderer = pick(rand, renderers);
        const noise: CommandNoise = rand() < config.command_noise ? pick(rand, COMMAND_NOISES) : 'none';
        text = renderer(rand, noise);
        break;
      }
      case 'emote':
        ({ text, emotes } = emoteLine(rand, platform));
        break;
      case 'link':
        text = pick(rand, LINK_LINES);
        break;
      case 'caps': {
        const line = pick(rand, CAPS_LINES);
        text = between(rand, 0, 3) === 0 ? `${line}!!!` : line;
        break;
      }
      case 'unicode':
        ({ text, emotes } = unicodeTrick(rand, platform));
        break;
    }

    const id = idPrefix + sequence;
    lastId = id;
    lastUser = index;
    lastText = text;
    const event: ChatEvent = {
      kind: 'chat',
      id,
      platform,
      channel,
      author,
      text,
      emotes,
      ts,
      action,
      firstMessage,
      receivedAt,
    };
    if (bits === undefined && replyTo === undefined) return event;
    return {
      ...event,
      ...(bits === undefined ? {} : { bits }),
      ...(replyTo === undefined ? {} : { replyTo }),
    };
  };
}

/**
 * Synthetic chat at a steady rate on the given scheduler: message `n` is due `n` intervals
 * after subscribe, its `ts` is that due time on the wall clock `now` and its `receivedAt` the
 * clock when it is emitted.
 * Every subscription gets its own generator, so every subscriber sees the same messages.
 *
 * ```text
 * rate: 10/s, count: 3
 * result:   100ms a 99ms b 99ms (c|)
 * ```
 *
 * Rates above one message per millisecond are emitted in batches: at most every millisecond
 * (at once when behind), every message due by then, up to 10 000 per turn. So a million
 * messages a second cost a thousand timer callbacks, not a million. `rate: max` emits chunks
 * of 1000 per scheduler turn, more chunks while the turn has lasted under 4 ms (at most 16),
 * then yields to the event loop.
 *
 * Pausable (core/flow.ts): while `flow.paused` (a blocking sink downstream is congested) it
 * emits nothing, checking the flag before each message, and goes on at the resume; a steady
 * rate picks up where it stopped (the pause shifts the schedule) rather than catching up.
 *
 * ```text
 * rate: 1/ms, count: 4; paused at 3ms, resumed at 6ms
 * flow:     ---p--r----
 * result:   -ab---c(d|)
 * ```
 *
 * @param config Parsed config.
 * @param scheduler Time and timers; a TestScheduler in marble tests.
 * @param clock Monotonic clock for `receivedAt`.
 * @param setHealth Told `live` on subscribe.
 * @param now Wall clock (epoch ms) for `ts`: the context's `wallClock`; the scheduler's `now()`
 *   when absent, so marble tests read virtual time.
 * @param flow Backpressure from the runtime (`ctx.flow`); never paused by default.
 * @see replay, which plays back recorded events instead.
 */
export function simulate(
  config: SimulateConfig,
  scheduler: SchedulerLike = asyncScheduler,
  clock: () => number = () => performance.now(),
  setHealth?: (health: SourceHealth) => void,
  now: () => number = () => scheduler.now(),
  flow: SourceFlow = NEVER_PAUSED,
): Observable<ChatEvent> {
  return new Observable<ChatEvent>((subscriber) => {
    const next = createChatGenerator(config, { now, clock });
    const limit = config.count ?? Number.POSITIVE_INFINITY;
    let emitted = 0;
    /** The pending turn (a reused action while running, a new one after each pause). */
    let turn: Subscription | undefined;
    let cancelResume: (() => void) | undefined;
    setHealth?.('live');

    /** Paused by a congested sink: wait for the resume, then `resume()` before the next turn. */
    const wait = (work: (this: SchedulerAction<undefined>) => void, resume: () => void): void => {
      cancelResume = flow.onResume(() => {
        cancelResume = undefined;
        resume();
        turn = scheduler.schedule(work, 0);
      });
    };
    const teardown = (): void => {
      turn?.unsubscribe();
      cancelResume?.();
    };

    const { rate: pace } = config;
    if (pace === 'max') {
      const work = function (this: SchedulerAction<undefined>) {
        const ts = now();
        const turnStart = clock();
        let receivedAt = turnStart;
        for (let chunk = 0; chunk < MAX_CHUNKS_PER_TURN; chunk++) {
          const end = Math.min(limit, emitted + CHUNK);
          while (emitted < end && !subscriber.closed && !flow.paused) {
            emitted += 1;
            subscriber.next(next(ts, receivedAt));
          }
          if (emitted >= limit || subscriber.closed || flow.paused) break;
          receivedAt = clock();
          if (receivedAt - turnStart >= MAX_TURN_MS) break;
        }
        if (emitted >= limit) subscriber.complete();
        else if (subscriber.closed) return;
        else if (flow.paused) wait(work, () => {});
        else this.schedule(undefined, 0);
      };
      turn = scheduler.schedule(work, 0);
      return teardown;
    }

    const interval = pace.periodMs / pace.count;
    // Shifted by each pause, so the rate resumes where it stopped instead of catching up.
    let start = scheduler.now();
    let wallStart = now();
    let pausedAt = 0;
    const work = function (this: SchedulerAction<undefined>) {
      const at = scheduler.now();
      const receivedAt = clock();
      const due = Math.min(limit, Math.floor((at - start) / interval + EPSILON));
      const end = Math.min(due, emitted + MAX_BATCH);
      while (emitted < end && !subscriber.closed && !flow.paused) {
        emitted += 1;
        subscriber.next(next(Math.floor(wallStart + emitted * interval), receivedAt));
      }
      if (emitted >= limit) {
        subscriber.complete();
        return;
      }
      if (subscriber.closed) return;
      if (flow.paused) {
        pausedAt = scheduler.now();
        wait(work, () => {
          const pause = scheduler.now() - pausedAt;
          start += pause;
          wallStart += pause;
        });
        return;
      }
      const delay = emitted < due ? 0 : Math.max(MIN_TICK_MS, start + (emitted + 1) * interval - at);
      this.schedule(undefined, delay);
    };
    turn = scheduler.schedule(work, Math.max(MIN_TICK_MS, interval));
    return teardown;
  });
}
