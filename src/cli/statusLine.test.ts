import { describe, expect, it } from 'vitest';
import { NodeMetrics } from '../core/metrics.js';
import { renderStatusLine, renderSummary, totals } from './statusLine.js';

function nodes() {
  const demo = new NodeMetrics('demo', 'source', 'simulate');
  demo.status = 'live';
  demo.out('').value = 1000;
  const fair = new NodeMetrics('fair', 'operator', 'throttle');
  fair.eventsIn = 1000;
  fair.out('').value = 900;
  fair.drop('throttled', true, 100);
  const show = new NodeMetrics('show', 'sink', 'console');
  show.eventsIn = 900;
  show.drop('rate_limited', true, 40);
  show.drop('buffer_full', false, 2);
  return [demo, fair, show];
}

describe('the status line', () => {
  it('shows rates since the last tick, losses by reason apart from intended filtering, source health and run time', () => {
    const before = totals(
      nodes().map((n) => ({ ...n.snapshot(), eventsOut: { '': 0 }, eventsIn: 0 })),
      1000,
    );
    const snapshot = nodes().map((n) => n.snapshot());
    const now = totals(snapshot, 3000);
    expect(now).toEqual({ in: 1000, out: 900, lost: 2, filtered: 140, atMs: 3000 });
    expect(renderStatusLine(snapshot, now, before, 0)).toBe(
      'chatflow ▸ 500 ev/s in · 450 ev/s out · 2 lost (buffer_full 2) · 140 filtered · demo live · 0:03',
    );
  });

  it('prints a summary table of every node', () => {
    const lines = renderSummary(nodes().map((n) => n.snapshot())).split('\n');
    expect(lines[0]).toMatch(/^node +type +status +in +out +filtered +lost +errors$/);
    expect(lines[2]).toMatch(/^fair +throttle +starting +1,000 +900 +throttled=100 +0 +0$/);
    expect(lines[3]).toMatch(/ rate_limited=40 +buffer_full=2 +0$/);
  });
});
