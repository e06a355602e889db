/**
 * The SQL side of the API (src/server/apiRoutes.ts): parsing `/api/metrics/historical`'s query
 * string and building its statement, and rows of `questions` as {@link QuestionView}s. Pure.
 */
import type { Platform } from '../core/events.js';
import type { QuestionView } from './dashboardWire.js';

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
