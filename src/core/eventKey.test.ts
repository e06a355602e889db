import { describe, expect, it } from 'vitest';
import { chat } from '../../test/support/events.js';
import { defaultEventKey } from './eventKey.js';
import type { ControlEvent, MetricEvent } from './events.js';

describe('defaultEventKey', () => {
  const control = (variable: string, value: number): ControlEvent => ({
    kind: 'control',
    variable,
    value,
    previous: 0,
    origin: 'command',
    ts: 0,
    receivedAt: 0,
  });
  const metric = (labels: Record<string, string>): MetricEvent => ({
    kind: 'metric',
    name: 'events_total',
    labels,
    value: 1,
    instance: 'a',
    ts: 0,
    receivedAt: 0,
  });

  it('keys control events by variable and metrics by name and sorted labels', () => {
    expect(defaultEventKey(control('cutoff', 0.1))).toBe(defaultEventKey(control('cutoff', 0.9)));
    expect(defaultEventKey(control('cutoff', 0.1))).not.toBe(defaultEventKey(control('pitch', 0.1)));
    expect(defaultEventKey(metric({ a: '1', b: '2' }))).toBe(defaultEventKey(metric({ b: '2', a: '1' })));
    expect(defaultEventKey(metric({ a: '1' }))).not.toBe(defaultEventKey(metric({ a: '2' })));
  });

  it('keys chat by platform and message id, and gives non-events no key', () => {
    expect(defaultEventKey(chat('hi', { id: 'm1' }))).toBe('twitch:m1');
    expect(defaultEventKey(chat('hi', { id: 'm1', platform: 'kick' }))).toBe('kick:m1');
    expect(defaultEventKey('a')).toBeUndefined();
  });
});
