/**
 * A recorded show (the `file` sink's JSONL, what `replay` plays) as inputs for a virtual run:
 * each event at the time it came in the recording, the first at 0. Times follow `replay`: the
 * gap between two chat or platform events is the difference of their platform `ts`, otherwise
 * of their `receivedAt`; a negative gap (lines out of order) counts as 0.
 */
import type { ChatflowEvent } from '../core/events.js';
import { readRecordedLine, recordedGap } from '../sources/index.js';

/** One event of the recording, at its virtual time. */
export interface RecordedInput {
  /** Virtual ms from the first event, whole ms. */
  readonly at: number;
  readonly event: ChatflowEvent;
}

/** A line that is not an event, skipped. */
export interface SkippedLine {
  /** 1-based, as an editor shows it. */
  readonly line: number;
  readonly reason: string;
}

export interface Recording {
  /** The events, in file order (their times never decrease). */
  readonly inputs: readonly RecordedInput[];
  /** Lines that are not events, in file order. */
  readonly skipped: readonly SkippedLine[];
  /** Lines that were not blank. */
  readonly lines: number;
  /** Virtual ms of the last event (0 for none or one). */
  readonly durationMs: number;
}

/**
 * Reads a recording from its text.
 *
 * @param text The whole file (`\n` or `\r\n` line ends).
 */
export function readRecording(text: string): Recording {
  const inputs: RecordedInput[] = [];
  const skipped: SkippedLine[] = [];
  let lines = 0;
  let at = 0;
  let previous: ChatflowEvent | undefined;
  let lineNumber = 0;
  let start = 0;
  while (start <= text.length) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end === -1 ? text.length : end);
    start = end === -1 ? text.length + 1 : end + 1;
    lineNumber += 1;
    const parsed = readRecordedLine(line);
    if (parsed === undefined) continue;
    lines += 1;
    if ('reason' in parsed) {
      skipped.push({ line: lineNumber, reason: parsed.reason });
      continue;
    }
    if (previous !== undefined) at += Math.max(0, recordedGap(previous, parsed.event));
    previous = parsed.event;
    inputs.push({ at: Math.round(at), event: parsed.event });
  }
  return { inputs, skipped, lines, durationMs: inputs.at(-1)?.at ?? 0 };
}
