/**
 * Durations (`80ms`, `2s`, `5m`, `1h`) and rates (`20/s`, `1/2s`, `300/m`) as written in
 * pipeline.yaml, parsed to milliseconds.
 */
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const RATE = /^(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h)$/;

/** A rate: `count` events per `periodMs` milliseconds. */
export interface Rate {
  readonly count: number;
  readonly periodMs: number;
}

/** Parses `80ms`, `2s`, `1.5m`; returns milliseconds, or undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Parses `20/s`, `1/2s`, `300/m`; returns undefined when malformed. */
export function parseRate(text: string): Rate | undefined {
  const m = RATE.exec(text.trim());
  if (!m) return undefined;
  const periodMs = Number(m[2] ?? 1) * UNIT_MS[m[3] as keyof typeof UNIT_MS];
  if (periodMs <= 0) return undefined;
  return { count: Number(m[1]), periodMs };
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
    .string()
    .regex(DURATION, 'Expected a duration with a unit, such as "80ms", "2s", "5m" or "1h"')
    .transform((text) => parseDuration(text) as number);
}

/** A zod schema for a rate `N/period`; parses to a {@link Rate}. */
export function rate() {
  return z
    .string()
    .regex(RATE, 'Expected a rate such as "20/s", "1/2s" or "300/m"')
    .transform((text) => parseRate(text) as Rate)
    .refine((r) => r.count > 0, 'A rate must let at least one event through');
}
