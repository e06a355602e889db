/**
 * Note names and scales shared by `parse_command` (the `note` arg type) and `control` (scale
 * quantizers, `root`). Pitch follows MIDI: C4 = 60, and for control voltage C4 = 0 V (the
 * VCV Rack convention), so a semitone is `volts_per_octave / 12` volts.
 */

/** Scales a `control` variable can quantize to, as pitch classes above the root. */
export const SCALES = {
  chromatic: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
  pentatonic_major: [0, 2, 4, 7, 9],
  pentatonic_minor: [0, 3, 5, 7, 10],
} as const satisfies Record<string, readonly number[]>;
export type ScaleName = keyof typeof SCALES;
export const SCALE_NAMES = Object.keys(SCALES) as [ScaleName, ...ScaleName[]];

/** MIDI note number of C4, the note `control` maps to 0 V. */
export const MIDDLE_C = 60;

/** Semitones above C of the letters A–G (indexed by `charCode - 65`). */
const LETTER_PC = [9, 11, 0, 2, 4, 5, 7] as const;
const SHARP_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const;
const FLAT_NAMES = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'Gb', 'G', 'Ab', 'A', 'Bb', 'B'] as const;

/**
 * Reads a letter and up to two accidentals (`#`, `♯`, `b`, `♭`) from `text` at `start`.
 * Returns `[semitones above C (-2…13), index after the accidentals]` in a reused array (so the
 * hot path allocates nothing), or undefined when there is no note letter.
 */
const scratch: [number, number] = [0, 0];
function readPitchClass(text: string, start: number): [number, number] | undefined {
  let letter = text.charCodeAt(start);
  if (letter >= 97) letter -= 32; // a–g → A–G
  if (letter < 65 || letter > 71) return undefined;
  let pc: number = LETTER_PC[letter - 65] as number;
  let i = start + 1;
  for (let n = 0; n < 2 && i < text.length; n++, i++) {
    const c = text.charCodeAt(i);
    if (c === 35 || c === 0x266f) pc += 1;
    else if (c === 98 || c === 0x266d) pc -= 1;
    else break;
  }
  scratch[0] = pc;
  scratch[1] = i;
  return scratch;
}

/**
 * Parses a note name with octave, `C4`, `F#3`, `Bb2`, `c#-1`, `G9`, into a MIDI note number
 * (C4 = 60). Returns undefined for anything else, including notes outside MIDI's 0–127.
 */
export function parseNote(text: string): number | undefined {
  const len = text.length;
  if (len < 2 || len > 6) return undefined;
  const read = readPitchClass(text, 0);
  if (!read) return undefined;
  const pc = read[0];
  let i = read[1];
  let negative = false;
  if (text.charCodeAt(i) === 45 || text.charCodeAt(i) === 0x2212) {
    negative = true;
    i += 1;
  }
  if (i !== len - 1) return undefined;
  const digit = text.charCodeAt(i) - 48;
  if (digit < 0 || digit > 9) return undefined;
  if (negative && digit !== 1) return undefined;
  const octave = negative ? -1 : digit;
  const midi = (octave + 1) * 12 + pc;
  return midi >= 0 && midi <= 127 ? midi : undefined;
}

/** Parses a pitch class without octave (`C`, `F#`, `Bb`) to 0–11; undefined otherwise. */
export function parsePitchClass(text: string): number | undefined {
  const read = readPitchClass(text, 0);
  if (!read || read[1] !== text.length) return undefined;
  return (read[0] + 12) % 12;
}

/** Formats a MIDI note number as a name with octave (`60` → `C4`, or `Db4` with `flats`). */
export function formatNote(midi: number, flats = false): string {
  const pc = ((midi % 12) + 12) % 12;
  const octave = Math.floor(midi / 12) - 1;
  return `${(flats ? FLAT_NAMES : SHARP_NAMES)[pc]}${octave}`;
}
