/**
 * Turns zod's issues for one part of pipeline.yaml into {@link ConfigIssue}s a streamer can act
 * on: `unknown_key` with the nearest allowed key, `missing_key`, and `invalid_value` with a
 * readable message, each at the YAML node it is about.
 */
import type { z } from 'zod';
import { suggest } from '../core/suggest.js';
import type { IssueList } from './issues.js';
import type { Path, PathSegment } from './positions.js';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;

/**
 * Parses `input` with readable messages for zod's built-in checks. A schema's own message
 * (`duration()`'s "Expected a duration with a unit…") still wins: zod 4 prefers it to the
 * per-parse error map.
 */
export function safeParse(schema: z.ZodType, input: unknown): ReturnType<z.ZodType['safeParse']> {
  return schema.safeParse(input, { error: readableMessage });
}

/** zod's per-parse error map: "Expected number, received string" instead of "Invalid input: …". */
export function readableMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return `Expected an integer, received ${describe(issue.input)}`;
      return `Expected ${issue.expected}, received ${kindOf(issue.input)}`;
    case 'invalid_value':
      return `${expectedValues(issue.values)}, received ${describe(issue.input)}`;
    case 'too_small':
      return bound('at least', 'greater than', issue.origin, issue.minimum, issue.inclusive, issue.exact, issue.input);
    case 'too_big':
      return bound('at most', 'less than', issue.origin, issue.maximum, issue.inclusive, issue.exact, issue.input);
    case 'invalid_format':
      return issue.format === 'regex'
        ? `Expected text matching ${issue.pattern}, received ${describe(issue.input)}`
        : `Expected a valid ${issue.format}, received ${describe(issue.input)}`;
    case 'not_multiple_of':
      return `Expected a multiple of ${issue.divisor}, received ${describe(issue.input)}`;
    case 'invalid_union':
      return unionMessage(issue.errors, issue.input);
    default:
      return undefined;
  }
}

/**
 * Reports zod's issues from parsing `input` (found at `base` in the file) with `schema`.
 *
 * @param list Where issues go.
 * @param base Path of `input` in the file, e.g. `['operators', 'cmds']`.
 */
export function reportZodIssues(
  list: IssueList,
  base: Path,
  schema: Schema,
  input: unknown,
  issues: readonly Issue[],
): void {
  const typos = typoTargets(schema, input, issues);
  for (const issue of issues) {
    // `mtch:` instead of `match:` is one mistake; "missing match" would only repeat it.
    if (typos.has(issue.path.map(String).join('\0'))) continue;
    reportOne(list, base, schema, input, issue, []);
  }
}

/** The paths of required keys an unknown key beside them is a typo of. */
function typoTargets(schema: Schema, input: unknown, issues: readonly Issue[]): Set<string> {
  const targets = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const at = issue.path.map(toSegment);
    const allowed = unusedKeys(schema, input, at);
    for (const key of issue.keys) {
      const meant = suggest(key, allowed);
      if (meant !== undefined) targets.add([...at, meant].map(String).join('\0'));
    }
  }
  return targets;
}

function reportOne(
  list: IssueList,
  base: Path,
  schema: Schema,
  input: unknown,
  issue: Issue,
  prefix: readonly PathSegment[],
): void {
  const at = [...prefix, ...issue.path.map(toSegment)];
  const path = [...base, ...at];
  if (issue.code === 'unrecognized_keys') {
    const allowed = unusedKeys(schema, input, at);
    for (const key of issue.keys) {
      const suggestion = suggest(key, allowed);
      const hint = suggestion || allowed.length === 0 ? '' : `; allowed here: ${allowed.join(', ')}`;
      list.error('unknown_key', [...path, key], `Unknown key "${key}"${hint}`, { key: true, suggestion });
    }
    return;
  }
  if (isMissing(input, at)) {
    const key = String(at[at.length - 1]);
    // The path leaves the document, so the issue lands on the key of the mapping that lacks it.
    list.error('missing_key', path, `Missing required key "${key}"`);
    return;
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0 && !isSimpleUnion(issue.errors)) {
    // The alternative that got furthest (the deepest issue) is the one the user was writing.
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0] ?? [];
    for (const inner of best) reportOne(list, base, schema, input, inner, at);
    return;
  }
  const suggestion = issue.code === 'invalid_value' ? suggestValue(valueAt(input, at), issue.values) : undefined;
  list.error('invalid_value', path, issue.message, { suggestion });
}

/** The keys allowed at `at` that the input does not use yet: what an unknown key may have meant. */
function unusedKeys(schema: Schema, input: unknown, at: Path): string[] {
  const present = Object.keys(asRecord(valueAt(input, at)) ?? {});
  return keysAt(schema, at).filter((key) => !present.includes(key));
}

function isMissing(input: unknown, at: Path): boolean {
  if (at.length === 0) return false;
  const parent = asRecord(valueAt(input, at.slice(0, -1)));
  return parent !== undefined && !Array.isArray(parent) && !Object.hasOwn(parent, String(at[at.length - 1]));
}

function suggestValue(value: unknown, values: readonly unknown[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  return suggest(
    value,
    values.filter((v): v is string => typeof v === 'string'),
  );
}

/** A union whose every alternative failed at its own root, e.g. `boolean | "true" | "false"`. */
function isSimpleUnion(errors: readonly (readonly Issue[])[]): boolean {
  return errors.every((branch) =>
    branch.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')),
  );
}

function depth(branch: readonly Issue[]): number {
  return Math.max(0, ...branch.map((i) => i.path.length));
}

function unionMessage(errors: readonly (readonly Issue[])[], input: unknown): string | undefined {
  if (errors.length === 0 || !isSimpleUnion(errors)) return undefined;
  const expected = errors.flatMap((branch) =>
    branch.flatMap((i) => {
      if (i.code === 'invalid_type') return [i.expected];
      if (i.code === 'invalid_value') return i.values.map((v) => JSON.stringify(v));
      return [];
    }),
  );
  return `Expected ${listOr(expected)}, received ${describe(input)}`;
}

/** `a`, `a or b`, `a, b or c`. */
function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function expectedValues(values: readonly unknown[]): string {
  const shown = values.map((v) => JSON.stringify(v)).join(', ');
  return values.length === 1 ? `Expected ${shown}` : `Expected one of ${shown}`;
}

function bound(
  fewest: string,
  beyond: string,
  origin: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
  exact: boolean | undefined,
  input: unknown,
): string {
  if (origin === 'array' || origin === 'set' || origin === 'string') {
    const unit = origin === 'string' ? 'character' : 'item';
    const plural = Number(limit) === 1 ? unit : `${unit}s`;
    return `Expected ${exact ? 'exactly' : fewest} ${limit} ${plural}`;
  }
  const comparison = exact ? 'exactly' : inclusive ? fewest : beyond;
  return `Expected a number ${comparison} ${limit}, received ${describe(input)}`;
}

/** `string`, `number`, `array`, `object`, `null`: the words zod's `expected` uses. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value;
}

/** A short rendering of a received value: scalars as written, collections by kind. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return kindOf(value);
}

function toSegment(key: PropertyKey): PathSegment {
  return typeof key === 'number' ? key : String(key);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

function valueAt(input: unknown, path: Path): unknown {
  let value = input;
  for (const segment of path) value = asRecord(value)?.[String(segment)];
  return value;
}

/** The keys an object schema allows at `path` (every alternative's keys for a union). */
export function keysAt(schema: Schema, path: Path): string[] {
  let schemas = unwrap(schema);
  for (const segment of path) schemas = schemas.flatMap((s) => childOf(s, segment)).flatMap(unwrap);
  const keys = new Set<string>();
  for (const s of schemas) {
    const def = s._zod.def as { type: string; shape?: Record<string, unknown> };
    if (def.type === 'object' && def.shape) for (const key of Object.keys(def.shape)) keys.add(key);
  }
  return [...keys];
}

/** Looks through wrappers (optional, default, transform pipes, lazy) to the schemas that parse. */
export function unwrap(schema: Schema): Schema[] {
  const def = schema._zod.def as { type: string } & Record<string, unknown>;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return unwrap(def.innerType as Schema);
    case 'pipe':
      return unwrap(def.in as Schema);
    case 'lazy':
      return unwrap((def.getter as () => Schema)());
    case 'union':
      return (def.options as Schema[]).flatMap(unwrap);
    case 'intersection':
      return [...unwrap(def.left as Schema), ...unwrap(def.right as Schema)];
    default:
      return [schema];
  }
}

export function childOf(schema: Schema, segment: PathSegment): Schema[] {
  const def = schema._zod.def as { type: string } & Record<string, unknown>;
  switch (def.type) {
    case 'object': {
      const child = (def.shape as Record<string, Schema>)[String(segment)];
      return child ? [child] : [];
    }
    case 'array':
      return [def.element as Schema];
    case 'record':
      return [def.valueType as Schema];
    case 'tuple': {
      const items = def.items as Schema[];
      const item = typeof segment === 'number' ? items[segment] : undefined;
      return item ? [item] : def.rest ? [def.rest as Schema] : [];
    }
    default:
      return [];
  }
}
