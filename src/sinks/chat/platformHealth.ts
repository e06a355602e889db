/**
 * Where each platform of a `chat` node stands, for `/health` and the dashboard (core/metrics.ts
 * `PartHealth`): signed out, refused (and why), backing off (until when), the bot's standing,
 * and what was sent and dropped. Fed by the sink's deliveries; read only when a snapshot is taken.
 */
import type { Platform } from '../../core/events.js';
import type { PartHealth, PartState } from '../../core/metrics.js';

/** Refusals that mean the sign-in is missing or no longer works. */
const SIGN_IN_REASONS: ReadonlySet<string> = new Set(['not_signed_in', 'auth_failed', 'authError', 'unauthorized']);

interface Entry {
  state: PartState;
  detail: string | undefined;
  until: number;
  standing: string | undefined;
  sent: number;
  dropped: number;
}

export class PlatformHealth {
  readonly #entries = new Map<Platform, Entry>();

  #entry(platform: Platform): Entry {
    let entry = this.#entries.get(platform);
    if (entry === undefined) {
      entry = { state: 'idle', detail: undefined, until: 0, standing: undefined, sent: 0, dropped: 0 };
      this.#entries.set(platform, entry);
    }
    return entry;
  }

  /** The platform is sent to (its sender exists); `signedOut` says why nothing can be. */
  opened(platform: Platform, signedOut: string | undefined): void {
    const entry = this.#entry(platform);
    if (signedOut !== undefined) {
      entry.state = 'signed_out';
      entry.detail = signedOut;
    }
  }

  sent(platform: Platform): void {
    const entry = this.#entry(platform);
    entry.sent += 1;
    entry.state = 'ok';
    entry.detail = undefined;
    entry.until = 0;
  }

  /** A refusal, at wall time `now`; with `retryAfterMs` the channel waits that long. */
  refused(platform: Platform, reason: string, detail: string | undefined, retryAfterMs: number | undefined, now: number): void {
    const entry = this.#entry(platform);
    const said = detail === undefined || detail === '' ? reason : `${reason}: ${detail}`;
    if (SIGN_IN_REASONS.has(reason)) {
      // The message says what to run; the code adds nothing a streamer needs.
      entry.state = 'signed_out';
      entry.detail = detail === undefined || detail === '' ? reason : detail;
    } else if (retryAfterMs !== undefined) {
      entry.state = 'backing_off';
      entry.detail = said;
      entry.until = Math.max(entry.until, now + retryAfterMs);
    } else {
      entry.state = 'refused';
      entry.detail = said;
    }
  }

  /** A reply dropped; a platform the node does not send to (`no_sender`) is not shown. */
  dropped(platform: Platform, count = 1): void {
    const entry = this.#entries.get(platform);
    if (entry !== undefined) entry.dropped += count;
  }

  /** The bot's standing read from the platform (Twitch: moderator or not). */
  standing(platform: Platform, role: string, perWindow: number): void {
    this.#entry(platform).standing = `${role}, ${perWindow} per 30 s`;
  }

  /**
   * Every platform's view at wall time `now`; a back-off whose time has passed shows as `ok`
   * again (sending resumed). `queued` and `gauges` come from the sink and the senders.
   */
  view(
    now: number,
    queued: (platform: Platform) => number,
    gauges: (platform: Platform) => Readonly<Record<string, number>> | undefined,
  ): PartHealth[] {
    const out: PartHealth[] = [];
    for (const [platform, e] of this.#entries) {
      const waiting = e.state === 'backing_off' && e.until > now;
      const state: PartState = e.state === 'backing_off' && !waiting ? 'ok' : e.state;
      const detail = state === 'ok' || state === 'idle' ? e.standing : e.detail;
      const g = gauges(platform);
      out.push({
        name: platform,
        state,
        ...(detail === undefined ? {} : { detail }),
        ...(waiting ? { until: e.until } : {}),
        queued: queued(platform),
        sent: e.sent,
        dropped: e.dropped,
        ...(g === undefined ? {} : { gauges: g }),
      });
    }
    return out;
  }
}
