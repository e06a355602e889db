import { describe, expect, it } from 'vitest';
import { addPoints, decayed, EscalationConfig, escalated } from './escalation.js';

describe('escalation', () => {
  const config = EscalationConfig.parse({ half_life: '1m', delete: 3, timeout: 6, ban: null });

  it('halves points every half-life', () => {
    expect(decayed({ points: 8, at: 0 }, 60_000, 60_000)).toBe(4);
    expect(decayed({ points: 8, at: 0 }, 180_000, 60_000)).toBe(1);
    expect(decayed({ points: 8, at: 0 }, 0, 60_000)).toBe(8);
    expect(decayed({ points: 0.01, at: 0 }, 60_000, 60_000)).toBe(0);
  });

  it('adds points to the decayed total', () => {
    const state = { points: 4, at: 0 };
    expect(addPoints(state, 2, 60_000, 60_000)).toBe(4);
    expect(state).toEqual({ points: 4, at: 60_000 });
  });

  it('maps points to verdicts, scaled by strictness; a null threshold is never reached', () => {
    expect(escalated(2, config, 1)).toBe('allow');
    expect(escalated(3, config, 1)).toBe('delete');
    expect(escalated(100, config, 1)).toBe('timeout');
    expect(escalated(3, config, 0.5)).toBe('timeout');
  });
});
