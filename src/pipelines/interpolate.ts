/**
 * `${VAR}` interpolation of one string from pipeline.yaml, the shell's way: `${VAR:-default}`
 * when unset or empty, `${VAR:?message}` to insist, `$${` for a literal `${`.
 */

/** The environment variables interpolation reads; the caller passes `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface InterpolationProblem {
  /** `unset_variable` (a missing value) or `bad_variable` (a malformed `${…}`). */
  readonly rule: 'unset_variable' | 'bad_variable';
  readonly message: string;
}

export interface Interpolated {
  readonly value: string;
  /** True when the whole text was one `${…}` expression, so the value may be re-typed. */
  readonly whole: boolean;
  readonly problems: readonly InterpolationProblem[];
}

const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([\s\S]*))?$/;

/**
 * Resolves every `${…}` in `text` against `env`.
 *
 * An empty value counts as unset for `:-` and `:?` (as in the shell), but a plain `${VAR}` set
 * to `''` is just empty. Defaults are literal text: they can't nest another `${…}` or hold `}`.
 */
export function interpolate(text: string, env: Env): Interpolated {
  if (!text.includes('${')) return { value: text, whole: false, problems: [] };
  const problems: InterpolationProblem[] = [];
  let out = '';
  let expressions = 0;
  let literal = false;
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start === -1) {
      out += text.slice(i);
      literal = true;
      break;
    }
    // `$${` is the escape: the first `$` is eaten, `${` is kept as text.
    if (start > i && text[start - 1] === '$') {
      out += text.slice(i, start - 1) + '${';
      literal = true;
      i = start + 2;
      continue;
    }
    if (start > i) literal = true;
    out += text.slice(i, start);
    const end = text.indexOf('}', start + 2);
    const body = end === -1 ? undefined : text.slice(start + 2, end);
    const match = body === undefined || body.includes('${') ? null : EXPRESSION.exec(body);
    if (!match) {
      const shown = end === -1 ? text.slice(start) : text.slice(start, end + 1);
      problems.push({
        rule: 'bad_variable',
        message: `Malformed variable reference "${shown}": write \${NAME}, \${NAME:-default} or \${NAME:?message}, or $\${ for a literal \${`,
      });
      out += shown;
      literal = true;
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    expressions += 1;
    out += resolve(match[1] as string, match[2], match[3] ?? '', env, problems);
    i = (end as number) + 1;
  }
  return { value: out, whole: expressions === 1 && !literal, problems };
}

function resolve(
  name: string,
  operator: string | undefined,
  argument: string,
  env: Env,
  problems: InterpolationProblem[],
): string {
  const value = env[name];
  if (operator === ':-') return value === undefined || value === '' ? argument : value;
  if (operator === ':?') {
    if (value !== undefined && value !== '') return value;
    const why = argument.trim() || 'it is required';
    problems.push({ rule: 'unset_variable', message: `Environment variable ${name} is not set: ${why}` });
    return '';
  }
  if (value === undefined) {
    problems.push({
      rule: 'unset_variable',
      message: `Environment variable ${name} is not set; set it or give a default with \${${name}:-default}`,
    });
    return '';
  }
  return value;
}
