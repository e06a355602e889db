/**
 * What the Health panel says of a sink's parts (the `chat` sink's platforms): a chip, the
 * counts, and why it is not sending (signed out, refused, backing off until when). Pure, so
 * the wording is tested without a browser.
 */
import type { PartHealth } from '../src/core/metrics.js';

/** The chip's text and colour class per state. */
const STATES: Record<PartHealth['state'], { readonly label: string; readonly cls: string }> = {
  ok: { label: 'ok', cls: 'ok' },
  idle: { label: 'idle', cls: 'idle' },
  signed_out: { label: 'signed out', cls: 'bad' },
  refused: { label: 'refused', cls: 'warn' },
  backing_off: { label: 'backing off', cls: 'warn' },
};

export interface PartLines {
  readonly label: string;
  readonly cls: string;
  /** `queue 3 · sent 12 · dropped 1` (and YouTube's quota of sending). */
  readonly counts: string;
  /** Why it is not sending, or its standing; empty when there is nothing to say. */
  readonly why: string;
}

/**
 * @param now Epoch ms, for "in 25 s".
 * @param clock How a time of day is written (the browser's locale by default).
 */
export function partLines(part: PartHealth, now: number, clock: (ts: number) => string = (ts) => new Date(ts).toLocaleTimeString()): PartLines {
  const state = STATES[part.state] ?? { label: String(part.state), cls: 'unknown' };
  const counts = [`queue ${part.queued}`, `sent ${part.sent}`, `dropped ${part.dropped}`];
  const used = part.gauges?.quota_used;
  if (used !== undefined) counts.push(`quota ${used} used, ${part.gauges?.quota_left ?? 0} left today`);
  const why: string[] = [];
  if (part.until !== undefined) why.push(`until ${clock(part.until)} (in ${Math.max(0, Math.ceil((part.until - now) / 1000))} s)`);
  if (part.detail !== undefined && part.detail !== '') why.push(part.detail);
  return { label: state.label, cls: state.cls, counts: counts.join(' · '), why: why.join(' — ') };
}
