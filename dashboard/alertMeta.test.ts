import { describe, expect, it } from 'vitest';
import { alertMeta } from './alertMeta.js';

const plain = (v: number) => String(v);

describe('alertMeta', () => {
  it('shows a rule alert as value / threshold', () => {
    expect(alertMeta({ rule: 'latency', state: 'firing', value: 260, threshold: 250 }, plain)).toBe('260 / 250');
  });
  it('shows a loss alert as the events lost since the previous report, and nothing once resolved', () => {
    expect(alertMeta({ rule: 'data_loss:history', state: 'firing', value: 5_212_113, threshold: 0 }, plain)).toBe('5,212,113 lost');
    expect(alertMeta({ rule: 'data_loss:history', state: 'resolved', value: 0, threshold: 0 }, plain)).toBe('');
  });
});
