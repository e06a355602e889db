/**
 * Durations (`80ms`, `2s`, `5m`, `1h`) and rates (`20/s`, `1/2s`, `300/m`) as written in
 * pipeline.yaml, parsed to milliseconds. Every duration and rate option of every component
 * goes through {@link duration} and {@link rate}, so they all accept the same forms and refuse
 * the rest with the same message: a zod issue, never a throw.
 */
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const RATE = /^(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h)$/;

/** What a duration option says when its value is not one. */
export const DURATION_HELP = 'Expected a duration with a unit, such as "80ms", "2s", "5m" or "1h"';
/** What a rate option says when its value is not one. */
export const RATE_HELP =
  'Expected a rate such as "20/s", "1/2s" or "300/m": a count, "/", and a period with a unit (ms, s, m or h)';

/** A rate: `count` events per `periodMs` milliseconds. */
export interface Rate {
  readonly count: number;
  readonly periodMs: number;
}

/** Parses `80ms`, `2s`, `1.5m`; returns milliseconds, or undefined when malformed or too large. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Number.isFinite(ms) ? ms : undefined;
}

/** Why a rate's text is not a usable rate, or the rate. */
type RateResult = { readonly rate: Rate } | { readonly problem: string };

function readRate(text: string, help = RATE_HELP): RateResult {
  const m = RATE.exec(text.trim());
  if (!m) return { problem: help };
  const count = Number(m[1]);
  const periodMs = Number(m[2] ?? 1) * UNIT_MS[m[3] as keyof typeof UNIT_MS];
  if (!Number.isFinite(count) || !Number.isFinite(periodMs)) {
    return { problem: `The number is too large. ${help}` };
  }
  if (periodMs <= 0) return { problem: `The period is zero. ${help}` };
  if (count <= 0) return { problem: 'A rate must let at least one event through' };
  return { rate: { count, periodMs } };
}

/** Parses `20/s`, `1/2s`, `300/m`; undefined when malformed, of zero count or zero period. */
export function parseRate(text: string): Rate | undefined {
  const result = readRate(text);
  return 'rate' in result ? result.rate : undefined;
}

/** Events per second of a rate. */
export function perSecond(rate: Rate): number {
  return (rate.count * 1000) / rate.periodMs;
}

/** Formats milliseconds back to the shortest exact unit (`1500ms`, `2s`, `5m`). */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A zod schema for a duration with units; parses to milliseconds. */
export function duration() {
  return z
    .string({ error: DURATION_HELP })
    .regex(DURATION, DURATION_HELP)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms !== undefined) return ms;
      ctx.addIssue({ code: 'custom', message: `The number is too large. ${DURATION_HELP}`, input: text });
      return z.NEVER;
    });
}

/**
 * A zod schema for a rate `N/period`; parses to a {@link Rate}. With `or`, that one word
 * (`max`, `off`) is accepted too and parses to itself, in the same schema and message, so a
 * mistake is never reported as "expected the word".
 */
export function rate(): z.ZodPipe<z.ZodString, z.ZodTransform<Rate, string>>;
export function rate<Word extends string>(options: {
  or: Word;
}): z.ZodPipe<z.ZodString, z.ZodTransform<Rate | Word, string>>;
export function rate(options: { or?: string } = {}) {
  const word = options.or;
  const help = word === undefined ? RATE_HELP : `${RATE_HELP}, or "${word}"`;
  const pattern = word === undefined ? RATE : new RegExp(`^(?:${word}|${RATE.source.slice(1, -1)})$`);
  return z
    .string({ error: help })
    .regex(pattern, help)
    .transform((text, ctx) => {
      if (word !== undefined && text === word) return word;
      const result = readRate(text, help);
      if ('rate' in result) return result.rate;
      ctx.addIssue({ code: 'custom', message: result.problem, input: text });
      return z.NEVER;
    });
}

const BYTE_UNITS = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 } as const;
const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;

/** What a size option says when its value is not one. */
export const BYTE_SIZE_HELP = 'Expected a size with a unit, such as "512MiB", "1GiB" or "500MB"';

/** Parses `1GiB`, `512MiB`, `500MB`, `4096B`; returns whole bytes, or undefined when malformed. */
export function parseByteSize(text: string): number | undefined {
  const m = BYTE_SIZE.exec(text.trim());
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * BYTE_UNITS[m[2] as keyof typeof BYTE_UNITS]);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A zod schema for a size with units; parses to bytes. */
export function byteSize() {
  return z
    .string({ error: BYTE_SIZE_HELP })
    .regex(BYTE_SIZE, BYTE_SIZE_HELP)
    .transform((text, ctx) => {
      const bytes = parseByteSize(text);
      if (bytes !== undefined && bytes > 0) return bytes;
      ctx.addIssue({ code: 'custom', message: `The size must be above zero and below 8 PiB. ${BYTE_SIZE_HELP}`, input: text });
      return z.NEVER;
    });
}
