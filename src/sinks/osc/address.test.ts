import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkAddressLiteral,
  escapeAddressPart,
  fillEmptySegments,
  MAX_ADDRESS_PART,
  MAX_STRING_ARG,
  sanitizeStringArg,
} from './address.js';

describe('escapeAddressPart (hostile names from chat)', () => {
  it('keeps safe names as they are', () => {
    const name = 'cutoff_2.lfo-a';
    expect(escapeAddressPart(name)).toBe(name);
  });

  it.each([
    ['OSC pattern syntax', 'a#b*c,d/e?f[g]h{i}j', 'a_b_c_d_e_f_g_h_i_j'],
    ['spaces and tabs', 'evil name\there', 'evil_name_here'],
    ['a path that climbs out', '../../cv/cutoff', '.._.._cv_cutoff'],
    ['control characters and NUL', 'a\u0000b\u001bc\u007fd\u0085e', 'a_b_c_d_e'],
    ['non-ASCII, one _ per code point', 'ünï🎛x', '_n__x'],
    ['Max and Pd specials', 'a;b$1\\c"d\'e', 'a_b_1_c_d_e'],
    ['an empty value', '', '_'],
    ['a bare wildcard', '*', '_'],
  ])('replaces %s', (_what, hostile, escaped) => {
    expect(escapeAddressPart(hostile)).toBe(escaped);
  });

  it('never lets address syntax through, for any string, and bounds the length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (hostile) => {
        const escaped = escapeAddressPart(hostile);
        expect(escaped).toMatch(/^[A-Za-z0-9_.-]+$/);
        expect(escaped.length).toBeLessThanOrEqual(MAX_ADDRESS_PART);
      }),
      { numRuns: 500 },
    );
  });

  it('fills empty segments of a rendered address', () => {
    expect(fillEmptySegments('/cv/cutoff')).toBe('/cv/cutoff');
    expect(fillEmptySegments('/by/')).toBe('/by/_');
    expect(fillEmptySegments('/a//b')).toBe('/a/_/b');
    expect(fillEmptySegments('/a///')).toBe('/a/_/_/_');
  });

  it('checks the literal parts of a configured address', () => {
    expect(checkAddressLiteral('/cv/{{ variable }}')).toEqual([]);
    expect(checkAddressLiteral('/chatflow/alive')).toEqual([]);
    expect(checkAddressLiteral('cv/{{ variable }}')).toEqual(['An OSC address starts with "/"']);
    expect(checkAddressLiteral('/cv/*')).toHaveLength(1);
    expect(checkAddressLiteral('/cv x')).toHaveLength(2);
    expect(checkAddressLiteral('/cvé')).toEqual(['An OSC address is printable ASCII']);
  });
});

describe('sanitizeStringArg', () => {
  it('drops control characters, keeps Unicode, and cuts long text without splitting a surrogate pair', () => {
    expect(sanitizeStringArg('ana\u0000\n\u001b[31m')).toBe('ana[31m');
    expect(sanitizeStringArg('ünï 🎛')).toBe('ünï 🎛');
    const long = `${'a'.repeat(MAX_STRING_ARG - 1)}🎛🎛`;
    const cut = sanitizeStringArg(long);
    expect(cut).toBe('a'.repeat(MAX_STRING_ARG - 1));
    expect(sanitizeStringArg('b'.repeat(1000))).toHaveLength(MAX_STRING_ARG);
  });
});
