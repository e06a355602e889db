/**
 * Internals of the `postgres` sink: which table each event kind goes to, and the encoding of
 * rows in COPY text format (backslash, TAB, LF and CR escaped; `\N` is NULL), with text
 * PostgreSQL cannot hold (NUL, lone surrogates) cleaned and counted.
 */
import type { ChatflowEvent, ControlEvent } from '../../core/events.js';
import type { BufferPool } from './bufferPool.js';

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
/** What a text field may need work for: an escape, or a NUL to remove (lone surrogates are found by `isWellFormed`). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for.
const TEXT_WORK = /[\\\t\n\r\u0000]/;
/** Characters that may need cleaning: NUL and any surrogate (pairs are fine, lone ones are not). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for.
const UNSAFE = /[\u0000\uD800-\uDFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for.
const NUL_ALL = /\u0000/g;
/** JSON text that may hold `\u0000` or a surrogate escape (JSON.stringify escapes lone ones). */
const UNSAFE_JSON = /\\u0000|\\ud[89a-f]/i;

/** ES2024's well-formedness methods: Node 20 has them, this project's `lib` (ES2023) does not. */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}
const wellFormed = (value: string) => value as unknown as WellFormed;

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
    // NULs go first: removing one may join a surrogate pair.
    const out = wellFormed(value.replace(NUL_ALL, '')).toWellFormed();
    if (out !== value) this.cleaned += 1;
    return out;
  }

  /**
   * A text field, cleaned and escaped. Two native scans (a regex test and `isWellFormed`) find
   * that most values (ids, names, chat lines, emoji pairs included) need neither, and return
   * them as they are; JavaScript touches the characters only of a value that needs work.
   */
  text(value: string | undefined | null): string {
    if (value === undefined || value === null) return '\\N';
    if (!TEXT_WORK.test(value)) return wellFormed(value).isWellFormed() ? value : this.#rework(value);
    return this.#rework(value);
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

  /**
   * {@link json} of a value whose `JSON.stringify` text is `json` and which that text gives
   * back (`JSON.parse`): plain data of strings, numbers and booleans, as a packed command's
   * arguments (wire.ts). The same text, cleaned and counted the same.
   */
  jsonText(json: string): string {
    return UNSAFE_JSON.test(json) ? this.json(JSON.parse(json)) : escapeCopy(json);
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

  /** {@link text}'s slow path: {@link clean}, then escaped, each by a native replace. */
  #rework(value: string): string {
    return escapeCopy(this.clean(value));
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

/** Takes one COPY text line (without its newline) of `table`. */
export type AddRow = (table: TableName, line: string) => void;

/** One table's COPY text: UTF-8 bytes, every line ending with a newline. */
export interface TableText {
  readonly table: TableName;
  readonly bytes: Uint8Array;
  readonly rows: number;
}

/** Bytes a table's text starts with; it doubles as it fills. */
const INITIAL_BYTES = 64 * 1024;

/**
 * Lines (in UTF-16 code units) gathered in a string before they are written into the buffer:
 * one native write per few dozen lines rather than per line (a fifth of encoding's time).
 */
const PENDING_UNITS = 16 * 1024;

/** One growing buffer of one table's text, its buffers taken from `pool` when there is one. */
class TableBuffer {
  readonly #pool: BufferPool | undefined;
  buf: Buffer;
  length = 0;
  rows = 0;
  /** Lines not yet written into {@link buf}, each with its newline. */
  #pending = '';

  constructor(pool: BufferPool | undefined) {
    this.#pool = pool;
    this.buf = pool ? pool.take(INITIAL_BYTES) : Buffer.allocUnsafeSlow(INITIAL_BYTES);
  }

  append(line: string): void {
    this.#pending = `${this.#pending}${line}\n`;
    this.rows += 1;
    if (this.#pending.length >= PENDING_UNITS) this.flush();
  }

  /** Writes the pending lines into the buffer. */
  flush(): void {
    const text = this.#pending;
    if (text === '') return;
    this.#pending = '';
    // A UTF-16 code unit is at most 3 UTF-8 bytes.
    const most = this.length + text.length * 3;
    if (most > this.buf.length) {
      const size = Math.max(this.buf.length * 2, most);
      const grown = this.#pool ? this.#pool.take(size) : Buffer.allocUnsafeSlow(size);
      this.buf.copy(grown, 0, 0, this.length);
      // Nothing but this table has seen the smaller buffer: it is free at once.
      this.#pool?.give(this.buf);
      this.buf = grown;
    }
    this.length += this.buf.write(text, this.length);
  }

  release(): void {
    this.#pool?.give(this.buf);
  }
}

/**
 * The COPY text of a batch (or a part of one), per table: each row is written as UTF-8 into its
 * table's buffer as it is made, so a part is one buffer per table (no array of lines, no join,
 * no string of the whole part). {@link tables} hands out views of buffers of their own, which
 * can be transferred to another thread as they are. With a pool, the buffers come from it and
 * go back to it at {@link release}.
 */
export class CopyText {
  readonly #tables = new Map<TableName, TableBuffer>();
  readonly #pool: BufferPool | undefined;
  /** Events that gave rows. */
  stored = 0;

  constructor(pool?: BufferPool) {
    this.#pool = pool;
  }

  readonly add: AddRow = (table, line) => {
    let t = this.#tables.get(table);
    if (t === undefined) {
      t = new TableBuffer(this.#pool);
      this.#tables.set(table, t);
    }
    t.append(line);
  };

  get empty(): boolean {
    return this.#tables.size === 0;
  }

  /** Each table's text; the bytes are a view of the start of a buffer of its own. */
  tables(): TableText[] {
    return [...this.#tables].map(([table, t]) => {
      t.flush();
      return { table, bytes: t.buf.subarray(0, t.length), rows: t.rows };
    });
  }

  /**
   * Gives the buffers back to the pool, for a part whose write has finished: no view of them
   * from {@link tables} may be read again (a failed write's socket may still hold them: only a
   * successful one releases). The text is empty afterwards.
   */
  release(): void {
    for (const t of this.#tables.values()) t.release();
    this.#tables.clear();
  }
}

/**
 * Appends the rows of one event to `lines` (none for kinds that are not stored: replies without
 * a message they answer). Returns the number of rows added.
 */
export function eventRows(event: ChatflowEvent, enc: CopyEncoder, options: RowOptions, lines: TableLines): number {
  return rowsOf(event, enc, options, (table, line) => {
    let list = lines.get(table);
    if (!list) {
      list = [];
      lines.set(table, list);
    }
    list.push(line);
  });
}

/**
 * Appends the COPY text of `batch[from, to)`'s events whose kind is in `kinds` to `out`, and
 * returns the number of events that gave rows.
 */
export function encodeRows(
  batch: readonly ChatflowEvent[],
  from: number,
  to: number,
  kinds: ReadonlySet<string>,
  enc: CopyEncoder,
  options: RowOptions,
  out: CopyText,
): number {
  let stored = 0;
  for (let i = from; i < to; i++) {
    const event = batch[i] as ChatflowEvent;
    if (kinds.has(event.kind) && rowsOf(event, enc, options, out.add) > 0) stored += 1;
  }
  out.stored += stored;
  return stored;
}

/** Gives each row of `event` to `add`, as one COPY text line; returns how many. */
function rowsOf(event: ChatflowEvent, enc: CopyEncoder, options: RowOptions, add: AddRow): number {
  const inst = enc.text(options.instance);
  switch (event.kind) {
    case 'chat':
      add('chat_messages', `${enc.text(event.platform)}\t${enc.text(event.id)}\t${enc.text(event.channel)}\t${enc.text(event.author.id)}\t${enc.text(event.author.login)}\t${enc.text(event.author.displayName)}\t${enc.json(event.author.roles)}\t${enc.text(event.text)}\t${enc.time(event.ts)}\t${enc.num(event.bits)}\t${enc.text(event.replyTo?.id)}\t${enc.bool(event.action)}\t${enc.bool(event.firstMessage)}\t${inst}`);
      return 1;
    case 'command': {
      const chat = event.chat;
      add('commands', `${enc.text(chat.platform)}\t${enc.text(chat.id)}\t${enc.text(chat.channel)}\t${enc.text(chat.author.login)}\t${enc.text(event.name)}\t${enc.json(event.args)}\taccepted\t\\N\t${enc.time(chat.ts)}\t${inst}`);
      if (!options.questionCommands.has(event.name)) return 1;
      const words = Object.values(event.args).filter((v): v is string => typeof v === 'string');
      add('questions', `${enc.text(chat.platform)}\t${enc.text(chat.id)}\t${enc.text(chat.channel)}\t${enc.text(chat.author.login)}\t${enc.text(words.length > 0 ? words.join(' ') : chat.text)}\t${enc.time(chat.ts)}\t${inst}`);
      return 2;
    }
    case 'reply':
      // parse_command's `_invalid` replies answer a message: a rejected command, with the reason.
      if (event.replyTo === undefined) return 0;
      add('commands', `${enc.text(event.platform)}\t${enc.text(event.replyTo)}\t${enc.text(event.channel)}\t\\N\t\\N\t{}\trejected\t${enc.text(event.text)}\t${enc.time(options.now())}\t${inst}`);
      return 1;
    case 'control':
      add('control_changes', `${enc.text(controlKey(event, options.instance))}\t${enc.text(event.variable)}\t${enc.num(event.value)}\t${enc.num(event.previous)}\t${enc.text(event.origin)}\t${enc.text(event.by?.login)}\t${enc.text(event.by?.platform)}\t${enc.time(event.ts)}\t${inst}`);
      return 1;
    case 'moderation': {
      const chat = event.chat;
      add('moderation_events', `${enc.text(chat.platform)}\t${enc.text(chat.id)}\t${enc.text(chat.channel)}\t${enc.text(chat.author.login)}\t${enc.text(event.verdict)}\t${enc.json(event.reasons)}\t${enc.num(event.points)}\t${enc.text(chat.text)}\t${enc.time(chat.ts)}\t${inst}`);
      return 1;
    }
    case 'platform':
      add('platform_events', `${enc.text(event.platform)}\t${enc.text(event.id)}\t${enc.text(event.type)}\t${enc.text(event.channel)}\t${enc.text(event.author?.login)}\t${
        // A poll's choices, a prediction's outcomes…: kept beside the details, under `items`.
        enc.json(event.items === undefined ? event.data : { ...event.data, items: event.items })}\t${enc.time(event.ts)}\t${inst}`);
      return 1;
    case 'metric': {
      const labels = Object.keys(event.labels)
        .sort()
        .map((k) => `${k}=${event.labels[k]}`)
        .join(',');
      add('system_metrics', `${enc.text(`${event.instance}|${event.name}|${labels}|${event.ts}`)}\t${enc.text(event.name)}\t${enc.json(event.labels)}\t${enc.num(event.value)}\t${enc.json(event.summary)}\t${enc.text(event.instance)}\t${enc.time(event.ts)}`);
      return 1;
    }
    case 'alert':
      add('alerts', `${enc.text(`${event.instance}|${event.rule}|${event.state}|${event.ts}`)}\t${enc.text(event.rule)}\t${enc.text(event.severity)}\t${enc.text(event.state)}\t${enc.text(event.message)}\t${enc.num(event.value)}\t${enc.num(event.threshold)}\t${enc.text(event.instance)}\t${enc.time(event.ts)}`);
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
