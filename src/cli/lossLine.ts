/**
 * The last line of `chatflow run`: what the run lost, by node and reason, or that it lost
 * nothing. Always printed, so a script (or a streamer scrolling back) finds the answer in the
 * same place whatever happened.
 */
import type { LossReport } from '../pipelines/lossMonitor.js';

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * `Lost 5,212,113 events: history buffer_full 5,212,113.` (every node and reason, most first),
 * or `Nothing lost.`
 */
export function lossLine(report: LossReport): string {
  if (report.total === 0) return 'Nothing lost.';
  const parts = report.entries.map((e) => `${e.node} ${e.reason} ${fmt.format(e.count)}`);
  return `Lost ${fmt.format(report.total)} event${report.total === 1 ? '' : 's'}: ${parts.join(', ')}.`;
}
