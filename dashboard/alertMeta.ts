/**
 * The short figure beside an alert in the dashboard's list: `value / threshold` for a
 * `sample_metrics` rule; for the runtime's loss alert (`data_loss:<node>`), how many events the
 * node lost since the previous report (nothing once it has resolved).
 */
import { LOSS_RULE_PREFIX } from '../src/core/pipelineView.js';
import type { AlertView } from '../src/server/dashboardWire.js';

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function alertMeta(a: Pick<AlertView, 'rule' | 'state' | 'value' | 'threshold'>, format: (v: number) => string): string {
  if (a.rule.startsWith(LOSS_RULE_PREFIX)) return a.state === 'firing' ? `${count.format(a.value)} lost` : '';
  return `${format(a.value)} / ${format(a.threshold)}`;
}
