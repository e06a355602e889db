/**
 * Partial matching of what a test expects against what came out: only the fields written are
 * compared (nested objects too), numbers within a tolerance, and the differences said in words.
 */

/** One field that differs; `received` is {@link ABSENT} when the field is not there at all. */
export interface Difference {
  /** `value`, `args[0]`, `chat.author.login`; `` for the whole value. */
  readonly path: string;
  readonly expected: unknown;
  readonly received: unknown;
}

export const ABSENT: unique symbol = Symbol('absent');

/** A float's own rounding: `0.1 + 0.2` is `0.3` even with `tolerance: 0`. */
const EPSILON = 1e-9;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The differences of `received` from `expected`, field by field: objects by the keys of
 * `expected` only, lists item by item (the same length), numbers within `tolerance`.
 */
export function differences(expected: unknown, received: unknown, tolerance: number, path = ''): Difference[] {
  if (isRecord(expected)) {
    if (!isRecord(received)) return [{ path, expected, received }];
    return Object.entries(expected).flatMap(([key, value]) =>
      Object.hasOwn(received, key)
        ? differences(value, received[key], tolerance, join(path, key))
        : value === null
          ? []
          : [{ path: join(path, key), expected: value, received: ABSENT }],
    );
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(received) || received.length !== expected.length) return [{ path, expected, received }];
    return expected.flatMap((item, i) => differences(item, received[i], tolerance, join(path, i)));
  }
  if (typeof expected === 'number' && typeof received === 'number') {
    const close = Math.abs(expected - received) <= tolerance + EPSILON * Math.max(1, Math.abs(expected));
    return close || (Number.isNaN(expected) && Number.isNaN(received)) ? [] : [{ path, expected, received }];
  }
  if (expected === null && received === undefined) return [];
  return Object.is(expected, received) ? [] : [{ path, expected, received }];
}

/** Compact JSON, `…` past `max` characters. */
export function show(value: unknown, max = 160): string {
  if (value === ABSENT) return '(absent)';
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `received` cut down to the fields `expected` names, at every depth. */
function pick(expected: unknown, received: unknown): unknown {
  if (!isRecord(expected) || !isRecord(received)) return received;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(expected)) if (Object.hasOwn(received, key)) out[key] = pick(expected[key], received[key]);
  return out;
}

/**
 * What of `received` is worth showing beside `expected`: the fields it names, then `…` when
 * there are more (a chat event has dozens nobody asked about).
 */
export function project(expected: Record<string, unknown>, received: unknown): string {
  if (!isRecord(received)) return show(received);
  const picked = pick(expected, received) as Record<string, unknown>;
  const text = show(picked, 400);
  if (Object.keys(received).length === Object.keys(picked).length) return text;
  return text === '{}' ? '{…}' : `${text.slice(0, -1)},…}`;
}
