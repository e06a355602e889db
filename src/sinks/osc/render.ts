/**
 * The `osc` sink's rendering of an event into an OSC message: the address and argument
 * templates compiled once, then read per event. Shared by the main-thread sink and the output
 * stage's main side, so both send the same bytes.
 */
import type { ChatflowEvent } from '../../core/events.js';
import { compileTemplate, type Template, templatePaths } from '../../core/template.js';
import { escapeAddressPart, fillEmptySegments, sanitizeStringArg } from './address.js';
import type { OscConfig, OscArg } from './config.js';
import type { OscArgType, OscMessage, OscValue } from './encoding.js';

/** One message on its way: its coalescing key and whether it skips the pace. */
export interface Outgoing {
  readonly key: string;
  readonly message: OscMessage;
  readonly urgent: boolean;
}

type ArgReader = (event: ChatflowEvent) => OscValue;

/** Renders events into messages by the sink's `address` and `args`. */
export class MessageRenderer {
  readonly types: readonly OscArgType[];
  /**
   * Indexes of the numeric arguments that are exactly `{{ value }}`: where the output stage
   * writes an interpolated slew value.
   */
  readonly valueIndexes: readonly number[];
  readonly #address: Template;
  readonly #readers: readonly ArgReader[];

  constructor(config: Pick<OscConfig, 'address' | 'args'>) {
    this.#address = compileTemplate(config.address, escapeAddressPart);
    this.types = config.args.map((arg) => arg.type);
    this.#readers = config.args.map(compileArg);
    this.valueIndexes = config.args.flatMap((arg, i) =>
      arg.type !== 's' && typeof arg.value === 'string' && /^\{\{\s*value\s*\}\}$/.test(arg.value) ? [i] : [],
    );
  }

  /** Renders an event's message; undefined when a numeric argument is not a number. */
  build(event: ChatflowEvent): Outgoing | undefined {
    const address = fillEmptySegments(this.#address(event));
    const readers = this.#readers;
    const types = this.types;
    const values = new Array<OscValue>(readers.length);
    let key = address;
    for (let i = 0; i < readers.length; i++) {
      const value = (readers[i] as ArgReader)(event);
      if (types[i] === 's') key += `\0${value as string}`;
      else if (!Number.isFinite(value)) return undefined;
      values[i] = value;
    }
    const urgent =
      event.kind === 'control' && (event.origin === 'panic' || event.origin === 'reset' || event.origin === 'retired');
    return { key, message: { address, values }, urgent };
  }
}

/** Whole-template `{{ path }}`: the field is read as it is (a number stays a number). */
const SINGLE_PLACEHOLDER = /^\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}$/;

/** Compiles one argument to a reader of its value from an event. */
function compileArg(arg: OscArg): ArgReader {
  const { type, value } = arg;
  if (typeof value === 'number') return () => value;
  if (type === 's') {
    if (templatePaths(value).length === 0) {
      const constant = sanitizeStringArg(value);
      return () => constant;
    }
    const render = compileTemplate(value, sanitizeStringArg);
    return (event) => render(event);
  }
  if (templatePaths(value).length === 0) {
    const constant = Number(value);
    return () => constant;
  }
  const single = SINGLE_PLACEHOLDER.exec(value);
  if (single) {
    const path = (single[1] as string).split('.');
    if (path.length === 1) {
      const key = path[0] as string;
      return (event) => toNumber((event as unknown as Record<string, unknown>)[key]);
    }
    return (event) => {
      let field: unknown = event;
      for (const key of path) field = field == null ? undefined : (field as Record<string, unknown>)[key];
      return toNumber(field);
    };
  }
  const render = compileTemplate(value);
  return (event) => toNumber(render(event));
}

/** A field as a number: numbers as they are, numeric text parsed, booleans 1/0, else NaN. */
function toNumber(field: unknown): number {
  if (typeof field === 'number') return field;
  if (typeof field === 'string') return field.trim() === '' ? Number.NaN : Number(field);
  if (typeof field === 'boolean') return field ? 1 : 0;
  return Number.NaN;
}

/**
 * The config the main-thread sink runs with: `timetag` becomes `bundle.delay` (every message a
 * bundle that far ahead of its send), the nearest it has to stamping steps.
 */
export function mainThreadConfig(config: OscConfig): OscConfig {
  return config.timetag === 'off' ? config : { ...config, bundle: { delay: config.timetag } };
}
