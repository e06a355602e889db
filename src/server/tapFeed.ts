/**
 * What `/api/tap` does with each event a tap hands it, before the socket: the `match` filter,
 * the sample, the rate cap and the send buffer's bound, each drop counted by its reason. Time
 * comes from the caller's clock, so the rate cap is testable in virtual time.
 */
import type { ChatflowEvent } from '../core/events.js';

export interface TapFeedOptions {
  /** Only events whose text (the whole event as JSON, for one without text) matches. */
  readonly match?: RegExp;
  /** Events per second at most; undefined: no cap. */
  readonly ratePerS?: number;
  /** The fraction of events kept (0 < f ≤ 1), evenly spread: 0.1 keeps every tenth. */
  readonly sample?: number;
}

/** Why an event did not reach the client. */
export type TapDropReason = 'rate' | 'slow_client' | 'tap_queue';

export class TapFeed {
  readonly dropped: Record<TapDropReason, number> = { rate: 0, slow_client: 0, tap_queue: 0 };
  #sampled = 0;
  #tokens: number;
  #refilledAt: number;

  constructor(
    private readonly options: TapFeedOptions,
    private readonly clock: () => number,
  ) {
    this.#tokens = options.ratePerS ?? 0;
    this.#refilledAt = clock();
  }

  /**
   * Whether `event` goes to the client. Filtered and unsampled events are not drops (the client
   * asked not to see them); one over the rate cap, or one the client's full buffer cannot take
   * (`clientFull`), is.
   */
  admit(event: ChatflowEvent, clientFull: boolean): boolean {
    const { match, sample, ratePerS } = this.options;
    if (match !== undefined && !match.test('text' in event ? event.text : JSON.stringify(event))) return false;
    if (sample !== undefined && sample < 1) {
      this.#sampled += sample;
      if (this.#sampled < 1) return false;
      this.#sampled -= 1;
    }
    if (ratePerS !== undefined) {
      const now = this.clock();
      this.#tokens = Math.min(ratePerS, this.#tokens + ((now - this.#refilledAt) / 1000) * ratePerS);
      this.#refilledAt = now;
      if (this.#tokens < 1) {
        this.dropped.rate += 1;
        return false;
      }
      this.#tokens -= 1;
    }
    if (clientFull) {
      this.dropped.slow_client += 1;
      return false;
    }
    return true;
  }
}

/** The query of `/api/tap`, checked. */
export interface TapQuery {
  /** `node` or `node.port`, one or more. */
  readonly targets: readonly { readonly node: string; readonly port: string }[];
  readonly feed: TapFeedOptions;
}

/** Parses `/api/tap`'s query; a message for the client when it is wrong. */
export function parseTapQuery(
  query: Record<string, unknown>,
  hasNode: (id: string) => boolean,
): { ok: true; value: TapQuery } | { ok: false; message: string } {
  const raw = query.node;
  const list = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => (typeof v === 'string' ? v.split(',') : []));
  const names = list.map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) return { ok: false, message: '`node` names the node to tap: node or node.port, comma-separated.' };
  const targets = names.map((name) => {
    // A node id may itself contain dots: the longest known prefix is the node.
    if (hasNode(name)) return { node: name, port: '' };
    const dot = name.lastIndexOf('.');
    return dot > 0 ? { node: name.slice(0, dot), port: name.slice(dot + 1) } : { node: name, port: '' };
  });
  let match: RegExp | undefined;
  if (typeof query.match === 'string' && query.match !== '') {
    try {
      match = new RegExp(query.match, 'u');
    } catch (err) {
      return { ok: false, message: `\`match\` is not a regular expression: ${(err as Error).message}.` };
    }
  }
  let ratePerS: number | undefined;
  if (typeof query.rate === 'string' && query.rate !== '') {
    const m = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(query.rate);
    ratePerS = m ? Number(m[1]) : Number.NaN;
    if (!(ratePerS > 0)) return { ok: false, message: '`rate` is events per second, such as 50/s.' };
  }
  let sample: number | undefined;
  if (typeof query.sample === 'string' && query.sample !== '') {
    sample = Number(query.sample);
    if (!(sample > 0 && sample <= 1)) return { ok: false, message: '`sample` is a fraction above 0 and at most 1, such as 0.1.' };
  }
  return {
    ok: true,
    value: {
      targets,
      feed: { ...(match ? { match } : {}), ...(ratePerS ? { ratePerS } : {}), ...(sample ? { sample } : {}) },
    },
  };
}
