/**
 * What the chat sink does to a reply's text before it is queued: never the platform's command
 * syntax at its start (a viewer cannot make the bot run `/ban` or `.timeout`), and never over
 * the platform's length (split on word boundaries, or cut with an ellipsis).
 */

import { withoutCommandStart } from '../../core/reply.js';

/** How a message over the platform's length is handled. */
export type LongMode = 'split' | 'cut';

export const ELLIPSIS = '…';

/** Trailing ignorable characters and whitespace off. */
function trimEnd(text: string): string {
  return text.replace(/[\s\u200B-\u200D\u2060\uFEFF]+$/u, '');
}

/** Length in code points, as every platform counts it. */
export function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/** The first `max` code points of `text`. */
function headCodePoints(text: string, max: number): string {
  let out = '';
  let n = 0;
  for (const ch of text) {
    if (n === max) break;
    out += ch;
    n += 1;
  }
  return out;
}

/**
 * The longest start of `text` of at most `max` code points that ends on a word boundary (a
 * single word longer than `max` is cut inside), and the rest, its leading spaces removed.
 */
function takeWords(text: string, max: number): { head: string; rest: string } {
  if (codePoints(text) <= max) return { head: text, rest: '' };
  const window = headCodePoints(text, max + 1);
  const lastSpace = window.search(/\s\S*$/u);
  const cut = lastSpace > 0 ? lastSpace : headCodePoints(text, max).length;
  return { head: trimEnd(text.slice(0, cut)), rest: text.slice(cut).replace(/^\s+/u, '') };
}

/** `text` cut to `max` code points on a word boundary, ending with `…` when anything was cut. */
export function cutWithEllipsis(text: string, max: number): string {
  if (codePoints(text) <= max) return text;
  const { head } = takeWords(text, max - 1);
  return `${head}${ELLIPSIS}`;
}

export interface FitOptions {
  /** The platform's length limit, in code points. */
  readonly maxLength: number;
  readonly long: LongMode;
  /** `split`: at most this many messages; the last is cut with an ellipsis. */
  readonly maxParts: number;
}

/**
 * The messages to send for one reply: the text made safe (no command at its start, nor at the
 * start of any part), then split on word boundaries into at most `maxParts` messages of at
 * most `maxLength` code points, or cut to one with an ellipsis. Empty when nothing is left
 * to say.
 */
export function fitReply(text: string, options: FitOptions): string[] {
  const parts: string[] = [];
  let rest = trimEnd(withoutCommandStart(text));
  const limit = options.long === 'cut' ? 1 : Math.max(1, options.maxParts);
  while (rest !== '' && parts.length < limit) {
    if (parts.length === limit - 1) {
      parts.push(cutWithEllipsis(rest, options.maxLength));
      break;
    }
    const { head, rest: next } = takeWords(rest, options.maxLength);
    parts.push(head);
    rest = trimEnd(withoutCommandStart(next));
  }
  return parts.filter((p) => p !== '');
}
