/**
 * Reads a command's options with plain messages: Node's `parseArgs` in strict mode throws its
 * own text ("Unknown option '--quiett'. To specify a positional argument starting with a '-',
 * place it at the end of the command after '--', as in '-- \"--quiett\"'"), written for
 * programmers. This parses leniently and judges each option token itself.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { suggest } from '../core/suggest.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export type ParsedOptions =
  | {
      readonly ok: true;
      readonly positionals: readonly string[];
      readonly values: Record<string, string | boolean | undefined>;
    }
  | { readonly ok: false; readonly message: string };

/** `--name` or `-n` as the user would write it. */
function flag(name: string, short: boolean): string {
  return short ? `-${name}` : `--${name}`;
}

export function parseOptions(args: readonly string[], options: OptionSpecs): ParsedOptions {
  const { values, positionals, tokens } = parseArgs({
    args: [...args],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const names = Object.keys(options);
  const shorts = new Map(
    Object.entries(options).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])),
  );
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const short = token.rawName.startsWith('-') && !token.rawName.startsWith('--');
    const name = short ? shorts.get(token.name) : names.includes(token.name) ? token.name : undefined;
    if (name === undefined) {
      const guess = short ? undefined : suggest(token.name, names);
      const known = names.map((n) => `--${n}`).join(', ');
      return {
        ok: false,
        message: `unknown option ${token.rawName}.${guess ? ` Did you mean --${guess}?` : ''} Options: ${known}.`,
      };
    }
    const spec = options[name];
    if (spec?.type === 'string' && token.value === undefined) {
      return { ok: false, message: `${flag(name, false)} needs a value (${flag(name, false)} VALUE).` };
    }
    if (spec?.type === 'boolean' && token.inlineValue) {
      return { ok: false, message: `${flag(name, false)} takes no value.` };
    }
  }
  return { ok: true, positionals, values: values as Record<string, string | boolean | undefined> };
}
