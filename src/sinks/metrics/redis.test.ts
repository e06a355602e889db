import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../server/dashboardWire.js';
import { aggregate } from './redis.js';

const point = (name: string, value: number, labels: Record<string, string> = {}, instance = 'a'): MetricPoint => ({
  name,
  labels,
  value,
  instance,
  ts: 0,
});

describe('aggregate', () => {
  it('sums each series across instances, whatever the label order', () => {
    const totals = aggregate([
      { instance: 'a', lastSeen: 0, metrics: [point('n', 1, { x: '1', y: '2' }), point('m', 5)] },
      { instance: 'b', lastSeen: 0, metrics: [point('n', 2, { y: '2', x: '1' }, 'b')] },
    ]);
    expect(totals).toEqual({
      instances: 2,
      series: [
        { name: 'n', labels: { x: '1', y: '2' }, value: 3 },
        { name: 'm', labels: {}, value: 5 },
      ],
    });
  });
});
