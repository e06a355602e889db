/**
 * How fast a `youtube` node polls so the quota left lasts the stream (platform-protocols.md
 * §3.1). What calls cost, the quota day and the count itself are the process's one accounting,
 * core/youtubeQuota.ts. A pure function; no I/O, no timers.
 */

/** What {@link planPolling} needs. */
export interface QuotaPlanInput {
  /** Units reading may still spend today (core/youtubeQuota.ts: `remaining`). */
  readonly remainingUnits: number;
  /** Units one poll costs. */
  readonly unitsPerPoll: number;
  /** Never poll faster than this: the server's `pollingIntervalMillis` (or `min_poll_interval`). */
  readonly minIntervalMs: number;
  /** Time left of the expected stream (`stream_hours` from the start); may be ≤ 0 once it ran over. */
  readonly msUntilStreamEnd: number;
  /** Time until the quota resets (midnight Pacific). */
  readonly msUntilReset: number;
}

/** How to poll next. */
export interface QuotaPlan {
  /** Wait this long before the next poll. */
  readonly intervalMs: number;
  readonly remainingUnits: number;
  /** Polls the remaining budget pays for. */
  readonly pollsLeft: number;
  /** At this pace, the budget runs out in this long (0: already out). */
  readonly exhaustedInMs: number;
  /** True when the interval is longer than `minIntervalMs` to save quota. */
  readonly paced: boolean;
  /** True when nothing is left: the interval waits for the reset. */
  readonly exhausted: boolean;
}

/**
 * The next poll interval: `max(minIntervalMs, horizon / pollsLeft)`, where the horizon is
 * what is left of the stream or of the quota day, whichever ends first. So the budget is spent
 * evenly and lasts the stream (or until it resets anyway). Past the expected end of the
 * stream the server's pace is used. With nothing left, the interval is the time to the reset.
 */
export function planPolling(input: QuotaPlanInput): QuotaPlan {
  const remainingUnits = Math.max(0, input.remainingUnits);
  const pollsLeft = Math.floor(remainingUnits / Math.max(1, input.unitsPerPoll));
  const minIntervalMs = Math.max(0, input.minIntervalMs);
  if (pollsLeft === 0) {
    return { intervalMs: Math.max(minIntervalMs, input.msUntilReset), remainingUnits, pollsLeft, exhaustedInMs: 0, paced: true, exhausted: true };
  }
  const horizon = Math.min(Math.max(0, input.msUntilStreamEnd), Math.max(0, input.msUntilReset));
  const even = horizon > 0 ? Math.ceil(horizon / pollsLeft) : 0;
  const intervalMs = Math.max(minIntervalMs, even);
  return {
    intervalMs,
    remainingUnits,
    pollsLeft,
    exhaustedInMs: pollsLeft * intervalMs,
    paced: even > minIntervalMs,
    exhausted: false,
  };
}
