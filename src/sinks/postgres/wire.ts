/**
 * How the `postgres` sink's main side hands events to its writer thread, and how the thread
 * encodes them. Structured clone writes every property name of every object it copies and the
 * thread then builds objects again, so a chat event goes as what its row is made of: its eight
 * text fields (six leading ones, its text, its reply id) copied as UTF-16 code units, each
 * followed by a tab, into one buffer for the whole slice, with their lengths, numbers and flags
 * in typed arrays. Nothing is made on the main heap per event: a string per event and one per
 * slice (the fields joined) were a quarter of what the main thread allocated at 50,000
 * messages/s, and so of its garbage collection (bench/gcShare.ts, `mainHeapBytesPerMessage`).
 * The buffers are transferred, not copied; the thread reads the code units back as one string
 * (exactly: lone surrogates stay as they were), slices the fields out of it, checks the six
 * leading ones, tab-joined, with one regular expression (most need no escaping: they are then
 * the row's start as they are) and writes the row without making an event of it
 * (bench/postgresThread.ts). Other kinds are rarer and go as they are.
 */
import type { ChatEvent, ChatflowEvent, CommandEvent } from '../../core/events.js';
import { type CopyEncoder, type CopyText, encodeRows, type RowOptions } from './rows.js';

/** Lengths per packed chat event: platform, id, channel, author id, login, display name, text, reply id. */
const LENGTHS = 8;
/** The six leading fields, joined by their five tabs. */
const HEAD_FIELDS = 6;
/** Numbers per packed chat event: ts, bits (NaN: none). */
const NUMBERS = 2;
const ACTION = 1;
const FIRST_MESSAGE = 2;
const HAS_REPLY = 4;

/** A slice of a batch as posted to the writer thread: plain data and typed arrays. */
export interface PackedSlice {
  /** Per event, in order: 1 a packed chat event, 0 the next of {@link whole}. */
  readonly packed: Uint8Array;
  /**
   * The packed chat events' {@link LENGTHS} text fields as UTF-16 code units, every one
   * followed by a tab (an event without a reply id has an empty one).
   */
  readonly chars: Uint16Array;
  readonly lengths: Uint32Array;
  readonly numbers: Float64Array;
  readonly flags: Uint8Array;
  /** Per packed chat event: its roles, or 0 when it has none (`[]`). */
  readonly roles: unknown[];
  /** The events that are not packed, as they are. */
  readonly whole: ChatflowEvent[];
}

const isText = (value: unknown): value is string => typeof value === 'string';

/**
 * Whether a chat event can be packed: its text fields are strings and its numbers numbers (or
 * absent), as the type says. Anything else goes whole, and is encoded as it always was.
 */
function packable(e: ChatEvent): boolean {
  const a = e.author as ChatEvent['author'] | undefined;
  const reply = e.replyTo?.id;
  return (
    a !== undefined &&
    a !== null &&
    isText(e.platform) &&
    isText(e.id) &&
    isText(e.channel) &&
    isText(a.id) &&
    isText(a.login) &&
    isText(a.displayName) &&
    isText(e.text) &&
    typeof e.ts === 'number' &&
    (e.bits === undefined || e.bits === null || typeof e.bits === 'number') &&
    (reply === undefined || reply === null || isText(reply))
  );
}

/**
 * A command with only what its rows are made of: its chat message's emotes, badges and the
 * rest would be cloned for nothing (a fifth of the default graph's history events are commands).
 */
function slimCommand(e: CommandEvent): ChatflowEvent {
  const c = e.chat as CommandEvent['chat'] | undefined;
  if (c === undefined || c === null || typeof c.author !== 'object' || c.author === null) return e;
  const chat = { platform: c.platform, id: c.id, channel: c.channel, author: { login: c.author.login }, ts: c.ts, text: c.text };
  return { kind: 'command', name: e.name, args: e.args, chat } as unknown as CommandEvent;
}

/** Whether a Uint16Array's elements are little-endian, as `Buffer#write` writes `utf16le`. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Fields longer than this are copied by `Buffer#write` (one native call); shorter ones by a loop. */
const NATIVE_COPY_FROM = 24;
const TAB = 9;

/** Copies `s`'s code units and a tab into `chars` at `at`; returns the position after them. */
function copyField(buf: Buffer, chars: Uint16Array, at: number, s: string): number {
  const n = s.length;
  if (n > NATIVE_COPY_FROM && LITTLE_ENDIAN) buf.write(s, at * 2, n * 2, 'utf16le');
  else for (let k = 0; k < n; k++) chars[at + k] = s.charCodeAt(k);
  chars[at + n] = TAB;
  return at + n + 1;
}

/** `batch[from, to)` as one {@link PackedSlice}; its typed arrays' buffers can be transferred. */
export function packEvents(batch: readonly ChatflowEvent[], from: number, to: number): PackedSlice {
  const n = Math.max(0, to - from);
  const packed = new Uint8Array(n);
  const lengths = new Uint32Array(n * LENGTHS);
  const numbers = new Float64Array(n * NUMBERS);
  const flags = new Uint8Array(n);
  const roles: unknown[] = [];
  const whole: ChatflowEvent[] = [];
  // First the lengths (how big the buffer is), then the copy: no string is made per event.
  let size = 0;
  let c = 0;
  for (let i = from; i < to; i++) {
    const e = batch[i] as ChatflowEvent;
    if (e.kind !== 'chat' || !packable(e)) {
      whole.push(e.kind === 'command' ? slimCommand(e) : e);
      continue;
    }
    packed[i - from] = 1;
    const a = e.author;
    const reply = e.replyTo?.id ?? undefined;
    const l = c * LENGTHS;
    lengths[l] = e.platform.length;
    lengths[l + 1] = e.id.length;
    lengths[l + 2] = e.channel.length;
    lengths[l + 3] = a.id.length;
    lengths[l + 4] = a.login.length;
    lengths[l + 5] = a.displayName.length;
    lengths[l + 6] = e.text.length;
    lengths[l + 7] = reply === undefined ? 0 : reply.length;
    for (let k = 0; k < LENGTHS; k++) size += (lengths[l + k] as number) + 1;
    numbers[c * NUMBERS] = e.ts;
    numbers[c * NUMBERS + 1] = typeof e.bits === 'number' ? e.bits : Number.NaN;
    flags[c] = (e.action ? ACTION : 0) | (e.firstMessage ? FIRST_MESSAGE : 0) | (reply !== undefined ? HAS_REPLY : 0);
    const r = a.roles as unknown;
    roles.push(Array.isArray(r) && r.length === 0 ? 0 : r);
    c += 1;
  }
  // Its own memory (not the shared pool of small Buffers): transferred to the thread.
  const buf = Buffer.allocUnsafeSlow(size * 2);
  const chars = new Uint16Array(buf.buffer, buf.byteOffset, size);
  let at = 0;
  for (let i = from; i < to; i++) {
    if (packed[i - from] !== 1) continue;
    const e = batch[i] as ChatEvent;
    const a = e.author;
    at = copyField(buf, chars, at, e.platform);
    at = copyField(buf, chars, at, e.id);
    at = copyField(buf, chars, at, e.channel);
    at = copyField(buf, chars, at, a.id);
    at = copyField(buf, chars, at, a.login);
    at = copyField(buf, chars, at, a.displayName);
    at = copyField(buf, chars, at, e.text);
    at = copyField(buf, chars, at, e.replyTo?.id ?? '');
  }
  return {
    packed,
    chars,
    lengths: lengths.subarray(0, c * LENGTHS),
    numbers: numbers.subarray(0, c * NUMBERS),
    flags: flags.subarray(0, c),
    roles,
    whole,
  };
}

/** The buffers of a slice's typed arrays, to transfer rather than copy. */
export function transferables(slice: PackedSlice): ArrayBuffer[] {
  return [slice.packed.buffer, slice.chars.buffer, slice.lengths.buffer, slice.numbers.buffer, slice.flags.buffer] as ArrayBuffer[];
}

/**
 * Six fields and their five tabs, none holding a backslash, tab, newline, carriage return or
 * NUL: they need no escaping, and the joined string is the start of the COPY line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for.
const PLAIN_HEAD = /^[^\\\t\n\r\u0000]*(?:\t[^\\\t\n\r\u0000]*){5}$/;

/** ES2024's `isWellFormed`: Node 20 has it, this project's `lib` (ES2023) does not. */
const wellFormed = (value: string) => (value as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Reads a {@link PackedSlice} event by event, encoding each into COPY text exactly as
 * rows.ts's `encodeRows` encodes the event it was packed from (the same bytes, the same
 * values cleaned).
 */
export class PackedReader {
  readonly #slice: PackedSlice;
  /** The slice's fields, read back as one string: slicing it makes no copy. */
  readonly #text: string;
  /** Events read. */
  #event = 0;
  /** Packed chat events read. */
  #chat = 0;
  /** Whole events read. */
  #whole = 0;
  /** Position in the slice's text (its code units). */
  #at = 0;

  constructor(slice: PackedSlice) {
    this.#slice = slice;
    const { buffer, byteOffset, byteLength } = slice.chars;
    // `utf16le` keeps every code unit as it is (TextDecoder would replace lone surrogates).
    this.#text = Buffer.from(buffer, byteOffset, byteLength).toString('utf16le');
  }

  /** Events in the slice. */
  get length(): number {
    return this.#slice.packed.length;
  }

  /**
   * Encodes the next `n` events into `out` (those whose kind is in `kinds`; the others are
   * skipped) and returns how many gave rows, as `encodeRows` does.
   */
  encode(n: number, kinds: ReadonlySet<string>, enc: CopyEncoder, options: RowOptions, out: CopyText): number {
    const s = this.#slice;
    const storeChat = kinds.has('chat');
    const cleanedBefore = enc.cleaned;
    const inst = enc.text(options.instance);
    // encodeRows cleans the instance once per row: counted so below, for the same totals.
    const instanceCleaned = enc.cleaned - cleanedBefore;
    let stored = 0;
    let storedWhole = 0;
    const end = Math.min(this.length, this.#event + n);
    for (; this.#event < end; this.#event++) {
      if (s.packed[this.#event] !== 1) {
        const e = s.whole[this.#whole++] as ChatflowEvent;
        storedWhole += encodeRows([e], 0, 1, kinds, enc, options, out);
        continue;
      }
      const c = this.#chat++;
      const l = c * LENGTHS;
      let headLength = HEAD_FIELDS - 1;
      for (let k = 0; k < HEAD_FIELDS; k++) headLength += s.lengths[l + k] as number;
      const start = this.#at;
      const textAt = start + headLength + 1;
      const textEnd = textAt + (s.lengths[l + 6] as number);
      const replyAt = textEnd + 1;
      const replyEnd = replyAt + (s.lengths[l + 7] as number);
      const flag = s.flags[c] as number;
      this.#at = replyEnd + 1;
      if (!storeChat) continue;
      const text = this.#text;
      const head = text.slice(start, start + headLength);
      const role = s.roles[c];
      const bits = s.numbers[c * NUMBERS + 1] as number;
      out.add(
        'chat_messages',
        `${PLAIN_HEAD.test(head) && wellFormed(head) ? head : this.#head(head, l, enc)}\t${role === 0 ? '[]' : enc.json(role)}\t${enc.text(text.slice(textAt, textEnd))}\t${enc.time(s.numbers[c * NUMBERS] as number)}\t${enc.num(bits)}\t${enc.text(flag & HAS_REPLY ? text.slice(replyAt, replyEnd) : undefined)}\t${enc.bool((flag & ACTION) !== 0)}\t${enc.bool((flag & FIRST_MESSAGE) !== 0)}\t${inst}`,
      );
      stored += 1;
    }
    enc.cleaned += instanceCleaned * (stored - 1);
    out.stored += stored;
    return stored + storedWhole;
  }

  /** The six leading fields of a head that needs work, each cleaned and escaped on its own. */
  #head(head: string, l: number, enc: CopyEncoder): string {
    const fields: string[] = [];
    let at = 0;
    for (let k = 0; k < HEAD_FIELDS; k++) {
      const length = this.#slice.lengths[l + k] as number;
      fields.push(enc.text(head.slice(at, at + length)));
      at += length + 1;
    }
    return fields.join('\t');
  }
}
