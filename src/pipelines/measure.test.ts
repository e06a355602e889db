import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import { LatencySampler } from './measure.js';

function step(receivedAt: number, heldMs?: number): ControlEvent {
  const event: ControlEvent = { kind: 'control', variable: 'cutoff', value: 0.5, previous: 0, origin: 'command', ts: 0, receivedAt };
  return heldMs === undefined ? event : { ...event, heldMs };
}

describe('LatencySampler', () => {
  it('counts an intended delay (heldMs) apart from latency: a slew step 10 ms on its ramp, 0.3 ms late, is 0.3 ms of latency', () => {
    const metrics = new NodeMetrics('synth', 'sink', 'osc');
    let now = 0;
    const sampler = new LatencySampler(metrics, () => now);
    now = 110.3;
    sampler.observe(step(100, 10));
    now = 202;
    sampler.observe(step(200));
    expect(metrics.latency.summary()).toMatchObject({ count: 2, max: 2 });
    expect(metrics.latency.summary().sum).toBeCloseTo(2.3, 6);
    expect(metrics.held.summary()).toMatchObject({ count: 1, sum: 10, max: 10 });
  });

  it('never reports a negative latency when a step comes early', () => {
    const metrics = new NodeMetrics('synth', 'sink', 'osc');
    const sampler = new LatencySampler(metrics, () => 105);
    sampler.observe(step(100, 10));
    expect(metrics.latency.summary()).toMatchObject({ count: 1, max: 0 });
  });
});
