import { describe, expect, it } from 'vitest';
import { checkTemplate, compileTemplate, templatePaths } from './template.js';

describe('templates', () => {
  const control = { kind: 'control', variable: 'cutoff', value: 0.7, by: { login: 'ann' } };

  it('renders fields and nested paths', () => {
    expect(compileTemplate('/cv/{{ variable }}')(control)).toBe('/cv/cutoff');
    expect(compileTemplate('{{by.login}} set {{ variable }}={{ value }}')(control)).toBe('ann set cutoff=0.7');
  });

  it('renders a missing field as empty and a constant as itself', () => {
    expect(compileTemplate('/x/{{ chat.author.login }}')(control)).toBe('/x/');
    expect(compileTemplate('/static')(control)).toBe('/static');
  });

  it('escapes every substituted value', () => {
    const upper = compileTemplate('/cv/{{ variable }}', (v) => v.toUpperCase());
    expect(upper(control)).toBe('/cv/CUTOFF');
  });

  it('lists paths and reports unknown fields and stray braces', () => {
    expect(templatePaths('{{ a.b }}-{{c}}')).toEqual(['a.b', 'c']);
    expect(checkTemplate('/cv/{{ variable }}')).toEqual([]);
    // A control event's intended delay (a slew step's place on its ramp) may be sent along.
    expect(checkTemplate('{{ heldMs }}')).toEqual([]);
    expect(checkTemplate('/cv/{{ varaible }}')).toEqual(['Template field "varaible" is not an event field']);
    expect(checkTemplate('/cv/{{ variable }')).toEqual(['Unbalanced "{{ }}" in template "/cv/{{ variable }"']);
  });
});
