import { describe, expect, it } from 'vitest';
import { NodeMetrics } from './metrics.js';

describe('NodeMetrics', () => {
  it('snapshots counts and the latest gauge values, and leaves both out when unused', () => {
    const metrics = new NodeMetrics('yt', 'source', 'youtube');
    expect(metrics.snapshot().gauges).toBeUndefined();
    expect(metrics.snapshot().counts).toBeUndefined();
    metrics.count('quota_used', 5);
    metrics.count('quota_used', 5);
    metrics.gauge('quota_remaining', 9990);
    metrics.gauge('quota_remaining', 9985);
    const snap = metrics.snapshot();
    expect(snap.counts).toEqual({ quota_used: 10 });
    expect(snap.gauges).toEqual({ quota_remaining: 9985 });
  });
});
