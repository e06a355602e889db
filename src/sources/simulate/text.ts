/**
 * The pieces `simulate` builds synthetic chat from: a seeded PRNG, a small corpus of realistic
 * chat, command templates, and the Unicode tricks real chat throws at a pipeline (zero-width
 * characters, homoglyphs, zalgo, bidi controls, full-width and astral letters, tag characters).
 * Everything here is deterministic given the random function it is handed.
 */
import type { EmoteRange, Platform } from '../../core/events.js';

/** A random number in [0, 1). */
export type Rand = () => number;

/** mulberry32: a tiny, fast 32-bit PRNG; the same seed always gives the same sequence. */
export function mulberry32(seed: number): Rand {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit integer hash (the murmur3 finalizer), to derive independent seeds. */
export function mix32(value: number): number {
  let x = value >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** One element of a non-empty list, uniformly. */
export function pick<T>(rand: Rand, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

/** An integer in [lo, hi], uniformly. */
export function between(rand: Rand, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

// ---------------------------------------------------------------------------------------------
// Corpus

export const ADJECTIVES = [
  'cozy', 'sleepy', 'dark', 'lofi', 'analog', 'modular', 'fuzzy', 'salty', 'spicy', 'quiet',
  'lucky', 'mighty', 'silent', 'neon', 'retro', 'cosmic', 'tiny', 'grumpy', 'happy', 'wild',
  'lazy', 'brave', 'swift', 'frozen', 'golden', 'crispy', 'wobbly', 'sneaky', 'chill', 'loud',
] as const;

export const NOUNS = [
  'otter', 'wolf', 'synth', 'panda', 'fox', 'gamer', 'bass', 'oscillator', 'noodle', 'falcon',
  'penguin', 'knob', 'filter', 'raccoon', 'tiger', 'cat', 'goblin', 'wizard', 'potato', 'squid',
  'lemon', 'pixel', 'ghost', 'moose', 'badger', 'llama', 'walrus', 'owl', 'dragon', 'frog',
] as const;

/** Twitch's default name colours. */
export const COLORS = [
  '#FF0000', '#0000FF', '#008000', '#B22222', '#FF7F50', '#9ACD32', '#FF4500', '#2E8B57',
  '#DAA520', '#D2691E', '#5F9EA0', '#1E90FF', '#FF69B4', '#8A2BE2', '#00FF7F',
] as const;

/** Ordinary chat lines. */
export const CHAT_LINES = [
  'hi chat', 'hello', 'o7', 'gg', 'lol', 'lmao', 'W', 'L', 'first time here, this is sick',
  'what synth is this?', 'the bass is so good right now', 'can you turn the cutoff up',
  'that filter sweep was clean', 'is this vcv rack?', 'how do I control it?', 'type !cv cutoff 0.5',
  'the resonance is hurting my ears', 'this is so relaxing', 'vibing', 'we are so back',
  'who moved the pitch lol', 'somebody stop the wobble', 'more reverb pls', 'what patch is this',
  'lurking', 'brb', 'back', 'are you using max or pure data?', 'how many people are voting',
  'this slaps', 'that was a crazy drop', 'chat is cooking', 'mods asleep?', 'good morning from Berlin',
  'hola desde Madrid', 'salut tout le monde', 'привет чат', 'こんにちは', 'what time is it there?',
  'ok this is actually music now', 'hahaha', '???', '...', 'stream is lagging for me',
  'audio is fine for me', 'can we get a !pitch C4', 'F in chat', 'gn chat', 'love this community',
] as const;

/** Short words mixed with emotes. */
export const SHORT_WORDS = [
  'lol', 'yes', 'no', 'ok', 'wow', 'gg', 'hype', 'bass', 'drop', 'chat', 'this', 'same', 'true',
  'omg', 'nice', 'clean',
] as const;

export const LINK_LINES = [
  'check out my clip https://clips.twitch.tv/CrispyOtterSynthWobble-abc123',
  'free followers and viewers at bigfollows . com',
  'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
  'join the discord discord.gg/synthwave',
  'bit.ly/3xYzAbC lol',
  'what patch is this? https://patchstorage.com/platform/vcv-rack/',
  'www.example.com/free-gift-cards',
  'my soundcloud: soundcloud.com/cozyotter',
  'Cheap viewers! Visit streamboost dot net',
  'http://192.168.0.10:8080/overlay',
] as const;

export const CAPS_LINES = [
  'LETS GOOOOOO', 'THAT BASS THOUGH', 'WHAT IS THIS SOUND', 'AAAAAAAAAAAAAAAAAAAAAAAAAA',
  'TURN IT UP TURN IT UP TURN IT UP', 'W STREAM', 'HOLY', 'CUTOFF TO THE MOON',
  'WOBBLE WOBBLE WOBBLE WOBBLE WOBBLE', 'NOOOOOOOOOOOOOOOOOO', 'STOP THE PITCH', 'BANGER!!!!!!',
] as const;

/** Emotes by platform; names appear in the text, ranges in `emotes`. */
export const EMOTES: Readonly<Record<Platform, readonly { readonly id: string; readonly name: string }[]>> = {
  twitch: [
    { id: '25', name: 'Kappa' },
    { id: '305954156', name: 'PogChamp' },
    { id: '425618', name: 'LUL' },
    { id: '41', name: 'Kreygasm' },
    { id: '86', name: 'BibleThump' },
    { id: '64138', name: 'SeemsGood' },
    { id: '81274', name: 'VoHiYo' },
    { id: '245', name: 'ResidentSleeper' },
    { id: '58765', name: 'NotLikeThis' },
    { id: '30259', name: 'HeyGuys' },
    { id: '354', name: '4Head' },
    { id: '1902', name: 'Keepo' },
  ],
  kick: [
    { id: '37226', name: 'KEKW' },
    { id: '4148074', name: 'HYPERCLAP' },
    { id: '37227', name: 'LULW' },
    { id: '37221', name: 'EZ' },
    { id: '37225', name: 'GIGACHAD' },
    { id: '39261', name: 'catJAM' },
    { id: '37230', name: 'PogU' },
  ],
  youtube: [
    { id: 'UCkszU2WH9gy1mb0dV-11UJg/hand-pink-waving', name: ':hand-pink-waving:' },
    { id: 'UCkszU2WH9gy1mb0dV-11UJg/face-blue-smiling', name: ':face-blue-smiling:' },
    { id: 'UCkszU2WH9gy1mb0dV-11UJg/yougotthis', name: ':yougotthis:' },
    { id: 'UCkszU2WH9gy1mb0dV-11UJg/face-purple-crying', name: ':face-purple-crying:' },
    { id: 'UCkszU2WH9gy1mb0dV-11UJg/text-green-game-over', name: ':text-green-game-over:' },
    { id: 'UCkszU2WH9gy1mb0dV-11UJg/elbowcough', name: ':elbowcough:' },
  ],
};

export const NO_EMOTES: readonly EmoteRange[] = Object.freeze([]);

/** Text plus the emotes in it. */
export interface TextWithEmotes {
  readonly text: string;
  readonly emotes: readonly EmoteRange[];
}

/** 1–4 tokens, at least one an emote, with the emotes' code-point ranges. */
export function emoteLine(rand: Rand, platform: Platform, prefix = '', prefixCodePoints = 0): TextWithEmotes {
  const emotes = EMOTES[platform];
  const tokens = between(rand, 1, 4);
  const forced = Math.floor(rand() * tokens);
  const ranges: EmoteRange[] = [];
  let text = prefix;
  let offset = prefixCodePoints;
  for (let i = 0; i < tokens; i++) {
    if (i > 0) {
      text += ' ';
      offset += 1;
    }
    if (i === forced || rand() < 0.5) {
      const emote = pick(rand, emotes);
      ranges.push({ id: emote.id, name: emote.name, start: offset, end: offset + emote.name.length - 1 });
      text += emote.name;
      offset += emote.name.length;
    } else {
      const word = pick(rand, SHORT_WORDS);
      text += word;
      offset += word.length;
    }
  }
  return { text, emotes: ranges };
}

// ---------------------------------------------------------------------------------------------
// Command templates: `!cv cutoff {0.0..1.0}`, `!vote wobble {0..100}`, `!pitch {note}`, `{a|b}`

const PLACEHOLDER = /\{([^{}]*)\}/g;
const RANGE = /^(-?\d+(?:\.\d+)?)\.\.(-?\d+(?:\.\d+)?)$/;
const NOTE_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const;

export const DEFAULT_COMMANDS = [
  '!cv cutoff {0.0..1.0}',
  '!cv resonance {0.0..1.0}',
  '!pitch {note}',
  '!vote wobble {0..100}',
] as const;

type Slot =
  | { readonly type: 'int'; readonly lo: number; readonly hi: number }
  | { readonly type: 'float'; readonly lo: number; readonly hi: number }
  | { readonly type: 'note' }
  | { readonly type: 'choice'; readonly options: readonly string[] };

function parseSlot(body: string): Slot | string {
  const range = RANGE.exec(body);
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    if (lo > hi) return `the range {${body}} runs backwards`;
    return `${range[1]}${range[2]}`.includes('.') ? { type: 'float', lo, hi } : { type: 'int', lo, hi };
  }
  if (body === 'note') return { type: 'note' };
  const options = body.split('|');
  if (options.length >= 2 && options.every((option) => option.trim() !== '')) {
    return { type: 'choice', options };
  }
  return `unknown placeholder {${body}}; use {lo..hi}, {0.0..1.0}, {note} or {a|b|c}`;
}

/** Problems with a command template; empty when it is fine. */
export function checkCommandTemplate(template: string): string[] {
  const problems: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const slot = parseSlot(match[1] as string);
    if (typeof slot === 'string') problems.push(slot);
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) problems.push('unbalanced "{" or "}"');
  return problems;
}

/** How a rendered command goes wrong, as real viewers' commands do. */
export type CommandNoise = 'none' | 'upper' | 'out_of_range' | 'garbage' | 'truncated';
export const COMMAND_NOISES: readonly Exclude<CommandNoise, 'none'>[] = [
  'upper',
  'out_of_range',
  'garbage',
  'truncated',
];
const GARBAGE = ['lol', 'max', 'abc', '-', 'NaN', '1e9', 'up', '∞'] as const;

export type CommandRenderer = (rand: Rand, noise: CommandNoise) => string;

function renderSlot(rand: Rand, slot: Slot, noise: CommandNoise): string {
  if (noise === 'garbage') return pick(rand, GARBAGE);
  const out = noise === 'out_of_range';
  switch (slot.type) {
    case 'int': {
      if (!out) return String(between(rand, slot.lo, slot.hi));
      const span = Math.max(1, slot.hi - slot.lo);
      return String(rand() < 0.5 ? slot.lo - between(rand, 1, span) : slot.hi + between(rand, 1, span));
    }
    case 'float': {
      const span = slot.hi - slot.lo;
      const value = out
        ? rand() < 0.5
          ? slot.lo - span * (0.1 + rand())
          : slot.hi + span * (0.1 + rand())
        : slot.lo + rand() * span;
      return value.toFixed(2);
    }
    case 'note':
      return out ? pick(rand, ['H9', 'C#11', 'Z', 'Bb-3'] as const) : `${pick(rand, NOTE_NAMES)}${between(rand, 2, 5)}`;
    case 'choice':
      return out ? 'nope' : pick(rand, slot.options);
  }
}

/** Compiles a template (checked with {@link checkCommandTemplate}) into a renderer. */
export function compileCommandTemplate(template: string): CommandRenderer {
  const parts: Array<string | Slot> = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const slot = parseSlot(match[1] as string);
    if (typeof slot === 'string') throw new Error(`Invalid command template "${template}": ${slot}`);
    parts.push(template.slice(last, match.index), slot);
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(template.slice(last));
  const firstSlot = parts.findIndex((part) => typeof part !== 'string');
  const head = firstSlot < 0 ? template : parts.slice(0, firstSlot).join('').trimEnd();
  return (rand, noise) => {
    if (noise === 'truncated') return firstSlot < 0 ? `${template} ???` : head;
    let text = '';
    for (const part of parts) text += typeof part === 'string' ? part : renderSlot(rand, part, noise);
    return noise === 'upper' ? text.toUpperCase() : text;
  };
}

// ---------------------------------------------------------------------------------------------
// Unicode tricks

/** Zero-width characters used to dodge word filters: ZWSP, ZWNJ, ZWJ, word joiner, BOM. */
export const ZERO_WIDTH = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'] as const;

/** Bidi controls: LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI. */
export const BIDI_CONTROLS = [
  '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069',
] as const;

/** Latin letters and the Cyrillic or Greek letters that look the same. */
export const HOMOGLYPHS: Readonly<Record<string, string>> = {
  a: '\u0430', c: '\u0441', e: '\u0435', i: '\u0456', o: '\u043e', p: '\u0440', s: '\u0455',
  x: '\u0445', y: '\u0443', A: '\u0391', B: '\u0392', E: '\u0395', H: '\u0397', K: '\u039a',
  M: '\u039c', O: '\u039f', T: '\u03a4', X: '\u03a7',
};

/** Twitch's anti-duplicate tag character (U+E0000), appended by chat clients. */
export const TAG_CHARACTER = '\u{e0000}';

/** The phrases tricks are applied to: the words a moderator's filter would look for. */
const TRICK_BASES = [
  'free followers', 'buy viewers', 'spam', 'scam link', '!cv cutoff 1', 'bad word', 'hello', 'nice stream',
] as const;

const EMOJI_PREFIXES = [
  { text: '🔥🔥', codePoints: 2 },
  { text: '👍🏽', codePoints: 2 },
  { text: '👨‍👩‍👧', codePoints: 5 },
  { text: '😂', codePoints: 1 },
  { text: '🎹🎛️', codePoints: 3 },
] as const;

function insertZeroWidth(rand: Rand, base: string): string {
  let text = '';
  let inserted = 0;
  for (let i = 0; i < base.length; i++) {
    text += base[i];
    if (i < base.length - 1 && base[i] !== ' ' && (rand() < 0.25 || (inserted === 0 && i === base.length - 2))) {
      text += pick(rand, ZERO_WIDTH);
      inserted++;
    }
  }
  return text;
}

function homoglyphs(rand: Rand, base: string): string {
  let text = '';
  let replaced = 0;
  for (let i = 0; i < base.length; i++) {
    const ch = base[i] as string;
    const look = HOMOGLYPHS[ch];
    if (look !== undefined && (rand() < 0.5 || replaced === 0)) {
      text += look;
      replaced++;
    } else {
      text += ch;
    }
  }
  return text;
}

function zalgo(rand: Rand, base: string): string {
  let text = '';
  for (let i = 0; i < base.length; i++) {
    const ch = base[i] as string;
    text += ch;
    if (ch === ' ') continue;
    for (let n = between(rand, 1, 5); n > 0; n--) text += String.fromCharCode(0x300 + between(rand, 0, 0x6f));
  }
  return text;
}

function bidi(rand: Rand, base: string): string {
  switch (between(rand, 0, 3)) {
    case 0:
      return `\u202e${[...base].reverse().join('')}`;
    case 1:
      return `look \u2067${base}\u2069 here`;
    case 2:
      return `${base} \u202b\u05e9\u05dc\u05d5\u05dd\u202c`;
    default:
      return `${base}\u202e`;
  }
}

function mapLetters(base: string, upperStart: number, lowerStart: number, digitStart?: number): string {
  let text = '';
  for (const ch of base) {
    const code = ch.charCodeAt(0);
    if (code >= 0x41 && code <= 0x5a) text += String.fromCodePoint(upperStart + code - 0x41);
    else if (code >= 0x61 && code <= 0x7a) text += String.fromCodePoint(lowerStart + code - 0x61);
    else if (digitStart !== undefined && code >= 0x30 && code <= 0x39) text += String.fromCodePoint(digitStart + code - 0x30);
    else text += ch;
  }
  return text;
}

/** Names of the tricks, in the order {@link unicodeTrick} picks from. */
export const UNICODE_TRICKS = [
  'zero_width',
  'homoglyph',
  'zalgo',
  'bidi',
  'fullwidth',
  'math_bold',
  'tag_character',
  'emoji_emote',
] as const;
export type UnicodeTrick = (typeof UNICODE_TRICKS)[number];

/** A message using one Unicode trick; `emoji_emote` puts astral emoji before an emote. */
export function unicodeTrick(rand: Rand, platform: Platform): TextWithEmotes {
  const trick = pick(rand, UNICODE_TRICKS);
  const base = pick(rand, TRICK_BASES);
  switch (trick) {
    case 'zero_width':
      return { text: insertZeroWidth(rand, base), emotes: NO_EMOTES };
    case 'homoglyph':
      return { text: homoglyphs(rand, base), emotes: NO_EMOTES };
    case 'zalgo':
      return { text: zalgo(rand, base), emotes: NO_EMOTES };
    case 'bidi':
      return { text: bidi(rand, base), emotes: NO_EMOTES };
    case 'fullwidth':
      return { text: mapLetters(base, 0xff21, 0xff41, 0xff10).replaceAll(' ', '\u3000'), emotes: NO_EMOTES };
    case 'math_bold':
      return { text: mapLetters(base, 0x1d400, 0x1d41a, 0x1d7ce), emotes: NO_EMOTES };
    case 'tag_character':
      return { text: `${base} ${TAG_CHARACTER}`, emotes: NO_EMOTES };
    case 'emoji_emote': {
      const prefix = pick(rand, EMOJI_PREFIXES);
      return emoteLine(rand, platform, `${prefix.text} `, prefix.codePoints + 1);
    }
  }
}
