// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the syntax under test, not a mistyped template literal.
import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.js';

const env = { HOST: 'example.org', EMPTY: '', PORT: '9000' };

describe('interpolate', () => {
  it('leaves text without ${ alone', () => {
    expect(interpolate('/cv/{{ variable }} costs $5', env)).toEqual({
      value: '/cv/{{ variable }} costs $5',
      whole: false,
      problems: [],
    });
  });

  it('replaces ${VAR} with its value, even an empty one', () => {
    expect(interpolate('${HOST}', env)).toEqual({ value: 'example.org', whole: true, problems: [] });
    expect(interpolate('${EMPTY}', env)).toEqual({ value: '', whole: true, problems: [] });
  });

  it('uses the default of ${VAR:-default} when the variable is unset or empty', () => {
    expect(interpolate('${HOST:-localhost}', env).value).toBe('example.org');
    expect(interpolate('${NOPE:-localhost}', env).value).toBe('localhost');
    expect(interpolate('${EMPTY:-localhost}', env).value).toBe('localhost');
    expect(interpolate('${NOPE:-}', env).value).toBe('');
    expect(interpolate('${NOPE:-a b:c}', env).value).toBe('a b:c');
  });

  it('reports ${VAR:?message} with its message when unset or empty', () => {
    expect(interpolate('${HOST:?set HOST}', env)).toEqual({ value: 'example.org', whole: true, problems: [] });
    expect(interpolate('${EMPTY:?the token is required}', env).problems).toEqual([
      { rule: 'unset_variable', message: 'Environment variable EMPTY is not set: the token is required' },
    ]);
    expect(interpolate('${NOPE:?}', env).problems).toEqual([
      { rule: 'unset_variable', message: 'Environment variable NOPE is not set: it is required' },
    ]);
  });

  it('reports an unset ${VAR} without a default', () => {
    expect(interpolate('${NOPE}', env).problems).toEqual([
      {
        rule: 'unset_variable',
        message: 'Environment variable NOPE is not set; set it or give a default with ${NOPE:-default}',
      },
    ]);
  });

  it('resolves several references inside a longer string, which is then not whole', () => {
    expect(interpolate('http://${HOST}:${PORT}/x', env)).toEqual({
      value: 'http://example.org:9000/x',
      whole: false,
      problems: [],
    });
  });

  it('turns $${ into a literal ${ without resolving it', () => {
    expect(interpolate('$${HOST}', env)).toEqual({ value: '${HOST}', whole: false, problems: [] });
    expect(interpolate('a $${HOST} b ${PORT}', env).value).toBe('a ${HOST} b 9000');
  });

  it('reports malformed references and keeps their text', () => {
    const result = interpolate('x ${not valid} ${HOST', env);
    expect(result.value).toBe('x ${not valid} ${HOST');
    expect(result.problems.map((p) => p.rule)).toEqual(['bad_variable', 'bad_variable']);
    expect(result.problems[0]?.message).toBe(
      'Malformed variable reference "${not valid}": write ${NAME}, ${NAME:-default} or ${NAME:?message}, or $${ for a literal ${',
    );
  });

  it('does not nest references in a default', () => {
    expect(interpolate('${A:-${HOST}}', env).problems.map((p) => p.rule)).toEqual(['bad_variable']);
  });
});
