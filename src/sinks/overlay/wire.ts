/**
 * The overlay's wire format: what the `overlay` sink sends and dashboard/overlay.ts reads.
 * One JSON text frame holds one message, or an array of messages (one write's batch). Field
 * names are one or two letters; `t` is the message type.
 *
 * This module has no Node imports: the page bundles its types and constants.
 */
import type { ChatflowEvent, ControlOrigin, Platform } from '../../core/events.js';

/** Bumped when a message changes incompatibly; sent in every snapshot (`pv`). */
export const WIRE_VERSION = 1;
/** Chat text and command arguments longer than this many UTF-16 units are cut (with `…`). */
export const MAX_TEXT = 500;
/** Names (variables, users, commands) longer than this are cut. */
export const MAX_NAME = 64;

/**
 * A variable in a snapshot: name, value, and the range its bar spans.
 *
 * ```json
 * ["cutoff", 0.7, 0, 1]
 * ```
 */
export type WireVariable = [name: string, value: number, lo: number, hi: number];

/** How chat gives a variable's value, as its control node declares it (`input`). */
export type WireInput = 'normalized' | 'raw' | 'note';

/**
 * A variable as the control node that sets it declares it, so the page can show what the value
 * means against its real range: `n` name, `r` declared range, `k` input kind (`note`: shown as
 * a note name, C4 = 0 V), `d` default, `o` volts per octave (for `note`).
 *
 * ```json
 * {"n":"pitch","r":[-2,3],"k":"note","d":0,"o":1}
 * ```
 */
export interface WireDeclaration {
  readonly n: string;
  readonly r: readonly [lo: number, hi: number];
  readonly k: WireInput;
  readonly d: number;
  readonly o: number;
}

const NOTE_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const;

/** The nearest note to `volts` (C4 = 0 V, `voltsPerOctave` per octave): `C4`, `F#3`. */
export function noteName(volts: number, voltsPerOctave: number): string {
  const midi = Math.round(60 + (volts * 12) / voltsPerOctave);
  return `${NOTE_NAMES[((midi % 12) + 12) % 12]}${Math.floor(midi / 12) - 1}`;
}

/** A value as the page shows it: a note name for `note` input, else the number in its units. */
export function displayValue(value: number, declaration: WireDeclaration | undefined): string {
  if (declaration?.k === 'note' && Number.isFinite(value)) return noteName(value, declaration.o);
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  return value.toFixed(2);
}

/**
 * `c`: a control variable changed. `r` (the bar's range) is present when it changed since the
 * last message about the variable (always in the first). `u`/`p`: who moved it, for commands.
 *
 * ```json
 * {"t":"c","n":"cutoff","v":0.7,"o":"command","u":"alice","p":"twitch"}
 * ```
 */
export interface WireControl {
  readonly t: 'c';
  readonly n: string;
  readonly v: number;
  readonly o: ControlOrigin;
  readonly r?: readonly [lo: number, hi: number];
  readonly u?: string;
  readonly p?: Platform;
}

/**
 * `m`: a chat message. `i` message id, `u` display name, `l` login, `p` platform, `x` text,
 * `c` the author's colour (`#rrggbb`), `a` 1 for `/me`.
 */
export interface WireChat {
  readonly t: 'm';
  readonly i: string;
  readonly u: string;
  readonly l: string;
  readonly p: Platform;
  readonly x: string;
  readonly c?: string;
  readonly a?: 1;
}

/** `k`: an accepted command. `i` the chat message id, `n` the command, `a` its arguments as text. */
export interface WireCommand {
  readonly t: 'k';
  readonly i: string;
  readonly u: string;
  readonly l: string;
  readonly p: Platform;
  readonly n: string;
  readonly a: string;
}

/**
 * `d`: take down what moderation removed: one message (`i`), or everything of one user
 * (`l` + `p`, after a ban or timeout).
 */
export interface WireDelete {
  readonly t: 'd';
  readonly i?: string;
  readonly l?: string;
  readonly p?: Platform;
}

/** `x`: the chat was cleared; drop every message and command shown. */
export interface WireClear {
  readonly t: 'x';
}

/** `f`: the sink forgot a variable (it holds at most `max_variables`); remove its bar. */
export interface WireForget {
  readonly t: 'f';
  readonly n: string;
}

/**
 * `b`: a beat of the pipeline clock (`clock:` in pipeline.yaml): `b` its number (a multiple of
 * `r` is a downbeat), `m` the tempo in BPM (one decimal), `r` beats per bar. The page pulses;
 * nothing of it is kept in the snapshot.
 *
 * ```json
 * {"t":"b","b":4,"m":120,"r":4}
 * ```
 */
export interface WireBeat {
  readonly t: 'b';
  readonly b: number;
  readonly m: number;
  readonly r: number;
}

/** The wire message of a beat. */
export function beatMessage(beat: { readonly beat: number; readonly bpm: number; readonly beatsPerBar: number }): WireBeat {
  return { t: 'b', b: beat.beat, m: Math.round(beat.bpm * 10) / 10, r: beat.beatsPerBar };
}

/** A message the page shows in a feed (and the snapshot's history holds). */
export type WireEntry = WireControl | WireChat | WireCommand;

/**
 * `s`: the snapshot a client gets first, and again after it was resynced: every variable, the
 * last `history` entries (oldest first), and `d`, the declarations of the variables the
 * upstream control nodes declare (absent when there are none).
 *
 * ```json
 * {"t":"s","pv":1,"v":[["cutoff",0.7,0,1]],"h":[{"t":"m",…}],"d":[{"n":"cutoff","r":[0,1],"k":"normalized","d":0.5,"o":1}]}
 * ```
 */
export interface WireSnapshot {
  readonly t: 's';
  readonly pv: number;
  readonly v: readonly WireVariable[];
  readonly h: readonly WireEntry[];
  readonly d?: readonly WireDeclaration[];
}

export type WireMessage = WireSnapshot | WireEntry | WireDelete | WireClear | WireForget | WireBeat;

/** What a frame holds: one message or a batch. */
export type WireFrame = WireMessage | readonly WireMessage[];

/** What an event becomes on the wire, and what it does to the sink's state. */
export type Translation =
  | { readonly kind: 'control'; readonly event: Extract<ChatflowEvent, { kind: 'control' }>; readonly entry: boolean }
  | { readonly kind: 'entry'; readonly message: WireChat | WireCommand }
  | { readonly kind: 'delete'; readonly message: WireDelete }
  | { readonly kind: 'clear'; readonly message: WireClear }
  | { readonly kind: 'ignored' };

/** Control changes that are shown as a feed entry besides moving the bar. */
const ENTRY_ORIGINS: ReadonlySet<ControlOrigin> = new Set(['command', 'vote', 'panic', 'reset']);

/** Cuts `text` to `max` UTF-16 units without splitting a surrogate pair, adding `…`. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

const COLOR = /^#[0-9a-fA-F]{6}$/;

/**
 * How one event is shown: control changes (a bar; commands, votes, panic and reset also as a
 * feed entry), chat messages, commands, and removals (moderation `delete`/`timeout`/`ban`,
 * platform `message_deleted` (`data.messageId`), `user_banned`, `user_timed_out`,
 * `chat_cleared`). Everything else (allowed or flagged moderation verdicts, metrics, replies,
 * other platform events) is ignored.
 */
export function translate(event: ChatflowEvent): Translation {
  switch (event.kind) {
    case 'control':
      return { kind: 'control', event, entry: ENTRY_ORIGINS.has(event.origin) };
    case 'chat': {
      const a = event.author;
      const message: WireChat = {
        t: 'm',
        i: clip(event.id, MAX_NAME * 2),
        u: clip(a.displayName || a.login, MAX_NAME),
        l: clip(a.login, MAX_NAME),
        p: event.platform,
        x: clip(event.text, MAX_TEXT),
        ...(a.color !== undefined && COLOR.test(a.color) ? { c: a.color } : {}),
        ...(event.action ? { a: 1 as const } : {}),
      };
      return { kind: 'entry', message };
    }
    case 'command': {
      const a = event.chat.author;
      const args = Object.entries(event.args)
        .filter(([key]) => key !== 'subcommand')
        .map(([, value]) => String(value));
      const sub = event.args.subcommand;
      const text = typeof sub === 'string' ? [sub, ...args].join(' ') : args.join(' ');
      const message: WireCommand = {
        t: 'k',
        i: clip(event.chat.id, MAX_NAME * 2),
        u: clip(a.displayName || a.login, MAX_NAME),
        l: clip(a.login, MAX_NAME),
        p: event.chat.platform,
        n: clip(event.name, MAX_NAME),
        a: clip(text, MAX_TEXT),
      };
      return { kind: 'entry', message };
    }
    case 'moderation': {
      const chat = event.chat;
      switch (event.verdict) {
        case 'delete':
          return { kind: 'delete', message: { t: 'd', i: chat.id } };
        case 'timeout':
        case 'ban':
          return { kind: 'delete', message: { t: 'd', l: chat.author.login, p: chat.platform } };
        default:
          return { kind: 'ignored' };
      }
    }
    case 'platform': {
      switch (event.type) {
        case 'message_deleted': {
          // Sources put the deleted message's id in `data.messageId`.
          const id = event.data.messageId;
          return typeof id === 'string' && id !== '' ? { kind: 'delete', message: { t: 'd', i: id } } : { kind: 'ignored' };
        }
        case 'user_banned':
        case 'user_timed_out':
        // EventSub's `channel.chat.clear_user_messages` (a ban or a timeout, it does not say which).
        case 'user_messages_cleared':
          return event.author
            ? { kind: 'delete', message: { t: 'd', l: event.author.login, p: event.platform } }
            : { kind: 'ignored' };
        case 'chat_cleared':
          return { kind: 'clear', message: { t: 'x' } };
        default:
          return { kind: 'ignored' };
      }
    }
    default:
      return { kind: 'ignored' };
  }
}

/** The wire message of a control change; `range` when the client must learn it. */
export function controlMessage(
  event: Extract<ChatflowEvent, { kind: 'control' }>,
  range: readonly [number, number] | undefined,
): WireControl {
  return {
    t: 'c',
    n: clip(event.variable, MAX_NAME),
    v: event.value,
    o: event.origin,
    ...(range ? { r: range } : {}),
    ...(event.by ? { u: clip(event.by.login, MAX_NAME), p: event.by.platform } : {}),
  };
}

/** Whether a feed entry is removed by a `d` message. */
export function deletes(message: WireDelete, entry: WireEntry): boolean {
  if (entry.t === 'c') return message.l !== undefined && entry.u === message.l && entry.p === message.p;
  if (message.i !== undefined) return entry.i === message.i;
  return message.l !== undefined && entry.l === message.l && entry.p === message.p;
}
