/**
 * One accounting of the YouTube Data API quota for the whole process (`YOUTUBE_QUOTA` in
 * `resources.services`): the units every call costs, counted per Google project and per
 * quota day (midnight to midnight Pacific time, as Google resets it), whether the call read
 * chat (`youtube` source) or sent it (`chat` sink). Both spend from it, so reading and sending
 * never count the same budget twice or apart.
 *
 * The policy between them: sending may spend only what reading is not still guaranteed. With
 * `reading_reserve` r and a daily quota Q, reading is guaranteed r·Q units a day; a send is
 * allowed while (units left) − (r·Q − units read so far, at least 0) ≥ its cost. Reading may
 * spend everything left (what sending did not use included). So replies can never make the
 * bot go deaf, and a quiet bot leaves its share to reading.
 *
 * Pure accounting with no I/O and no clock of its own (every call takes the time): `chatflow
 * run` provides one that persists through `onChange` (resources/youtube/quotaFile.ts), the
 * virtual-time harness one in memory.
 */
import { serviceKey } from './services.js';

/** Quota units per call (reference/youtube-send.md §3, platform-protocols.md §3.1). */
export const QUOTA_COST = {
  'videos.list': 1,
  'liveChatMessages.list': 5,
  'liveChatMessages.insert': 20,
} as const;

/** Used-quota fractions at which a warning is logged, once each per project and quota day. */
export const QUOTA_WARNINGS = [0.8, 0.95] as const;

/** What a call was for: reading chat or sending it. */
export type QuotaPurpose = 'read' | 'send';

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

interface PacificTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function pacificTime(epochMs: number): PacificTime {
  const p: Record<string, number> = {};
  for (const part of pacific.formatToParts(epochMs)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year ?? 0, month: p.month ?? 1, day: p.day ?? 1, hour: p.hour ?? 0, minute: p.minute ?? 0, second: p.second ?? 0 };
}

/** Pacific wall time minus UTC at `epochMs`, in ms (−7 h in summer, −8 h in winter). */
function pacificOffset(epochMs: number): number {
  const t = pacificTime(epochMs);
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return wall - (epochMs - (((epochMs % 1000) + 1000) % 1000));
}

/** The quota day (`YYYY-MM-DD` in Pacific time) an instant belongs to; quota resets when it changes. */
export function quotaDay(epochMs: number): string {
  const t = pacificTime(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${t.year}-${pad(t.month)}-${pad(t.day)}`;
}

/** Epoch ms of the next midnight Pacific time after `epochMs` (exact on the days clocks change). */
export function nextQuotaReset(epochMs: number): number {
  const t = pacificTime(epochMs);
  const midnightWall = Date.UTC(t.year, t.month - 1, t.day + 1);
  // Clocks change at 2 am, so midnight's offset is read at a guess made with today's: the
  // guess is at most an hour off, on the same side of the change as midnight.
  const guess = midnightWall - pacificOffset(epochMs);
  return midnightWall - pacificOffset(guess);
}

/** Milliseconds from `epochMs` to the next midnight Pacific time, when YouTube resets the daily quota. */
export function msUntilQuotaReset(epochMs: number): number {
  return Math.max(1000, nextQuotaReset(epochMs) - epochMs);
}

/** One project's day so far. */
export interface ProjectUsage {
  /** Units spent reading chat (`videos.list`, `liveChatMessages.list`). */
  readonly read: number;
  /** Units spent sending (`liveChatMessages.insert`). */
  readonly send: number;
  /** Google answered `quotaExceeded`: nothing is left until {@link exhaustedUntil}, whatever the count says. */
  readonly exhausted: boolean;
}

/** What is persisted of a project: its usage and until when Google's `quotaExceeded` holds. */
export interface StoredUsage {
  readonly read: number;
  readonly send: number;
  /** Epoch ms; absent when Google has not refused. */
  readonly exhaustedUntil?: number | undefined;
}

/** What is persisted: the quota day and each project's usage in it. */
export interface QuotaSnapshot {
  readonly day: string;
  readonly projects: Readonly<Record<string, StoredUsage>>;
}

/** Whether a send may go out, and if not, why (the chat sink's drop reason `refused_<reason>`). */
export type SendDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'quota_exhausted' | 'quota_reserved'; readonly detail: string };

/** A project's budget as a node sees it: its `daily_quota` and, for sending, `reading_reserve`. */
export interface QuotaBudget {
  readonly project: string;
  readonly dailyQuota: number;
}

interface Usage {
  read: number;
  send: number;
  exhaustedUntil: number;
  readonly warned: Set<number>;
}

export interface YoutubeQuotaOptions {
  /** What was persisted; used when it is of the current quota day, else forgotten. */
  readonly restore?: QuotaSnapshot;
  /** Told after every change (a spend, a `quotaExceeded`, a new day), to persist it. */
  readonly onChange?: (snapshot: QuotaSnapshot) => void;
}

/** The process's YouTube quota accounting; see the module comment. */
export class YoutubeQuota {
  #day = '';
  readonly #projects = new Map<string, Usage>();
  readonly #onChange: ((snapshot: QuotaSnapshot) => void) | undefined;

  constructor(options: YoutubeQuotaOptions = {}) {
    this.#onChange = options.onChange;
    const restore = options.restore;
    if (restore !== undefined) {
      this.#day = restore.day;
      for (const [project, u] of Object.entries(restore.projects)) {
        this.#projects.set(project, { read: u.read, send: u.send, exhaustedUntil: u.exhaustedUntil ?? 0, warned: new Set() });
      }
    }
  }

  /** The project's usage on the quota day of `at`. */
  usage(project: string, at: number): ProjectUsage {
    const u = this.#usage(project, at);
    return { read: u.read, send: u.send, exhausted: at < u.exhaustedUntil };
  }

  /** Units the project spent today, reading and sending. */
  used(project: string, at: number): number {
    const u = this.#usage(project, at);
    return u.read + u.send;
  }

  /** Units left of the budget today (0 once Google said `quotaExceeded`). */
  remaining(budget: QuotaBudget, at: number): number {
    const u = this.#usage(budget.project, at);
    return at < u.exhaustedUntil ? 0 : Math.max(0, budget.dailyQuota - u.read - u.send);
  }

  /**
   * What sending may still spend today: what is left, less what reading is still guaranteed
   * (`readingReserve` of the budget, less what reading spent already).
   */
  sendable(budget: QuotaBudget, readingReserve: number, at: number): number {
    const u = this.#usage(budget.project, at);
    const guaranteed = Math.max(0, Math.floor(readingReserve * budget.dailyQuota) - u.read);
    return Math.max(0, this.remaining(budget, at) - guaranteed);
  }

  /** Whether a send of `units` may go out now (see {@link sendable}). */
  maySend(budget: QuotaBudget, readingReserve: number, units: number, at: number): SendDecision {
    const left = this.remaining(budget, at);
    const used = this.used(budget.project, at);
    if (left < units) {
      const why = at < this.#usage(budget.project, at).exhaustedUntil ? 'YouTube answered quotaExceeded' : `${used} of ${budget.dailyQuota} units spent`;
      return { ok: false, reason: 'quota_exhausted', detail: `${why} today (project "${budget.project}"); it resets at midnight Pacific time` };
    }
    if (this.sendable(budget, readingReserve, at) < units) {
      return {
        ok: false,
        reason: 'quota_reserved',
        detail: `the ${left} units left today are kept for reading chat (reading_reserve ${readingReserve})`,
      };
    }
    return { ok: true };
  }

  /**
   * Records a call's cost (every call is charged, failed ones too).
   * @returns The warning thresholds (fractions of `dailyQuota`) crossed for the first time today.
   */
  spend(budget: QuotaBudget, purpose: QuotaPurpose, units: number, at: number): number[] {
    const u = this.#usage(budget.project, at);
    if (purpose === 'read') u.read += units;
    else u.send += units;
    const used = u.read + u.send;
    const crossed: number[] = [];
    for (const threshold of QUOTA_WARNINGS) {
      if (used >= threshold * budget.dailyQuota && !u.warned.has(threshold)) {
        u.warned.add(threshold);
        crossed.push(threshold);
      }
    }
    this.#changed();
    return crossed;
  }

  /**
   * Google answered `quotaExceeded`: nothing is left for the project until `until` (at most the
   * reset), when a call may try again (the project's quota may have been raised meanwhile).
   */
  exhausted(project: string, at: number, until: number): void {
    const u = this.#usage(project, at);
    const end = Math.min(until, nextQuotaReset(at));
    if (end <= u.exhaustedUntil) return;
    u.exhaustedUntil = end;
    this.#changed();
  }

  snapshot(): QuotaSnapshot {
    const projects: Record<string, StoredUsage> = {};
    for (const [project, u] of this.#projects) {
      projects[project] = { read: u.read, send: u.send, ...(u.exhaustedUntil > 0 ? { exhaustedUntil: u.exhaustedUntil } : {}) };
    }
    return { day: this.#day, projects };
  }

  #usage(project: string, at: number): Usage {
    const day = quotaDay(at);
    if (day !== this.#day) {
      this.#day = day;
      this.#projects.clear();
      this.#changed();
    }
    let u = this.#projects.get(project);
    if (u === undefined) {
      u = { read: 0, send: 0, exhaustedUntil: 0, warned: new Set() };
      this.#projects.set(project, u);
    }
    return u;
  }

  #changed(): void {
    this.#onChange?.(this.snapshot());
  }
}

export const YOUTUBE_QUOTA = serviceKey<YoutubeQuota>('youtubeQuota');
