/**
 * `replay`: plays back a JSONL recording (as the `file` sink writes it) at its original pace.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { defineSource, type Resources } from '../core/component.js';
import { PipelineError, SourceFatalError } from '../core/errors.js';
import { filePath } from '../core/filePath.js';
import { type ChatEvent, type ChatflowEvent, PLATFORMS } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { DropCounter, SourceHealth } from '../core/metrics.js';
import { duration } from '../core/units.js';

export const ReplayConfig = z
  .strictObject({
    path: filePath('read').describe(
        'JSONL file of recorded events, one event per line as the `file` sink writes them; relative to the pipeline file.',
      ),
    speed: z
      .union([z.number().nonnegative(), z.literal('max')], {
        error: (issue) =>
          issue.code === 'invalid_union' ? 'Expected a speed factor such as 1 or 2.5, or "max"' : undefined,
      })
      .default(1)
      .describe('Playback speed: 1 = as recorded, 2 = twice as fast. `0` or `max`: no waiting at all.'),
    loop: z
      .boolean()
      .default(false)
      .describe(
        'Start over at the end of the file. Ids get `#2`, `#3`, … on later passes, so `dedupe` lets them through.',
      ),
    max_gap: duration()
      .optional()
      .describe('Longest wait between two events (before `speed`); longer silences in the recording are cut short.'),
  })
  .describe('Replays a recording.');
export type ReplayConfig = z.output<typeof ReplayConfig>;

/** What `replay` needs besides its config; a pipeline's `ComponentContext` fits. */
export interface ReplayContext {
  /** Node id, for errors. */
  readonly id: string;
  readonly logger: Logger;
  /** Timers; a virtual-time scheduler in tests. */
  readonly scheduler: SchedulerLike;
  /** Monotonic clock for the fresh `receivedAt` of each replayed event. */
  readonly clock: () => number;
  /** Counts `malformed_line` drops. */
  readonly metrics: DropCounter;
  readonly resources: Pick<Resources, 'baseDir'>;
  readonly setHealth?: (health: SourceHealth) => void;
}

/** Pause reading when this many events wait to be emitted; resume below {@link LOW_WATER}. */
const HIGH_WATER = 1024;
const LOW_WATER = 256;
/** How many malformed line numbers the warning lists. */
const MALFORMED_LINES_LOGGED = 5;

interface Pending {
  readonly event: ChatflowEvent;
  /** Scheduler time the event is due. */
  readonly due: number;
  /** 1 on the first pass through the file, 2 on the second, … */
  readonly pass: number;
}

/**
 * Reads a recording line by line (never the whole file at once) and emits each event at its
 * original distance from the one before, divided by `speed`, on the given scheduler. The
 * distance is the difference of `ts` (platform time) between two chat or platform events, and
 * of `receivedAt` otherwise; negative distances count as 0. Every event gets a fresh
 * `receivedAt` from the clock; on later passes of a `loop` its id (and its chat's) gets `#pass`.
 *
 * ```text
 * recording (ts):  a: 0   b: 100   c: 250     speed: 1
 * result:          a 99ms b 149ms (c|)
 * ```
 *
 * A line that is not JSON or not an event is dropped and counted (`malformed_line`, not
 * intentional: it is bad input, not policy); one warning lists the first few line numbers.
 * A file that cannot be opened or read errors the stream with a {@link SourceFatalError}.
 *
 * @param config Parsed config.
 * @param ctx Scheduler, clock, logger, drop counter and base directory.
 * @see simulate, for synthetic chat.
 */
export function replay(config: ReplayConfig, ctx: ReplayContext): Observable<ChatflowEvent> {
  const file = resolve(ctx.resources.baseDir, config.path);
  const factor = config.speed === 'max' || config.speed === 0 ? 0 : 1 / config.speed;
  const maxGap = config.max_gap ?? Number.POSITIVE_INFINITY;
  const { scheduler } = ctx;

  return new Observable<ChatflowEvent>((subscriber) => {
    let queue: Pending[] = [];
    let head = 0;
    let readerDone = false;
    let stopped = false;
    let scheduled = false;
    let action: Subscription | undefined;
    let resumeReader: (() => void) | undefined;
    let lines: Interface | undefined;

    let start: number | undefined;
    let offset = 0;
    let previous: ChatflowEvent | undefined;

    let malformed = 0;
    const malformedLines: number[] = [];
    let warned = false;
    const warnMalformed = () => {
      if (warned || malformed === 0) return;
      warned = true;
      ctx.logger.warn({ path: file, malformed, lines: malformedLines }, 'Replay skipped malformed lines.');
    };

    const tick = () => {
      scheduled = false;
      action = undefined;
      const now = scheduler.now();
      const receivedAt = ctx.clock();
      while (head < queue.length && !subscriber.closed) {
        const pending = queue[head] as Pending;
        if (pending.due > now) break;
        head += 1;
        subscriber.next(restamp(pending, receivedAt));
      }
      if (head === queue.length) {
        queue = [];
        head = 0;
      }
      if (resumeReader && queue.length - head <= LOW_WATER) {
        const resume = resumeReader;
        resumeReader = undefined;
        resume();
      }
      schedule();
    };

    const schedule = () => {
      if (scheduled || subscriber.closed) return;
      const next = queue[head];
      if (next === undefined) {
        if (readerDone) subscriber.complete();
        return;
      }
      scheduled = true;
      const subscription = scheduler.schedule(tick, Math.max(0, next.due - scheduler.now()));
      if (scheduled) action = subscription;
    };

    const push = (event: ChatflowEvent, pass: number) => {
      if (start === undefined) start = scheduler.now();
      else if (factor > 0 && previous !== undefined) {
        offset += Math.min(Math.max(0, distance(previous, event)), maxGap) * factor;
      }
      previous = event;
      queue.push({ event, due: start + offset, pass });
      schedule();
    };

    const readPass = async (pass: number): Promise<number> => {
      let handle: FileHandle;
      try {
        handle = await open(file, 'r');
      } catch (err) {
        throw new SourceFatalError(ctx.id, `${openProblem(err)}: ${file}`, { cause: err });
      }
      if (stopped) {
        await handle.close().catch(() => undefined);
        return 0;
      }
      if (pass === 1) ctx.setHealth?.('live');
      const reader = createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
      lines = reader;
      let lineNumber = 0;
      let events = 0;
      try {
        for await (const line of reader) {
          if (stopped) break;
          lineNumber += 1;
          const event = parseLine(line);
          if (event === undefined) continue;
          if (event === null) {
            ctx.metrics.drop('malformed_line', false);
            if (pass === 1) {
              malformed += 1;
              if (malformedLines.length < MALFORMED_LINES_LOGGED) malformedLines.push(lineNumber);
            }
            continue;
          }
          events += 1;
          push(event, pass);
          if (queue.length - head >= HIGH_WATER) {
            await new Promise<void>((resume) => {
              resumeReader = resume;
            });
          }
        }
      } catch (err) {
        throw new SourceFatalError(ctx.id, `Replay file could not be read: ${file}`, { cause: err });
      } finally {
        reader.close();
        lines = undefined;
        await handle.close().catch(() => undefined);
      }
      return events;
    };

    const read = async () => {
      for (let pass = 1; !stopped; pass++) {
        const events = await readPass(pass);
        if (pass === 1) warnMalformed();
        if (!config.loop || stopped) break;
        if (events === 0) {
          ctx.logger.warn({ path: file }, 'Replay file holds no events to loop over; stopping.');
          break;
        }
      }
      readerDone = true;
      schedule();
    };

    ctx.setHealth?.('connecting');
    read().catch((err: unknown) => {
      if (stopped) return;
      subscriber.error(
        err instanceof PipelineError
          ? err
          : new SourceFatalError(ctx.id, `Replay failed: ${file}`, { cause: err }),
      );
    });

    return () => {
      stopped = true;
      action?.unsubscribe();
      resumeReader?.();
      lines?.close();
      warnMalformed();
    };
  });
}

/** What went wrong opening the file, in words. */
function openProblem(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'Replay file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'Replay file not readable (permission denied)';
  return 'Replay file could not be opened';
}

/** Milliseconds between two recorded events: platform time when both have it, else receive time. */
export function distance(previous: ChatflowEvent, next: ChatflowEvent): number {
  if ((previous.kind === 'chat' || previous.kind === 'platform') && (next.kind === 'chat' || next.kind === 'platform')) {
    return next.ts - previous.ts;
  }
  const gap = next.receivedAt - previous.receivedAt;
  return Number.isFinite(gap) ? gap : 0;
}

/** A copy with a fresh `receivedAt` and, after the first pass, ids made unique per pass. */
function restamp({ event, pass }: Pending, receivedAt: number): ChatflowEvent {
  const suffix = pass === 1 ? '' : `#${pass}`;
  const chat = (c: ChatEvent): ChatEvent => ({ ...c, id: c.id + suffix, receivedAt });
  switch (event.kind) {
    case 'chat':
      return chat(event);
    case 'platform':
      return { ...event, id: event.id + suffix, receivedAt };
    case 'command':
    case 'moderation':
      return { ...event, chat: chat(event.chat), receivedAt };
    default:
      return { ...event, receivedAt };
  }
}

/** An event, `undefined` for a blank line, `null` for a malformed one. */
export function parseLine(line: string): ChatflowEvent | undefined | null {
  const text = line.trim();
  if (text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return isEvent(value) ? value : null;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPlatform = (v: unknown): boolean => (PLATFORMS as readonly unknown[]).includes(v);

function isAuthor(v: unknown): boolean {
  return (
    isObject(v) &&
    isString(v.id) &&
    isString(v.login) &&
    isString(v.displayName) &&
    Array.isArray(v.roles) &&
    isObject(v.badges)
  );
}

function isChat(v: unknown): boolean {
  return (
    isObject(v) &&
    v.kind === 'chat' &&
    isString(v.id) &&
    isPlatform(v.platform) &&
    isString(v.channel) &&
    isAuthor(v.author) &&
    isString(v.text) &&
    Array.isArray(v.emotes) &&
    isNumber(v.ts) &&
    typeof v.action === 'boolean' &&
    typeof v.firstMessage === 'boolean'
  );
}

/** The fields every consumer relies on are there, with the right types (a shallow check). */
function isEvent(v: unknown): v is ChatflowEvent {
  if (!isObject(v)) return false;
  switch (v.kind) {
    case 'chat':
      return isChat(v);
    case 'platform':
      return (
        isString(v.type) &&
        isString(v.id) &&
        isPlatform(v.platform) &&
        isString(v.channel) &&
        isNumber(v.ts) &&
        isObject(v.data) &&
        (v.author === undefined || isAuthor(v.author))
      );
    case 'command':
      return isString(v.name) && isObject(v.args) && isChat(v.chat);
    case 'moderation':
      return isString(v.verdict) && Array.isArray(v.reasons) && isNumber(v.points) && isChat(v.chat);
    case 'control':
      return isString(v.variable) && isNumber(v.value) && isNumber(v.previous) && isString(v.origin) && isNumber(v.ts);
    case 'reply':
      return isPlatform(v.platform) && isString(v.channel) && isString(v.text);
    case 'metric':
      return isString(v.name) && isObject(v.labels) && isString(v.instance) && isNumber(v.ts);
    default:
      return false;
  }
}

export const replayComponent = defineSource({
  type: 'replay',
  summary: 'Plays back a JSONL recording of events at its original pace (or faster, or looped).',
  description:
    'Reads the format the `file` sink writes: one event per line. Events keep their recorded `ts`; `receivedAt` is fresh. Malformed lines are skipped and counted as `malformed_line` drops.',
  config: ReplayConfig,
  examples: ['path: examples/recordings/twitch-sample.jsonl', 'path: fixtures/chat.jsonl\nspeed: 4\nloop: true\nmax_gap: 2s', 'path: big.jsonl\nspeed: max'],
  create: (config, ctx) => replay(config, ctx),
});
