/**
 * Control-variable names, shared by the operator that sets variables (`control`) and the sinks
 * that address them (`osc`), so neither kind imports the other.
 */
import { serviceKey } from './services.js';

/**
 * What a control variable may be called: it becomes an OSC address segment and a Redis hash field.
 * Also what a variable name from chat must look like, after lower-casing.
 */
export const VARIABLE_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * One variable a node declares (the `variables` fact of its definition, e.g. `control`'s), as
 * the overlay shows it: range, input kind (`note` is shown as a note name), default and volts
 * per octave.
 */
export interface VariableDeclaration {
  readonly name: string;
  readonly range: readonly [number, number];
  readonly input: 'normalized' | 'raw' | 'note';
  /** The value the variable starts from. */
  readonly default: number;
  readonly voltsPerOctave: number;
}

/**
 * The last stored value of each variable, in `resources.services` when a node restores them
 * (`redis_state` with `restore: true`); `control` variables start from these.
 */
export const RESTORED_VARIABLES = serviceKey<ReadonlyMap<string, number>>('restoredVariables');
