/**
 * The Device Code Grant (reference/twitch-eventsub.md §5): ask for a code, show it, poll at the
 * server's interval until the user approves, declines, or the code runs out. Works headless:
 * the user opens the URL on any device.
 */
import type { DeviceCodeStart, TokenGrant, TwitchOAuth } from './oauth.js';

/** How a sign-in ended. */
export type DeviceFlowResult =
  | { readonly ok: true; readonly grant: TokenGrant }
  /**
   * `expired`: the code ran out before the user approved; `denied`: Twitch refused the code
   * before then (the user declined, or it was used); `aborted`: the caller stopped.
   */
  | { readonly ok: false; readonly reason: 'expired' | 'denied' | 'aborted' };

export interface DeviceFlowOptions {
  readonly oauth: TwitchOAuth;
  readonly scopes: readonly string[];
  /** Called once the code exists, with what to show the user. */
  readonly onCode: (start: DeviceCodeStart) => void;
  /** Called before each wait, with its length (for tests and a progress line). */
  readonly onWait?: (ms: number) => void;
  /** Waits `ms`; resolves early when `signal` aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Monotonic ms, for the code's deadline. Default: performance.now. */
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/** RFC 8628: `slow_down` adds 5 s to the interval, for the rest of the flow. */
const SLOW_DOWN_MS = 5000;
/** When the device answer carries no usable interval (Twitch sends 5). */
const DEFAULT_INTERVAL_S = 5;

export async function deviceCodeSignIn(options: DeviceFlowOptions): Promise<DeviceFlowResult> {
  const sleep = options.sleep ?? timerSleep;
  const now = options.now ?? (() => performance.now());
  const start = await options.oauth.startDevice(options.scopes);
  const deadline = now() + start.expiresIn * 1000;
  let intervalMs = (start.interval > 0 ? start.interval : DEFAULT_INTERVAL_S) * 1000;
  options.onCode(start);
  for (;;) {
    if (options.signal?.aborted) return { ok: false, reason: 'aborted' };
    if (now() + intervalMs > deadline) {
      // No poll can happen before the code dies; wait it out only to say so at the right time.
      return { ok: false, reason: 'expired' };
    }
    options.onWait?.(intervalMs);
    await sleep(intervalMs, options.signal);
    if (options.signal?.aborted) return { ok: false, reason: 'aborted' };
    const poll = await options.oauth.pollDevice(start.deviceCode, options.scopes);
    switch (poll.kind) {
      case 'token':
        return { ok: true, grant: poll.grant };
      case 'pending':
        break;
      case 'slow_down':
        intervalMs += SLOW_DOWN_MS;
        break;
      case 'invalid':
        return { ok: false, reason: now() >= deadline ? 'expired' : 'denied' };
    }
  }
}

function timerSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
