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

/** A COPY text line of `spec` as a row: numbers, booleans and JSON as such; times and text as text. */
export function copyRow(spec: TableSpec, line: string): Record<string, unknown> {
  const fields = line.split('\t');
  const row: Record<string, unknown> = {};
  spec.columns.forEach(([name, type], i) => {
    const text = unescapeCopy(fields[i] ?? '\\N');
    if (text === null) row[name] = null;
    else if (type === 'integer' || type === 'bigint' || type === 'double precision') row[name] = Number(text);
    else if (type === 'boolean') row[name] = text === 't';
    else if (type === 'jsonb') row[name] = JSON.parse(text) as unknown;
    else row[name] = text;
  });
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
      for (const event of batch) {
        const lines: TableLines = new Map();
        if (!kinds.has(event.kind) || eventRows(event, encoder, options, lines) === 0) {
          skipped += 1;
          continue;
        }
        for (const [table, rows] of lines) {
          const spec = TABLES[table as TableName];
          for (const line of rows) emit({ table, row: copyRow(spec, line) });
        }
      }
      if (skipped > 0) ctx.metrics.drop('kind_not_stored', true, skipped);
    },
  };
}
