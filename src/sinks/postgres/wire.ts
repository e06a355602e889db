/**
 * How the `postgres` sink's main side hands events to its writer thread, and how the thread
 * encodes them. Structured clone writes every property name of every object it copies and the
 * thread then builds objects again, so a chat event goes as what its row is made of: its six
 * leading text fields joined by tabs, its text and reply id, copied as UTF-16 code units back to
 * back into one buffer for the whole slice, with their lengths, numbers, flags and roles (a code
 * of the known role names, {@link rolesCode}) in typed arrays. A command goes the same way: its
 * chat message's platform, id, channel and author login, its name, its arguments' JSON text and
 * its message's text, its time in a typed array (cloning a command as an object cost the main
 * thread three times what packing a chat message does). Other kinds are rarer and go as they are.
 *
 * Nothing is made on the main heap per chat event: a string per event and one per slice (the
 * fields joined) were a quarter of what the main thread allocated at 50,000 messages/s, and so of
 * its garbage collection (bench/gcShare.ts, `mainHeapBytesPerMessage`). The buffers are
 * transferred, not copied; the thread reads the code units back as one string (exactly: lone
 * surrogates stay as they were), slices the fields out of it, checks the six leading ones with
 * one regular expression (most need no escaping: they are then the row's start as they are)
 * and writes the row without making an event of it (bench/postgresThread.ts).
 */
import { type ChatEvent, type ChatflowEvent, type CommandEvent, ROLES } from '../../core/events.js';
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

/** Bits per role in a roles code: the role's place in {@link ROLES}, plus one. */
const ROLE_BITS = 4;
/** The most roles a code holds (28 bits); an author with more goes in `oddRoles`. */
const MAX_CODED_ROLES = 7;
/** The roles code of an author whose roles are not a short list of known names: see `oddRoles`. */
export const ODD_ROLES = 0xffffffff;

/**
 * An author's roles as one number: each role's place in {@link ROLES} plus one, four bits
 * each, first role lowest; `[]` is 0. {@link ODD_ROLES} when they are not an array of at most
 * seven known role names (then they go as they are).
 */
export function rolesCode(roles: unknown): number {
  if (!Array.isArray(roles) || roles.length > MAX_CODED_ROLES) return ODD_ROLES;
  let code = 0;
  for (let i = roles.length - 1; i >= 0; i--) {
    const n = roleNumber(roles[i]);
    if (n === 0) return ODD_ROLES;
    code = code * 2 ** ROLE_BITS + n;
  }
  return code;
}

/** A role's place in {@link ROLES} plus one, 0 for anything else (a switch: cheaper than a map lookup per event). */
function roleNumber(role: unknown): number {
  switch (role) {
    case 'broadcaster':
      return 1;
    case 'mod':
      return 2;
    case 'vip':
      return 3;
    case 'subscriber':
      return 4;
    case 'member':
      return 5;
    case 'verified':
      return 6;
    default:
      return 0;
  }
}

/** The JSON text of the roles a code (not {@link ODD_ROLES}) stands for, as `JSON.stringify` writes it. */
export function rolesJson(code: number): string {
  let json = '[';
  for (let rest = code; rest > 0; rest = Math.floor(rest / 2 ** ROLE_BITS)) {
    json += `${json.length > 1 ? ',' : ''}"${ROLES[(rest % 2 ** ROLE_BITS) - 1]}"`;
  }
  return `${json}]`;
}

/** Lengths per packed command: platform, id, channel, author login, name, arguments' JSON, text. */
const COMMAND_LENGTHS = 7;
/** What `packed` says of an event (0: the next of `whole`). */
const CHAT = 1;
const COMMAND = 2;

/** A slice of a batch as posted to the writer thread: plain data and typed arrays. */
export interface PackedSlice {
  /** Per event, in order: 1 a packed chat event, 2 a packed command, 0 the next of {@link whole}. */
  readonly packed: Uint8Array;
  /**
   * The packed events' text fields as UTF-16 code units, back to back in order (see
   * {@link LENGTHS}, {@link COMMAND_LENGTHS}; a chat event's six leading fields with a tab between them).
   */
  readonly chars: Uint16Array;
  readonly lengths: Uint32Array;
  readonly numbers: Float64Array;
  readonly flags: Uint8Array;
  /** Per packed chat event: its roles' {@link rolesCode}. */
  readonly roleCodes: Uint32Array;
  /** The roles of the packed chat events whose code is {@link ODD_ROLES}, in order, as they are. */
  readonly oddRoles: unknown[];
  /** Per packed command, its text fields' lengths (see {@link COMMAND_LENGTHS}). */
  readonly commandLengths: Uint32Array;
  /** Per packed command, its chat message's `ts`. */
  readonly commandTs: Float64Array;
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
 * A command's arguments as JSON text when the command can be packed: its text fields are
 * strings and its time a number, as the type says, and its arguments a plain object of strings,
 * numbers and booleans (so the text gives them back as they were); `undefined` otherwise.
 */
function packableCommandArgs(e: CommandEvent): string | undefined {
  const c = e.chat as CommandEvent['chat'] | undefined | null;
  const args = e.args as unknown;
  if (c === undefined || c === null || typeof c.author !== 'object' || c.author === null) return undefined;
  if (!(isText(c.platform) && isText(c.id) && isText(c.channel) && isText(c.author.login) && isText(e.name) && isText(c.text) && typeof c.ts === 'number')) {
    return undefined;
  }
  if (typeof args !== 'object' || args === null || Object.getPrototypeOf(args) !== Object.prototype) return undefined;
  for (const key in args) {
    const value = (args as Record<string, unknown>)[key];
    const type = typeof value;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') return undefined;
  }
  return JSON.stringify(args);
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

/** Copies `s`'s code units into `chars` (a view of `buf`) at `at`; returns the position after them. */
function copyField(buf: Buffer, chars: Uint16Array, at: number, s: string): number {
  const n = s.length;
  if (n > NATIVE_COPY_FROM && LITTLE_ENDIAN) buf.write(s, at * 2, n * 2, 'utf16le');
  else for (let k = 0; k < n; k++) chars[at + k] = s.charCodeAt(k);
  return at + n;
}

/** {@link copyField}, then a tab. */
function copyFieldTab(buf: Buffer, chars: Uint16Array, at: number, s: string): number {
  const end = copyField(buf, chars, at, s);
  chars[end] = TAB;
  return end + 1;
}

/** `batch[from, to)` as one {@link PackedSlice}; its typed arrays' buffers can be transferred. */
export function packEvents(batch: readonly ChatflowEvent[], from: number, to: number): PackedSlice {
  const n = Math.max(0, to - from);
  const packed = new Uint8Array(n);
  const lengths = new Uint32Array(n * LENGTHS);
  const numbers = new Float64Array(n * NUMBERS);
  const flags = new Uint8Array(n);
  const roleCodes = new Uint32Array(n);
  const oddRoles: unknown[] = [];
  const commandLengths = new Uint32Array(n * COMMAND_LENGTHS);
  const commandTs = new Float64Array(n);
  const whole: ChatflowEvent[] = [];
  /** The packed commands' arguments as JSON text, for the copy. */
  const argsTexts: string[] = [];
  // First the lengths (how big the buffer is), then the copy: no string is made per chat event.
  let size = 0;
  let c = 0;
  let k = 0;
  for (let i = from; i < to; i++) {
    const e = batch[i] as ChatflowEvent;
    if (e.kind === 'command') {
      const args = packableCommandArgs(e);
      if (args === undefined) {
        whole.push(slimCommand(e));
        continue;
      }
      packed[i - from] = COMMAND;
      const m = e.chat;
      argsTexts.push(args);
      const l = k * COMMAND_LENGTHS;
      commandLengths[l] = m.platform.length;
      commandLengths[l + 1] = m.id.length;
      commandLengths[l + 2] = m.channel.length;
      commandLengths[l + 3] = m.author.login.length;
      commandLengths[l + 4] = e.name.length;
      commandLengths[l + 5] = args.length;
      commandLengths[l + 6] = m.text.length;
      for (let f = 0; f < COMMAND_LENGTHS; f++) size += commandLengths[l + f] as number;
      commandTs[k] = m.ts;
      k += 1;
      continue;
    }
    if (e.kind !== 'chat' || !packable(e)) {
      whole.push(e);
      continue;
    }
    packed[i - from] = CHAT;
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
    size += HEAD_FIELDS - 1;
    for (let f = 0; f < LENGTHS; f++) size += lengths[l + f] as number;
    numbers[c * NUMBERS] = e.ts;
    numbers[c * NUMBERS + 1] = typeof e.bits === 'number' ? e.bits : Number.NaN;
    flags[c] = (e.action ? ACTION : 0) | (e.firstMessage ? FIRST_MESSAGE : 0) | (reply !== undefined ? HAS_REPLY : 0);
    const code = rolesCode(a.roles);
    roleCodes[c] = code;
    if (code === ODD_ROLES) oddRoles.push(a.roles);
    c += 1;
  }
  // Its own memory (not the shared pool of small Buffers): transferred to the thread.
  const buf = Buffer.allocUnsafeSlow(size * 2);
  const chars = new Uint16Array(buf.buffer, buf.byteOffset, size);
  let at = 0;
  let command = 0;
  for (let i = from; i < to; i++) {
    const what = packed[i - from];
    if (what === CHAT) {
      const e = batch[i] as ChatEvent;
      const a = e.author;
      at = copyFieldTab(buf, chars, at, e.platform);
      at = copyFieldTab(buf, chars, at, e.id);
      at = copyFieldTab(buf, chars, at, e.channel);
      at = copyFieldTab(buf, chars, at, a.id);
      at = copyFieldTab(buf, chars, at, a.login);
      at = copyField(buf, chars, at, a.displayName);
      at = copyField(buf, chars, at, e.text);
      const reply = e.replyTo?.id;
      if (reply !== undefined && reply !== null) at = copyField(buf, chars, at, reply);
    } else if (what === COMMAND) {
      const e = batch[i] as CommandEvent;
      const m = e.chat;
      at = copyField(buf, chars, at, m.platform);
      at = copyField(buf, chars, at, m.id);
      at = copyField(buf, chars, at, m.channel);
      at = copyField(buf, chars, at, m.author.login);
      at = copyField(buf, chars, at, e.name);
      at = copyField(buf, chars, at, argsTexts[command++] as string);
      at = copyField(buf, chars, at, m.text);
    }
  }
  return {
    packed,
    chars,
    lengths: lengths.subarray(0, c * LENGTHS),
    numbers: numbers.subarray(0, c * NUMBERS),
    flags: flags.subarray(0, c),
    roleCodes: roleCodes.subarray(0, c),
    oddRoles,
    commandLengths: commandLengths.subarray(0, k * COMMAND_LENGTHS),
    commandTs: commandTs.subarray(0, k),
    whole,
  };
}

/** The buffers of a slice's typed arrays, to transfer rather than copy. */
export function transferables(slice: PackedSlice): ArrayBuffer[] {
  return [
    slice.packed.buffer,
    slice.chars.buffer,
    slice.lengths.buffer,
    slice.numbers.buffer,
    slice.flags.buffer,
    slice.roleCodes.buffer,
    slice.commandLengths.buffer,
    slice.commandTs.buffer,
  ] as ArrayBuffer[];
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
  /** Odd roles read. */
  #oddRoles = 0;
  /** Packed commands read. */
  #command = 0;
  /** Position in the slice's text. */
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
    const storeCommand = kinds.has('command');
    const cleanedBefore = enc.cleaned;
    const inst = enc.text(options.instance);
    // encodeRows cleans the instance once per row: counted so below, for the same totals.
    const instanceCleaned = enc.cleaned - cleanedBefore;
    let stored = 0;
    let storedWhole = 0;
    const end = Math.min(this.length, this.#event + n);
    for (; this.#event < end; this.#event++) {
      const what = s.packed[this.#event];
      if (what === COMMAND) {
        if (this.#commandRows(storeCommand, enc, options, inst, out)) stored += 1;
        continue;
      }
      if (what !== CHAT) {
        const e = s.whole[this.#whole++] as ChatflowEvent;
        storedWhole += encodeRows([e], 0, 1, kinds, enc, options, out);
        continue;
      }
      const c = this.#chat++;
      const l = c * LENGTHS;
      let headLength = HEAD_FIELDS - 1;
      for (let k = 0; k < HEAD_FIELDS; k++) headLength += s.lengths[l + k] as number;
      const start = this.#at;
      const textAt = start + headLength;
      const replyAt = textAt + (s.lengths[l + 6] as number);
      const flag = s.flags[c] as number;
      this.#at = replyAt + (flag & HAS_REPLY ? (s.lengths[l + 7] as number) : 0);
      if (!storeChat) continue;
      const text = this.#text;
      const head = text.slice(start, textAt);
      const code = s.roleCodes[c] as number;
      const roles = code === 0 ? '[]' : code === ODD_ROLES ? enc.json(s.oddRoles[this.#oddRoles++]) : rolesJson(code);
      const bits = s.numbers[c * NUMBERS + 1] as number;
      out.add(
        'chat_messages',
        `${PLAIN_HEAD.test(head) && wellFormed(head) ? head : this.#head(head, l, enc)}\t${roles}\t${enc.text(text.slice(textAt, replyAt))}\t${enc.time(s.numbers[c * NUMBERS] as number)}\t${enc.num(bits)}\t${enc.text(flag & HAS_REPLY ? text.slice(replyAt, this.#at) : undefined)}\t${enc.bool((flag & ACTION) !== 0)}\t${enc.bool((flag & FIRST_MESSAGE) !== 0)}\t${inst}`,
      );
      stored += 1;
    }
    enc.cleaned += instanceCleaned * (stored - 1);
    out.stored += stored;
    return stored + storedWhole;
  }

  /**
   * Reads the next packed command and, when `store`, adds its rows as rows.ts does for the
   * command it was packed from (a `questions` row too for a question command); says whether it did.
   */
  #commandRows(store: boolean, enc: CopyEncoder, options: RowOptions, inst: string, out: CopyText): boolean {
    const s = this.#slice;
    const k = this.#command++;
    const l = k * COMMAND_LENGTHS;
    const field: string[] = [];
    let at = this.#at;
    for (let f = 0; f < COMMAND_LENGTHS; f++) {
      const length = s.commandLengths[l + f] as number;
      field.push(this.#text.slice(at, at + length));
      at += length;
    }
    this.#at = at;
    if (!store) return false;
    const [platform, id, channel, login, name, args, text] = field as [string, string, string, string, string, string, string];
    const cleanedBefore = enc.cleaned;
    const who = `${enc.text(platform)}\t${enc.text(id)}\t${enc.text(channel)}\t${enc.text(login)}`;
    // rows.ts cleans these four again for the questions row, and counts them again.
    const whoCleaned = enc.cleaned - cleanedBefore;
    const time = enc.time(s.commandTs[k] as number);
    out.add('commands', `${who}\t${enc.text(name)}\t${enc.jsonText(args)}\taccepted\t\\N\t${time}\t${inst}`);
    if (options.questionCommands.has(name)) {
      const words = Object.values(JSON.parse(args) as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
      enc.cleaned += whoCleaned;
      out.add('questions', `${who}\t${enc.text(words.length > 0 ? words.join(' ') : text)}\t${time}\t${inst}`);
    }
    return true;
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
