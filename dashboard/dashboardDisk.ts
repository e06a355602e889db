/**
 * A sink's disk buffer as its node card shows it (docs/storage.md, "Disk buffer"): from the
 * node's gauges, the short form for the card (`disk 12k`) and a line for its tooltip, or
 * nothing while no event waits on disk.
 */
import { shortCount } from './dashboardLayout.js';

/** What a card says of its disk buffer; undefined when it is empty (or the sink has none). */
export function diskLines(gauges: Readonly<Record<string, number>> | undefined): { card: string; tooltip: string } | undefined {
  const events = gauges?.disk_buffer_events ?? 0;
  const bytes = gauges?.disk_buffer_bytes ?? 0;
  const full = (gauges?.disk_buffer_full ?? 0) > 0;
  if (events <= 0 && !full) return undefined;
  const rate = gauges?.disk_buffer_drain_events_per_s ?? 0;
  const mb = (bytes / 1e6).toFixed(1);
  return {
    card: full ? `disk FULL ${shortCount(events)}` : `disk ${shortCount(events)}`,
    tooltip:
      `disk buffer: ${events} events, ${mb} MB` +
      (rate > 0 ? `, draining ${shortCount(rate)}/s` : '') +
      (full ? ' — full: events are dropped' : ''),
  };
}
