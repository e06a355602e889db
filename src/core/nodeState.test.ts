import { describe, expect, it } from 'vitest';
import { NodeState } from './nodeState.js';

describe('NodeState', () => {
  it('makes a value once and hands the same one back', () => {
    const state = new NodeState();
    let made = 0;
    const init = () => {
      made += 1;
      return { seen: new Set<string>() };
    };
    const first = state.get('window', init);
    first.seen.add('a');
    const second = state.get('window', init);
    expect(second).toBe(first);
    expect(second.seen.has('a')).toBe(true);
    expect(made).toBe(1);
  });

  it('keeps keys apart and forgets everything on clear', () => {
    const state = new NodeState();
    state.get('a', () => 1);
    expect(state.get('b', () => 2)).toBe(2);
    expect(state.has('a')).toBe(true);
    state.clear();
    expect(state.has('a')).toBe(false);
    expect(state.get('a', () => 3)).toBe(3);
  });

  it('keeps a falsy value instead of making it again', () => {
    const state = new NodeState();
    expect(state.get('n', () => 0)).toBe(0);
    expect(state.get('n', () => 5)).toBe(0);
  });
});
