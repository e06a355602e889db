import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../core/events.js';
import { NodeMetrics } from '../core/metrics.js';
import {
  adaptMask,
  LATENCY_MAX_MASK,
  LatencySampler,
  MAX_SAMPLE_MASK,
  ProcessingTimer,
  SAMPLE_MASK,
  SAMPLE_SPACING_MS,
} from './measure.js';

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

describe('LatencySampler at high rates', () => {
  /** An event that counts how often its `receivedAt` is read. */
  function counted(receivedAt: number, reads: { n: number }): ControlEvent {
    const event = step(receivedAt);
    Object.defineProperty(event, 'receivedAt', {
      get: () => {
        reads.n += 1;
        return receivedAt;
      },
    });
    return event;
  }

  it('measures every event at chat rates (1 ms or more apart)', () => {
    const metrics = new NodeMetrics('out', 'sink', 'blackhole');
    const reads = { n: 0 };
    let now = 0;
    const sampler = new LatencySampler(metrics, () => now);
    for (let i = 0; i < 500; i++) {
      now = i * 5 + 0.25;
      sampler.observe(counted(i * 5, reads));
    }
    expect(metrics.latency.summary()).toMatchObject({ count: 500, max: 0.25 });
    expect(reads.n).toBe(500);
  });

  it('looks at one event in up to LATENCY_MAX_MASK + 1 in a burst, and still measures about one a millisecond', () => {
    const metrics = new NodeMetrics('out', 'sink', 'blackhole');
    const reads = { n: 0 };
    let clockReads = 0;
    let now = 0;
    const sampler = new LatencySampler(metrics, () => {
      clockReads += 1;
      return now;
    });
    // 100,000 events 1 µs apart: 100 ms of a million a second.
    const events = 100_000;
    for (let i = 0; i < events; i++) {
      now = i / 1000 + 0.5;
      sampler.observe(counted(i / 1000, reads));
    }
    expect(reads.n).toBeLessThan((2 * events) / (LATENCY_MAX_MASK + 1));
    expect(clockReads).toBe(reads.n);
    const measured = metrics.latency.summary().count;
    expect(measured).toBeGreaterThanOrEqual(90);
    expect(measured).toBeLessThanOrEqual(101);
  });

  it('looks at every event again within LATENCY_MAX_MASK + 1 events once a burst is over', () => {
    const metrics = new NodeMetrics('out', 'sink', 'blackhole');
    const reads = { n: 0 };
    let now = 0;
    const sampler = new LatencySampler(metrics, () => now);
    for (let i = 0; i < 10_000; i++) {
      now = i / 1000;
      sampler.observe(counted(now, reads));
    }
    const afterBurst = metrics.latency.summary().count;
    // Then chat at one message every 200 ms.
    for (let i = 1; i <= 400; i++) {
      now = 10 + i * 200;
      sampler.observe(counted(now, reads));
    }
    expect(metrics.latency.summary().count - afterBurst).toBeGreaterThanOrEqual(400 - (LATENCY_MAX_MASK + 1));
  });

  it('measures the next command after a slew ramp whose steps share one receivedAt', () => {
    const metrics = new NodeMetrics('synth', 'sink', 'osc');
    let now = 0;
    const sampler = new LatencySampler(metrics, () => now);
    // Eight steps 10 ms apart, all carrying the command's receivedAt (100), then a chat.
    for (let k = 1; k <= 8; k++) {
      now = 100 + 10 * k + 0.5;
      sampler.observe(step(100, 10 * k));
    }
    now = 1102;
    sampler.observe(step(1100));
    expect(metrics.latency.summary()).toMatchObject({ count: 2, max: 2 });
  });
});

describe('adaptMask', () => {
  it('widens while samples come closer than SAMPLE_SPACING_MS, up to MAX_SAMPLE_MASK', () => {
    expect(adaptMask(SAMPLE_MASK, 0.1)).toBe(127);
    expect(adaptMask(511, SAMPLE_SPACING_MS / 2)).toBe(1023);
    expect(adaptMask(MAX_SAMPLE_MASK, 0)).toBe(MAX_SAMPLE_MASK);
  });

  it('holds between 1 and 4 × the spacing, and resets to SAMPLE_MASK beyond', () => {
    expect(adaptMask(255, SAMPLE_SPACING_MS)).toBe(255);
    expect(adaptMask(255, 3.9 * SAMPLE_SPACING_MS)).toBe(255);
    expect(adaptMask(255, 4 * SAMPLE_SPACING_MS)).toBe(SAMPLE_MASK);
    expect(adaptMask(SAMPLE_MASK, 1000)).toBe(SAMPLE_MASK);
  });
});

describe('ProcessingTimer', () => {
  /** Feeds `events` events through the timer's input wrapper to a downstream that does nothing. */
  function feed(timer: ProcessingTimer, events: number): void {
    const next = timer.wrapInput({ next: () => {} });
    for (let i = 0; i < events; i++) next(step(0));
  }

  it('times one event in 64 at chat rates', () => {
    const metrics = new NodeMetrics('p', 'operator', 'filter');
    let now = 0;
    const timer = new ProcessingTimer(metrics, () => {
      now += 100;
      return now;
    });
    feed(timer, 640);
    expect(metrics.processing.count).toBe(10);
    expect(metrics.eventsIn).toBe(640);
  });

  it('reads the clock for about one event a millisecond at a million events a second', () => {
    const metrics = new NodeMetrics('p', 'operator', 'filter');
    let reads = 0;
    // Each event takes 1 µs: the clock moves by 1 µs per event, whether it is read or not.
    const timer = new ProcessingTimer(metrics, () => {
      reads += 1;
      return metrics.eventsIn / 1000;
    });
    feed(timer, 200_000);
    expect(metrics.eventsIn).toBe(200_000);
    // 200 ms at one sample per 1,024 events (~1 ms), two reads each, plus the widening from 64.
    expect(reads).toBeLessThan((2 * 200_000) / (MAX_SAMPLE_MASK + 1) + 2 * 10);
    expect(metrics.processing.count).toBeGreaterThanOrEqual(150);
    expect(timer.mask).toBe(MAX_SAMPLE_MASK);
  });

  it('times one event in 64 again once a burst is over', () => {
    const metrics = new NodeMetrics('p', 'operator', 'filter');
    let now = 0;
    let perEvent = 0.001;
    const timer = new ProcessingTimer(metrics, () => now);
    const next = timer.wrapInput({
      next: () => {
        now += perEvent;
      },
    });
    for (let i = 0; i < 100_000; i++) next(step(0));
    expect(timer.mask).toBe(MAX_SAMPLE_MASK);
    perEvent = 100;
    for (let i = 0; i < MAX_SAMPLE_MASK + 1; i++) next(step(0));
    expect(timer.mask).toBe(SAMPLE_MASK);
    const before = metrics.processing.count;
    for (let i = 0; i < 640; i++) next(step(0));
    expect(metrics.processing.count - before).toBe(10);
  });
});
