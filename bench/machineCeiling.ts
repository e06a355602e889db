/**
 * The machine's ceiling for the full graph's work by CPU accounting (bench full-graph): what
 * one message costs the graph without storage (chatflow's process, the postgres sink replaced
 * by a blackhole) plus what storing its rows costs when the client costs nothing (raw COPY of
 * the same rows: the client sending them and the PostgreSQL server processes storing them),
 * and how many messages per second the machine's cores could do if they did nothing else.
 */

/** CPU microseconds per message of `cpuMs` of CPU time spent on `messages` messages; null without a measurement. */
export function cpuUsPerMessage(cpuMs: number | null, messages: number): number | null {
  if (cpuMs === null || !(messages > 0) || !Number.isFinite(cpuMs)) return null;
  return round((cpuMs * 1000) / messages, 3);
}

export interface MachineCeiling {
  /** cores / the sum of the parts: messages/s with every core doing only this work. */
  readonly messagesPerSec: number;
  readonly cores: number;
  /** The sum of the parts, CPU µs per message. */
  readonly cpuUsPerMessage: number;
  /** Each part, CPU µs per message. */
  readonly parts: Readonly<Record<string, number>>;
}

/**
 * `cores` / the sum of `parts` (CPU µs per message each); null when a part was not measured
 * (not Linux, a process gone) or the sum is not positive.
 */
export function machineCeiling(cores: number, parts: Readonly<Record<string, number | null>>): MachineCeiling | null {
  const values = Object.values(parts);
  if (values.some((v) => v === null || !Number.isFinite(v))) return null;
  const sum = (values as number[]).reduce((a, b) => a + b, 0);
  if (!(sum > 0) || !(cores > 0)) return null;
  return {
    messagesPerSec: Math.round((cores * 1e6) / sum),
    cores,
    cpuUsPerMessage: round(sum, 3),
    parts: parts as Record<string, number>,
  };
}

/** `rate` as a percent of the ceiling, one decimal; null without a ceiling. */
export function ofCeilingPercent(rate: number, ceiling: MachineCeiling | null): number | null {
  return ceiling === null ? null : round((rate / ceiling.messagesPerSec) * 100, 1);
}

function round(n: number, places: number): number {
  return Math.round(n * 10 ** places) / 10 ** places;
}
