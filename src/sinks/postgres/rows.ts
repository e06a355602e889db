/**
 * Internals of the `postgres` sink: which table each event kind goes to, and the encoding of
 * rows in COPY text format (backslash, TAB, LF and CR escaped; `\N` is NULL), with text
 * PostgreSQL cannot hold (NUL, lone surrogates) cleaned and counted.
 */
import type { ChatflowEvent, ControlEvent } from '../../core/events.js';

/** One destination table: its columns (name, SQL type) in COPY order. */
export interface TableSpec {
  readonly name: string;
  readonly columns: readonly (readonly [string, string])[];
}

const INSTANCE = ['instance', 'text'] as const;

export const TABLES = {
  chat_messages: {
    name: 'chat_messages',
    columns: [
      ['platform', 'text'],
      ['message_id', 'text'],
      ['channel', 'text'],
      ['author_id', 'text'],
      ['author_login', 'text'],
      ['author_name', 'text'],
      ['roles', 'jsonb'],
      ['text', 'text'],
      ['ts', 'timestamptz'],
      ['bits', 'integer'],
      ['reply_to', 'text'],
      ['action', 'boolean'],
      ['first_message', 'boolean'],
      INSTANCE,
    ],
  },
  commands: {
    name: 'commands',
    columns: [
      ['platform', 'text'],
      ['message_id', 'text'],
      ['channel', 'text'],
      ['author_login', 'text'],
      ['name', 'text'],
      ['args', 'jsonb'],
      ['status', 'text'],
      ['reason', 'text'],
      ['ts', 'timestamptz'],
      INSTANCE,
    ],
  },
  control_changes: {
    name: 'control_changes',
    columns: [
      ['event_key', 'text'],
      ['variable', 'text'],
      ['value', 'double precision'],
      ['previous', 'double precision'],
      ['origin', 'text'],
      ['by_login', 'text'],
      ['by_platform', 'text'],
      ['ts', 'timestamptz'],
      INSTANCE,
    ],
  },
  moderation_events: {
    name: 'moderation_events',
    columns: [
      ['platform', 'text'],
      ['message_id', 'text'],
      ['channel', 'text'],
      ['author_login', 'text'],
      ['verdict', 'text'],
      ['reasons', 'jsonb'],
      ['points', 'double precision'],
      ['text', 'text'],
      ['ts', 'timestamptz'],
      INSTANCE,
    ],
  },
  questions: {
    name: 'questions',
    columns: [
      ['platform', 'text'],
      ['message_id', 'text'],
      ['channel', 'text'],
      ['author_login', 'text'],
      ['text', 'text'],
      ['ts', 'timestamptz'],
      INSTANCE,
    ],
  },
  platform_events: {
    name: 'platform_events',
    columns: [
      ['platform', 'text'],
      ['event_id', 'text'],
      ['type', 'text'],
      ['channel', 'text'],
      ['author_login', 'text'],
      ['data', 'jsonb'],
      ['ts', 'timestamptz'],
      INSTANCE,
    ],
  },
  system_metrics: {
    name: 'system_metrics',
    columns: [
      ['event_key', 'text'],
      ['name', 'text'],
      ['labels', 'jsonb'],
      ['value', 'double precision'],
      ['summary', 'jsonb'],
      ['instance', 'text'],
      ['ts', 'timestamptz'],
    ],
  },
  alerts: {
    name: 'alerts',
    columns: [
      ['event_key', 'text'],
      ['rule', 'text'],
      ['severity', 'text'],
      ['state', 'text'],
      ['message', 'text'],
      ['value', 'double precision'],
      ['threshold', 'double precision'],
      ['instance', 'text'],
      ['ts', 'timestamptz'],
    ],
  },
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
/** Characters that may need cleaning: NUL and any surrogate (pairs are fine, lone ones are not). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for.
const UNSAFE = /[\u0000\uD800-\uDFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for.
const NUL_ALL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** JSON text that may hold `\u0000` or a surrogate escape (JSON.stringify escapes lone ones). */
const UNSAFE_JSON = /\\u0000|\\ud[89a-f]/i;

/** Escapes a value for COPY text format. */
export function escapeCopy(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c] as string) : value;
}

/**
 * Encodes rows for COPY text format and counts the values it had to clean: NUL characters are
 * removed and lone surrogates become U+FFFD, because PostgreSQL text cannot hold them.
 */
export class CopyEncoder {
  /** Values (text fields or JSON documents) changed by cleaning since creation. */
  cleaned = 0;

  /** Epoch second and ISO text up to the seconds of the last {@link time}, reused within it. */
  #second = Number.NaN;
  #secondText = '';

  /** Text PostgreSQL can hold: NUL removed, lone surrogates replaced. */
  clean(value: string): string {
    if (!UNSAFE.test(value)) return value;
    const out = value.replace(NUL_ALL, '').replace(LONE_SURROGATE, '\uFFFD');
    if (out !== value) this.cleaned += 1;
    return out;
  }

  /**
   * A text field: cleaned and escaped in one pass over the code units, which returns the value
   * itself when nothing needs either (most ids, names and chat lines; emoji pairs are fine).
   */
  text(value: string | undefined | null): string {
    if (value === undefined || value === null) return '\\N';
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 92 || c === 9 || c === 10 || c === 13 || c === 0) return this.#encodeFrom(value, i);
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = value.charCodeAt(i + 1);
        if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return this.#encodeFrom(value, i);
        i += 1;
      }
    }
    return value;
  }

  json(value: unknown): string {
    if (value === undefined || value === null) return '\\N';
    let json = JSON.stringify(value);
    if (UNSAFE_JSON.test(json)) {
      const before = this.cleaned;
      const cleaned = this.#deepClean(value);
      // One document counts once, however many strings in it were cleaned.
      if (this.cleaned > before) this.cleaned = before + 1;
      json = JSON.stringify(cleaned);
    }
    return escapeCopy(json);
  }

  num(value: number | undefined | null): string {
    return value === undefined || value === null || !Number.isFinite(value) ? '\\N' : String(value);
  }

  bool(value: boolean | undefined): string {
    return value ? 't' : 'f';
  }

  /** ISO 8601 in UTC; events of one second share the formatted part up to the seconds. */
  time(ms: number): string {
    const t = Number.isFinite(ms) ? Math.trunc(ms) : 0;
    const second = Math.floor(t / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#secondText = new Date(second * 1000).toISOString().slice(0, -4);
    }
    const milli = t - second * 1000;
    return `${this.#secondText}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }

  /** {@link text}'s slow path, from the first code unit at `start` that needs work. */
  #encodeFrom(raw: string, start: number): string {
    // NULs go first, as in clean(): removing one may join a surrogate pair.
    const value = raw.includes('\u0000', start) ? raw.replace(NUL_ALL, '') : raw;
    let out = '';
    let run = 0;
    let cleaned = value !== raw;
    for (let i = start; i < value.length; i++) {
      const c = value.charCodeAt(i);
      let replacement: string;
      if (c === 92) replacement = '\\\\';
      else if (c === 9) replacement = '\\t';
      else if (c === 10) replacement = '\\n';
      else if (c === 13) replacement = '\\r';
      else if (c >= 0xd800 && c <= 0xdfff) {
        const next = value.charCodeAt(i + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          i += 1;
          continue;
        }
        replacement = '\uFFFD';
      } else continue;
      if (c >= 0xd800) cleaned = true;
      out += value.slice(run, i) + replacement;
      run = i + 1;
    }
    if (cleaned) this.cleaned += 1;
    return out + value.slice(run);
  }

  #deepClean(value: unknown): unknown {
    if (typeof value === 'string') return this.clean(value);
    if (Array.isArray(value)) return value.map((v) => this.#deepClean(v));
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.clean(k)] = this.#deepClean(v);
      return out;
    }
    return value;
  }
}

/** Options of the event → row mapping. */
export interface RowOptions {
  readonly instance: string;
  /** Command names whose commands are also questions. */
  readonly questionCommands: ReadonlySet<string>;
  /** Wall-clock time (ms) for rows whose event has no time of its own (replies). */
  readonly now: () => number;
}

/** COPY text lines per table, built batch by batch. */
export type TableLines = Map<TableName, string[]>;

function push(lines: TableLines, table: TableName, fields: readonly string[]): void {
  let list = lines.get(table);
  if (!list) {
    list = [];
    lines.set(table, list);
  }
  list.push(fields.join('\t'));
}

/**
 * Appends the rows of one event to `lines` (none for kinds that are not stored: replies without
 * a message they answer). Returns the number of rows added.
 */
export function eventRows(event: ChatflowEvent, enc: CopyEncoder, options: RowOptions, lines: TableLines): number {
  const inst = enc.text(options.instance);
  switch (event.kind) {
    case 'chat':
      push(lines, 'chat_messages', [
        enc.text(event.platform),
        enc.text(event.id),
        enc.text(event.channel),
        enc.text(event.author.id),
        enc.text(event.author.login),
        enc.text(event.author.displayName),
        enc.json(event.author.roles),
        enc.text(event.text),
        enc.time(event.ts),
        enc.num(event.bits),
        enc.text(event.replyTo?.id),
        enc.bool(event.action),
        enc.bool(event.firstMessage),
        inst,
      ]);
      return 1;
    case 'command': {
      const chat = event.chat;
      push(lines, 'commands', [
        enc.text(chat.platform),
        enc.text(chat.id),
        enc.text(chat.channel),
        enc.text(chat.author.login),
        enc.text(event.name),
        enc.json(event.args),
        'accepted',
        '\\N',
        enc.time(chat.ts),
        inst,
      ]);
      if (!options.questionCommands.has(event.name)) return 1;
      const words = Object.values(event.args).filter((v): v is string => typeof v === 'string');
      push(lines, 'questions', [
        enc.text(chat.platform),
        enc.text(chat.id),
        enc.text(chat.channel),
        enc.text(chat.author.login),
        enc.text(words.length > 0 ? words.join(' ') : chat.text),
        enc.time(chat.ts),
        inst,
      ]);
      return 2;
    }
    case 'reply':
      // parse_command's `_invalid` replies answer a message: a rejected command, with the reason.
      if (event.replyTo === undefined) return 0;
      push(lines, 'commands', [
        enc.text(event.platform),
        enc.text(event.replyTo),
        enc.text(event.channel),
        '\\N',
        '\\N',
        '{}',
        'rejected',
        enc.text(event.text),
        enc.time(options.now()),
        inst,
      ]);
      return 1;
    case 'control':
      push(lines, 'control_changes', [
        enc.text(controlKey(event, options.instance)),
        enc.text(event.variable),
        enc.num(event.value),
        enc.num(event.previous),
        enc.text(event.origin),
        enc.text(event.by?.login),
        enc.text(event.by?.platform),
        enc.time(event.ts),
        inst,
      ]);
      return 1;
    case 'moderation': {
      const chat = event.chat;
      push(lines, 'moderation_events', [
        enc.text(chat.platform),
        enc.text(chat.id),
        enc.text(chat.channel),
        enc.text(chat.author.login),
        enc.text(event.verdict),
        enc.json(event.reasons),
        enc.num(event.points),
        enc.text(chat.text),
        enc.time(chat.ts),
        inst,
      ]);
      return 1;
    }
    case 'platform':
      push(lines, 'platform_events', [
        enc.text(event.platform),
        enc.text(event.id),
        enc.text(event.type),
        enc.text(event.channel),
        enc.text(event.author?.login),
        // A poll's choices, a prediction's outcomes…: kept beside the details, under `items`.
        enc.json(event.items === undefined ? event.data : { ...event.data, items: event.items }),
        enc.time(event.ts),
        inst,
      ]);
      return 1;
    case 'metric': {
      const labels = Object.keys(event.labels)
        .sort()
        .map((k) => `${k}=${event.labels[k]}`)
        .join(',');
      push(lines, 'system_metrics', [
        enc.text(`${event.instance}|${event.name}|${labels}|${event.ts}`),
        enc.text(event.name),
        enc.json(event.labels),
        enc.num(event.value),
        enc.json(event.summary),
        enc.text(event.instance),
        enc.time(event.ts),
      ]);
      return 1;
    }
    case 'alert':
      push(lines, 'alerts', [
        enc.text(`${event.instance}|${event.rule}|${event.state}|${event.ts}`),
        enc.text(event.rule),
        enc.text(event.severity),
        enc.text(event.state),
        enc.text(event.message),
        enc.num(event.value),
        enc.num(event.threshold),
        enc.text(event.instance),
        enc.time(event.ts),
      ]);
      return 1;
  }
}

/**
 * A control change's `event_key`: the id `control` gave it at birth, the same through retries,
 * dead letters and re-ingest by any instance. Events without one (made by hand, or dead-lettered
 * before changes had ids) fall back to the fields, where changes alike in all of them are one.
 */
export function controlKey(event: ControlEvent, instance: string): string {
  return event.id ?? `${instance}|${event.variable}|${event.ts}|${event.origin}|${event.value}`;
}

/** `CREATE TEMP TABLE` of the staging table of `spec` (emptied at each commit). */
export function stagingDdl(spec: TableSpec): string {
  const cols = spec.columns.map(([name, type]) => `${name} ${type}`).join(', ');
  return `CREATE TEMP TABLE IF NOT EXISTS stage_${spec.name} (${cols}) ON COMMIT DELETE ROWS`;
}

/**
 * The COPY of `spec`'s rows: into its staging table (`staged`), or straight into the table,
 * which fails as a whole on a row that is already there (the sink then retries staged).
 */
export function copySql(spec: TableSpec, into: 'staged' | 'direct' = 'staged'): string {
  const table = into === 'staged' ? `stage_${spec.name}` : spec.name;
  return `COPY ${table} (${spec.columns.map(([n]) => n).join(', ')}) FROM STDIN`;
}

/** Moves the staged rows into the table, ignoring rows already there (a retried batch). */
export function insertSql(spec: TableSpec): string {
  const cols = spec.columns.map(([n]) => n).join(', ');
  return `INSERT INTO ${spec.name} (${cols}) SELECT ${cols} FROM stage_${spec.name} ON CONFLICT DO NOTHING`;
}
