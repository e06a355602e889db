import { describe, expect, it } from 'vitest';
import { cpuUsPerMessage, machineCeiling, ofCeilingPercent } from './machineCeiling.js';

describe('cpuUsPerMessage', () => {
  it('is CPU µs per message, and null without a measurement or without messages', () => {
    expect(cpuUsPerMessage(5000, 1_000_000)).toBe(5);
    expect(cpuUsPerMessage(1234, 1000)).toBe(1234);
    expect(cpuUsPerMessage(null, 1000)).toBeNull();
    expect(cpuUsPerMessage(100, 0)).toBeNull();
  });
});

describe('machineCeiling', () => {
  it('is the cores over the sum of the parts, with the parts kept', () => {
    // 5 µs (graph) + 0.5 µs (COPY client) + 4.5 µs (server) = 10 µs: 2 cores do 200k/s.
    const c = machineCeiling(2, { graph: 5, copyClient: 0.5, copyServer: 4.5 });
    expect(c).toEqual({ messagesPerSec: 200_000, cores: 2, cpuUsPerMessage: 10, parts: { graph: 5, copyClient: 0.5, copyServer: 4.5 } });
    expect(machineCeiling(1, { graph: 4 })?.messagesPerSec).toBe(250_000);
  });

  it('is null when a part was not measured or nothing costs anything', () => {
    expect(machineCeiling(2, { graph: 5, copyServer: null })).toBeNull();
    expect(machineCeiling(2, { graph: 0 })).toBeNull();
    expect(machineCeiling(0, { graph: 3 })).toBeNull();
  });
});

describe('ofCeilingPercent', () => {
  it('is the rate as a share of the ceiling, in percent to one decimal', () => {
    const c = machineCeiling(2, { graph: 10 });
    expect(ofCeilingPercent(95_000, c)).toBe(47.5);
    expect(ofCeilingPercent(200_000, c)).toBe(100);
    expect(ofCeilingPercent(1, null)).toBeNull();
  });
});
