/**
 * The pure side of `control`: the value mapping (range, curve, quantizer) compiled per variable,
 * and the helpers that read variable names and values out of commands. Nothing here touches
 * RxJS or a clock, so property tests drive the mapping directly.
 */
import type { Subscription } from 'rxjs';
import type { OnBeat } from '../../core/beatClock.js';
import type { ChatEvent, CommandArg, ControlOrigin, Platform, Role } from '../../core/events.js';
import { VARIABLE_NAME } from '../../core/variables.js';
import { MIDDLE_C, parsePitchClass, SCALES, type ScaleName } from '../shared/music.js';

/** The ratio of an exponential or logarithmic curve over a range that is not all positive. */
const CURVE_RATIO = 100;
/** The largest ratio a geometric curve uses (a range of [1e-12, 1] is not worth more). */
const MAX_RATIO = 1e12;
/** Tolerance for "on the grid" when a range end is not an exact multiple of a step. */
export const EPSILON = 1e-9;

// ---------------------------------------------------------------------------------------------
// The value mapping.

/** How a command's number is read: 0–1, output units, or a MIDI note. */
export const INPUT_MODES = ['normalized', 'raw', 'note'] as const;
export type InputMode = (typeof INPUT_MODES)[number];
export const CURVES = ['linear', 'exponential', 'logarithmic'] as const;
export type Curve = (typeof CURVES)[number];

/**
 * What the mapping reads of a parsed `VariableConfig` (config.ts), declared here so that the
 * schema can validate with the mapping without the two importing each other.
 */
export interface VariableSpec {
  readonly range: readonly [number, number];
  readonly default?: number | undefined;
  readonly curve: Curve;
  readonly quantize: 'none' | 'semitone' | ScaleName | number;
  readonly root?: string | undefined;
  readonly volts_per_octave: number;
  readonly slew: number;
  readonly input: InputMode;
  readonly on_beat?: OnBeat | undefined;
}

/** A variable's settings, compiled for the hot path. */
export interface CompiledVariable {
  readonly min: number;
  readonly max: number;
  readonly default: number;
  readonly curve: Curve;
  /** End-to-start ratio of the exponential and logarithmic curves. */
  readonly ratio: number;
  readonly quantize: 'none' | 'step' | 'scale';
  /** The grid step (`step`) or one semitone in output units (`scale`). */
  readonly step: number;
  /** Lowest and highest grid index inside the range. */
  readonly kMin: number;
  readonly kMax: number;
  /** `scale`: pitch classes above C (index 0–11) that are in the scale. */
  readonly pitchClasses: readonly boolean[];
  readonly voltsPerOctave: number;
  readonly slewMs: number;
  readonly input: InputMode;
  /** Where changes land on the pipeline clock; undefined: at once. */
  readonly onBeat: OnBeat | undefined;
}

/** Compiles a parsed `VariableConfig`. */
export function compileVariable(config: VariableSpec): CompiledVariable {
  const [min, max] = config.range;
  const q = config.quantize;
  const scaleName: ScaleName | undefined =
    typeof q === 'string' && q !== 'none' ? (q === 'semitone' ? 'chromatic' : q) : undefined;
  const step = typeof q === 'number' ? q : config.volts_per_octave / 12;
  // A geometric curve needs a usable ratio; cap extreme ones and fall back to linear when the
  // range is too narrow for the ratio to differ from 1.
  const ratio = min > 0 ? Math.min(max / min, MAX_RATIO) : CURVE_RATIO;
  const root = config.root === undefined ? 0 : (parsePitchClass(config.root) ?? 0);
  const pitchClasses = new Array<boolean>(12).fill(false);
  if (scaleName) for (const pc of SCALES[scaleName]) pitchClasses[(pc + root) % 12] = true;
  return {
    min,
    max,
    default: config.default ?? clamp(0, min, max),
    curve: ratio > 1 + 1e-9 ? config.curve : 'linear',
    ratio,
    quantize: typeof q === 'number' ? 'step' : scaleName ? 'scale' : 'none',
    step,
    kMin: Math.ceil(min / step - EPSILON),
    kMax: Math.floor(max / step + EPSILON),
    pitchClasses,
    voltsPerOctave: config.volts_per_octave,
    slewMs: config.slew,
    input: config.input,
    onBeat: config.on_beat,
  };
}

/**
 * Maps a number from chat to the variable's output value: read by `mode` (`normalized` 0–1
 * through the curve, `raw` in output units, `note` as a MIDI note with C4 = 0 V), clamped to
 * the range, then quantized. Always returns a value within the range; a non-finite input
 * returns the default.
 */
export function mapValue(variable: CompiledVariable, input: number, mode: InputMode = variable.input): number {
  if (!Number.isFinite(input)) return variable.default;
  const { min, max } = variable;
  let value: number;
  if (mode === 'normalized') {
    const t = clamp(input, 0, 1);
    const span = max - min;
    const r = variable.ratio;
    switch (variable.curve) {
      case 'linear':
        value = min + span * t;
        break;
      case 'exponential':
        value = min + (span * (r ** t - 1)) / (r - 1);
        break;
      case 'logarithmic':
        value = min + (span * Math.log1p((r - 1) * t)) / Math.log(r);
        break;
    }
  } else if (mode === 'note') {
    value = ((input - MIDDLE_C) / 12) * variable.voltsPerOctave;
  } else {
    value = input;
  }
  return Number.isNaN(value) ? variable.default : quantizeValue(variable, clamp(value, min, max));
}

/**
 * Whether a command's number lies within what the variable takes in `mode`: 0–1 for
 * `normalized`, `range` for `raw`, a note whose voltage lies within `range` for `note`.
 */
export function inInputRange(variable: CompiledVariable, input: number, mode: InputMode = variable.input): boolean {
  if (mode === 'normalized') return input >= 0 && input <= 1;
  const value = mode === 'note' ? ((input - MIDDLE_C) / 12) * variable.voltsPerOctave : input;
  return value >= variable.min - EPSILON && value <= variable.max + EPSILON;
}

/**
 * Snaps a value within the range to the variable's grid or scale, staying within the range; a
 * value halfway between two notes of the scale goes to the lower one. Returns NaN only for a scale with no note in range (rejected by the config schema).
 */
export function quantizeValue(variable: CompiledVariable, value: number): number {
  const { min, max, step, kMin, kMax } = variable;
  if (variable.quantize === 'none') return value;
  if (kMin > kMax) return Number.NaN;
  const position = value / step;
  const near = clamp(Math.round(position), kMin, kMax);
  if (variable.quantize === 'step') return clamp(near * step, min, max);
  const classes = variable.pitchClasses;
  for (let d = 0; d <= 12; d++) {
    const below = near - d;
    const above = near + d;
    const belowOk = below >= kMin && classes[((below % 12) + 12) % 12] === true;
    const aboveOk = above <= kMax && classes[((above % 12) + 12) % 12] === true;
    if (belowOk && (!aboveOk || position - below <= above - position)) return clamp(below * step, min, max);
    if (aboveOk) return clamp(above * step, min, max);
  }
  return Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// Reading commands.

export type By = { readonly login: string; readonly platform: Platform };

export interface VariableState {
  readonly name: string;
  readonly spec: CompiledVariable;
  /** Created from chat through `allow_undeclared`; may be evicted. */
  readonly dynamic: boolean;
  value: number;
  locked: boolean;
  ramp: Subscription | undefined;
  /** The slew in progress, if any: where it goes and how, for a re-subscription to finish it. */
  slewing: Slewing | undefined;
  /** A change waiting for its beat (`on_beat`). */
  waiting: Subscription | undefined;
}

export interface Slewing {
  readonly target: number;
  readonly origin: ControlOrigin;
  readonly by: By | undefined;
  readonly receivedAt: number;
  readonly held: number;
  /** Scheduler time the ramp began, and its length. */
  readonly startedAt: number;
  readonly slewMs: number;
}

export interface Mapping {
  readonly variable: string | undefined;
  readonly variableArg: string;
  readonly valueArg: string | undefined;
  readonly input: InputMode | undefined;
}

export function newState(name: string, spec: CompiledVariable, dynamic: boolean): VariableState {
  return { name, spec, dynamic, value: spec.default, locked: false, ramp: undefined, slewing: undefined, waiting: undefined };
}


/** `value` when it is a number, else the first number among the args (never `voters`). */
export function numberKey(args: Readonly<Record<string, CommandArg>>): string | undefined {
  if (typeof args.value === 'number') return 'value';
  for (const key in args) if (typeof args[key] === 'number' && key !== 'voters') return key;
  return undefined;
}

/** A variable name from chat as is, or lower-cased; undefined when neither is valid. */
export function variableName(raw: string): string | undefined {
  if (raw.length === 0 || raw.length > 32) return undefined;
  if (VARIABLE_NAME.test(raw)) return raw;
  const lower = raw.toLowerCase();
  return VARIABLE_NAME.test(lower) ? lower : undefined;
}

export function hasRole(roles: readonly Role[], allowed: ReadonlySet<Role>): boolean {
  for (const role of roles) if (allowed.has(role)) return true;
  return false;
}

export function byOf(chat: ChatEvent): By {
  return { login: chat.author.login, platform: chat.platform };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
