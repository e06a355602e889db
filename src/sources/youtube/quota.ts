/**
 * The YouTube Data API quota budget of a `youtube` node: what each call costs, when the day's
 * budget resets (midnight Pacific time), and how fast to poll so the budget lasts the stream
 * (platform-protocols.md §3.1). Pure functions and a small ledger; no I/O, no timers.
 */

/** Quota units per call (developers.google.com quota calculator; platform-protocols.md §3.1). */
export const QUOTA_COST = {
  /** `videos.list`. */
  videos: 1,
  /** `liveChatMessages.list`. */
  messages: 5,
} as const;

/** Used-quota fractions at which a warning is logged, once each per quota day. */
export const QUOTA_WARNINGS = [0.8, 0.95] as const;

const DAY_MS = 86_400_000;

const pacific = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/Los_Angeles',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function pacificParts(epochMs: number): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const part of pacific.formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return parts;
}

/** The quota day (`YYYY-MM-DD` in Pacific time) an instant belongs to; quota resets when it changes. */
export function quotaDay(epochMs: number): string {
  const p = pacificParts(epochMs);
  const pad = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/**
 * Milliseconds from `epochMs` to the next midnight Pacific time, when YouTube resets the
 * daily quota. On the two days a year the clocks change this is off by up to an hour.
 */
export function msUntilQuotaReset(epochMs: number): number {
  const p = pacificParts(epochMs);
  const into = (((p.hour ?? 0) * 60 + (p.minute ?? 0)) * 60 + (p.second ?? 0)) * 1000 + (((epochMs % 1000) + 1000) % 1000);
  return Math.max(1000, DAY_MS - into);
}

/** What {@link planPolling} needs. */
export interface QuotaPlanInput {
  /** Units spent so far today. */
  readonly usedUnits: number;
  /** The day's budget (`daily_quota`). */
  readonly dailyQuota: number;
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
  const remainingUnits = Math.max(0, input.dailyQuota - input.usedUnits);
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

/** Units spent in the current quota day, and the warnings already given for it. */
export class QuotaLedger {
  #day = '';
  #used = 0;
  readonly #warned = new Set<number>();

  constructor(readonly dailyQuota: number) {}

  /** Units spent today (as of `epochMs`). */
  used(epochMs: number): number {
    this.#roll(epochMs);
    return this.#used;
  }

  remaining(epochMs: number): number {
    return Math.max(0, this.dailyQuota - this.used(epochMs));
  }

  /**
   * Records a call's cost.
   * @returns The warning thresholds (fractions of `dailyQuota`) crossed for the first time today.
   */
  spend(units: number, epochMs: number): number[] {
    this.#roll(epochMs);
    this.#used += units;
    const crossed: number[] = [];
    for (const threshold of QUOTA_WARNINGS) {
      if (this.#used >= threshold * this.dailyQuota && !this.#warned.has(threshold)) {
        this.#warned.add(threshold);
        crossed.push(threshold);
      }
    }
    return crossed;
  }

  #roll(epochMs: number): void {
    const day = quotaDay(epochMs);
    if (day === this.#day) return;
    this.#day = day;
    this.#used = 0;
    this.#warned.clear();
  }
}
