/**
 * The SQL side of the API (src/server/apiRoutes.ts): parsing `/api/metrics/historical`'s and
 * `/api/moderation`'s query strings and building their statements, and rows of `questions` and
 * `moderation_events` as {@link QuestionView}s and {@link ModerationView}s. Pure.
 */
import type { Platform, Verdict } from '../core/events.js';
import type { ModerationResponse, ModerationView, QuestionView } from './dashboardWire.js';

/** `/api/metrics/historical` parameters, checked. */
export interface HistoricalParams {
  readonly name: string;
  /** Epoch ms, inclusive. */
  readonly from: number;
  readonly to: number;
  /** Every label given must match (`labels @>`). */
  readonly labels: Readonly<Record<string, string>>;
  readonly instance?: string;
  readonly limit: number;
}

/** Rows one request may return. */
export const MAX_HISTORICAL_ROWS = 10_000;
export const DEFAULT_HISTORICAL_ROWS = 1_000;
/** Default range: the last hour. */
export const DEFAULT_HISTORICAL_RANGE_MS = 3_600_000;

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** A time as epoch ms or an ISO 8601 date; `undefined` when it is neither. */
export function parseTime(value: string): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Labels as `k=v,k2=v2` or a JSON object of strings. */
export function parseLabels(value: string): Record<string, string> | undefined {
  const text = value.trim();
  if (text === '') return {};
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(parsed)) {
        if (typeof v !== 'string') return undefined;
        out[k] = v;
      }
      return out;
    } catch {
      return undefined;
    }
  }
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Checks `name` (required), `from`/`to` (epoch ms or ISO; default the last hour up to now),
 * `labels`, `instance` and `limit` (default 1000, at most 10000).
 */
export function parseHistoricalQuery(query: Readonly<Record<string, unknown>>, now: number): Parsed<HistoricalParams> {
  const str = (key: string): string | undefined => {
    const v = query[key];
    return typeof v === 'string' ? v : undefined;
  };
  const name = str('name');
  if (name === undefined || name === '') return { ok: false, message: '`name` is required: the metric to read.' };
  const toRaw = str('to');
  const to = toRaw === undefined ? now : parseTime(toRaw);
  if (to === undefined) return { ok: false, message: '`to` is epoch milliseconds or an ISO 8601 time.' };
  const fromRaw = str('from');
  const from = fromRaw === undefined ? to - DEFAULT_HISTORICAL_RANGE_MS : parseTime(fromRaw);
  if (from === undefined) return { ok: false, message: '`from` is epoch milliseconds or an ISO 8601 time.' };
  if (from > to) return { ok: false, message: '`from` is after `to`.' };
  const labelsRaw = str('labels');
  const labels = labelsRaw === undefined ? {} : parseLabels(labelsRaw);
  if (labels === undefined) return { ok: false, message: '`labels` is `key=value,key2=value2` or a JSON object of strings.' };
  const limitRaw = str('limit');
  const limit = limitRaw === undefined ? DEFAULT_HISTORICAL_ROWS : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORICAL_ROWS) {
    return { ok: false, message: `\`limit\` is a whole number from 1 to ${MAX_HISTORICAL_ROWS}.` };
  }
  const instance = str('instance');
  return { ok: true, value: { name, from, to, labels, limit, ...(instance ? { instance } : {}) } };
}

/** The statement for {@link HistoricalParams}: one row more than `limit`, to tell truncation. */
export function historicalQuery(p: HistoricalParams): { text: string; values: unknown[] } {
  const values: unknown[] = [p.name, new Date(p.from).toISOString(), new Date(p.to).toISOString()];
  let where = 'name = $1 AND ts >= $2 AND ts <= $3';
  if (Object.keys(p.labels).length > 0) {
    values.push(JSON.stringify(p.labels));
    where += ` AND labels @> $${values.length}::jsonb`;
  }
  if (p.instance !== undefined) {
    values.push(p.instance);
    where += ` AND instance = $${values.length}`;
  }
  values.push(p.limit + 1);
  return {
    text: `SELECT name, labels, value, summary, instance, (extract(epoch FROM ts) * 1000)::float8 AS ts
             FROM system_metrics WHERE ${where} ORDER BY ts, id LIMIT $${values.length}`,
    values,
  };
}

/** A `questions` row as the API selects it. */
export interface QuestionRow {
  readonly id: string | number;
  readonly platform: string;
  readonly channel: string;
  readonly author_login: string;
  readonly text: string;
  readonly upvotes: number;
  readonly answered: boolean;
  readonly ts: number;
}

export function questionRow(row: QuestionRow): QuestionView {
  return {
    id: Number(row.id),
    platform: row.platform as Platform,
    channel: row.channel,
    login: row.author_login,
    text: row.text,
    upvotes: row.upvotes,
    answered: row.answered,
    ts: Number(row.ts),
  };
}

/** `/api/moderation` parameters, checked. */
export interface ModerationParams {
  /** Epoch ms, inclusive: the start of the window the verdicts and counts cover. */
  readonly since: number;
  /** Verdicts listed, at most {@link MAX_MODERATION_ROWS}. */
  readonly limit: number;
}

/** Verdicts one request lists; a larger `limit` is lowered to this. */
export const MAX_MODERATION_ROWS = 200;
export const DEFAULT_MODERATION_ROWS = 50;
/** Default window: the last 24 hours (a long stream). */
export const DEFAULT_MODERATION_WINDOW_MS = 86_400_000;

/**
 * Checks `limit` (a whole number ≥ 1, default 50, lowered to 200) and `since` (epoch ms or ISO;
 * default 24 hours before `now`).
 */
export function parseModerationQuery(query: Readonly<Record<string, unknown>>, now: number): Parsed<ModerationParams> {
  const limitRaw = typeof query.limit === 'string' ? query.limit : undefined;
  const limit = limitRaw === undefined ? DEFAULT_MODERATION_ROWS : Number(limitRaw);
  if (limitRaw === '' || !Number.isInteger(limit) || limit < 1) {
    return { ok: false, message: '`limit` is a whole number of 1 or more (at most 200 are listed).' };
  }
  const sinceRaw = typeof query.since === 'string' ? query.since : undefined;
  const since = sinceRaw === undefined ? now - DEFAULT_MODERATION_WINDOW_MS : parseTime(sinceRaw);
  if (since === undefined || !Number.isFinite(since)) {
    return { ok: false, message: '`since` is epoch milliseconds or an ISO 8601 time.' };
  }
  return { ok: true, value: { since, limit: Math.min(limit, MAX_MODERATION_ROWS) } };
}

/** The statement listing the newest verdicts: one row more than `limit`, to tell truncation. */
export function moderationListQuery(p: ModerationParams): { text: string; values: unknown[] } {
  return {
    text: `SELECT id, platform, channel, author_login, verdict, reasons, points, text,
                  (extract(epoch FROM ts) * 1000)::float8 AS ts
             FROM moderation_events
            WHERE ts >= $1
            ORDER BY ts DESC, id DESC
            LIMIT $2`,
    values: [new Date(p.since).toISOString(), p.limit + 1],
  };
}

/**
 * The statement counting the window's verdicts by verdict (`kind = 'verdict'`) and by reason
 * (`kind = 'reason'`; a row with two reasons counts under both).
 */
export function moderationCountsQuery(p: ModerationParams): { text: string; values: unknown[] } {
  return {
    text: `SELECT 'verdict' AS kind, verdict AS key, count(*)::int AS n
             FROM moderation_events
            WHERE ts >= $1
            GROUP BY verdict
           UNION ALL
           SELECT 'reason', reason, count(*)::int
             FROM moderation_events m
            CROSS JOIN LATERAL jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(m.reasons) = 'array' THEN m.reasons ELSE '[]'::jsonb END) AS reason
            WHERE m.ts >= $1
            GROUP BY reason`,
    values: [new Date(p.since).toISOString()],
  };
}

/** A `moderation_events` row as {@link moderationListQuery} selects it. */
export interface ModerationRow {
  readonly id: string | number;
  readonly platform: string;
  readonly channel: string;
  readonly author_login: string;
  readonly verdict: string;
  /** jsonb, parsed by `pg`: an array of strings as the postgres sink writes it. */
  readonly reasons: unknown;
  readonly points: number;
  readonly text: string;
  readonly ts: number;
}

export function moderationRow(row: ModerationRow): ModerationView {
  return {
    id: Number(row.id),
    platform: row.platform as Platform,
    channel: row.channel,
    login: row.author_login,
    verdict: row.verdict as Verdict,
    reasons: Array.isArray(row.reasons) ? row.reasons.filter((r): r is string => typeof r === 'string') : [],
    points: Number(row.points),
    text: row.text,
    ts: Number(row.ts),
  };
}

/** A row of {@link moderationCountsQuery}. */
export interface ModerationCountRow {
  readonly kind: 'verdict' | 'reason';
  readonly key: string;
  readonly n: number;
}

/** The `counts` of {@link ModerationResponse}, keys sorted, from {@link moderationCountsQuery}'s rows. */
export function moderationCounts(rows: readonly ModerationCountRow[]): ModerationResponse['counts'] {
  const sorted = [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Entries, not assignment: a regex rule named `__proto__` stays an ordinary key.
  const byVerdict: [string, number][] = [];
  const byReason: [string, number][] = [];
  let total = 0;
  for (const row of sorted) {
    const n = Number(row.n);
    if (row.kind === 'verdict') {
      byVerdict.push([row.key, n]);
      total += n;
    } else {
      byReason.push([row.key, n]);
    }
  }
  return {
    total,
    byVerdict: Object.fromEntries(byVerdict) as Partial<Record<Verdict, number>>,
    byReason: Object.fromEntries(byReason),
  };
}
