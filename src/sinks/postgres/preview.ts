/**
 * The `postgres` sink's preview: each row exactly as the sink encodes it for COPY (rows.ts),
 * read back column by column into `{ table, row }` the way PostgreSQL would store it.
 */
import type { ComponentContext, PreviewEmit, SinkPreview } from '../../core/component.js';
import type { ChatflowEvent } from '../../core/events.js';
import type { PostgresConfig } from './config.js';
import { CopyEncoder, eventRows, type RowOptions, TABLES, type TableLines, type TableName, type TableSpec } from './rows.js';

const UNESCAPES: Readonly<Record<string, string>> = { '\\': '\\', t: '\t', n: '\n', r: '\r' };

/** One COPY text field back to its text; `null` for `\N`. */
export function unescapeCopy(field: string): string | null {
  if (field === '\\N') return null;
  return field.includes('\\') ? field.replace(/\\(.)/g, (_m, c: string) => UNESCAPES[c] ?? c) : field;
}

type Decode = (text: string) => unknown;

const asNumber: Decode = (text) => Number(text);
const asBoolean: Decode = (text) => text === 't';
const asJson: Decode = (text) => JSON.parse(text) as unknown;
const asText: Decode = (text) => text;

/** How a column's text is read: numbers, booleans and JSON as such; times and text as text. */
function decoderOf(type: string): Decode {
  if (type === 'integer' || type === 'bigint' || type === 'double precision') return asNumber;
  if (type === 'boolean') return asBoolean;
  if (type === 'jsonb') return asJson;
  return asText;
}

interface RowPlan {
  readonly names: readonly string[];
  readonly decoders: readonly Decode[];
}

function planOf(spec: TableSpec): RowPlan {
  return { names: spec.columns.map(([name]) => name), decoders: spec.columns.map(([, type]) => decoderOf(type)) };
}

/** The plan of every table, made once (read-only). */
const PLANS: ReadonlyMap<TableSpec, RowPlan> = new Map(Object.values(TABLES).map((spec: TableSpec) => [spec, planOf(spec)]));

/** A COPY text line of `spec` as a row, column by column, the way PostgreSQL would store it. */
export function copyRow(spec: TableSpec, line: string): Record<string, unknown> {
  const plan = PLANS.get(spec) ?? planOf(spec);
  const fields = line.split('\t');
  const row: Record<string, unknown> = {};
  const { names, decoders } = plan;
  for (let i = 0; i < names.length; i++) {
    const text = unescapeCopy(fields[i] ?? '\\N');
    row[names[i] as string] = text === null ? null : (decoders[i] as Decode)(text);
  }
  return row;
}

/**
 * `{ table, row }` per row the sink would store, in event order; events of kinds not in
 * `kinds` are counted `kind_not_stored`, as the sink counts them.
 */
export function postgresPreview(config: PostgresConfig, ctx: ComponentContext, emit: PreviewEmit): SinkPreview {
  const kinds = new Set<string>(config.kinds);
  const encoder = new CopyEncoder();
  const options: RowOptions = {
    instance: ctx.resources.instance,
    questionCommands: new Set(config.question_commands),
    now: ctx.wallClock,
  };
  return {
    write: (batch: readonly ChatflowEvent[]) => {
      let skipped = 0;
      // One event's lines at a time, so rows come out in event order.
      const lines: TableLines = new Map();
      for (const event of batch) {
        if (!kinds.has(event.kind) || eventRows(event, encoder, options, lines) === 0) {
          skipped += 1;
          continue;
        }
        for (const [table, rows] of lines) {
          const spec = TABLES[table as TableName];
          for (const line of rows) emit({ table, row: copyRow(spec, line) });
        }
        lines.clear();
      }
      if (skipped > 0) ctx.metrics.drop('kind_not_stored', true, skipped);
    },
  };
}
