/**
 * The Device Authorization Grant (RFC 8628), as Google (for "TV and limited input" clients) and
 * Twitch run it: ask for a code, show it, poll at the server's interval until the user approves,
 * declines, or the code runs out. Works headless: the user opens the URL on any device.
 */
import type { TokenGrant } from './http.js';

/** What every device endpoint answers about the code: how long it lives and how often to poll. */
export interface DeviceCodeTiming {
  readonly deviceCode: string;
  /** Seconds the code is valid. */
  readonly expiresIn: number;
  /** Seconds between polls. */
  readonly interval: number;
}

/** What Google's device endpoint answers: what to show the user, and how to poll. */
export interface DeviceCodeStart extends DeviceCodeTiming {
  readonly userCode: string;
  readonly verificationUrl: string;
}

/** One poll of a device code. */
export type DevicePoll<G = TokenGrant> =
  | { readonly kind: 'token'; readonly grant: G }
  | { readonly kind: 'pending' }
  | { readonly kind: 'slow_down' }
  | { readonly kind: 'denied' }
  | { readonly kind: 'expired' };

export interface DeviceCodeClient<G = TokenGrant, S extends DeviceCodeTiming = DeviceCodeStart> {
  startDevice(scopes: readonly string[]): Promise<S>;
  pollDevice(deviceCode: string): Promise<DevicePoll<G>>;
}

export type DeviceFlowResult<G = TokenGrant> =
  | { readonly ok: true; readonly grant: G }
  /**
   * `expired`: the code ran out before the user approved; `denied`: the platform refused the
   * code before then (the user declined, or it was used); `aborted`: the caller stopped.
   */
  | { readonly ok: false; readonly reason: 'expired' | 'denied' | 'aborted' };

export interface DeviceFlowOptions<G = TokenGrant, S extends DeviceCodeTiming = DeviceCodeStart> {
  readonly client: DeviceCodeClient<G, S>;
  readonly scopes: readonly string[];
  /** Called once the code exists, with what to show the user. */
  readonly onCode: (start: S) => void;
  /** Called before each wait, with its length (for tests and a progress line). */
  readonly onWait?: (ms: number) => void;
  /** Waits `ms`; resolves early when `signal` aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Monotonic ms, for the code's deadline. Default: performance.now. */
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/** RFC 8628 §3.5: `slow_down` adds 5 s to the interval, for the rest of the flow. */
const SLOW_DOWN_MS = 5000;
const DEFAULT_INTERVAL_S = 5;

export async function deviceFlow<G, S extends DeviceCodeTiming>(options: DeviceFlowOptions<G, S>): Promise<DeviceFlowResult<G>> {
  const sleep = options.sleep ?? timerSleep;
  const now = options.now ?? (() => performance.now());
  const start = await options.client.startDevice(options.scopes);
  const deadline = now() + start.expiresIn * 1000;
  let intervalMs = (start.interval > 0 ? start.interval : DEFAULT_INTERVAL_S) * 1000;
  options.onCode(start);
  for (;;) {
    if (options.signal?.aborted) return { ok: false, reason: 'aborted' };
    if (now() + intervalMs > deadline) return { ok: false, reason: 'expired' };
    options.onWait?.(intervalMs);
    await sleep(intervalMs, options.signal);
    if (options.signal?.aborted) return { ok: false, reason: 'aborted' };
    const poll = await options.client.pollDevice(start.deviceCode);
    switch (poll.kind) {
      case 'token':
        return { ok: true, grant: poll.grant };
      case 'pending':
        break;
      case 'slow_down':
        intervalMs += SLOW_DOWN_MS;
        break;
      case 'expired':
        return { ok: false, reason: 'expired' };
      case 'denied':
        // A refusal once the code's time is up is its expiry (Twitch says both the same way).
        return { ok: false, reason: now() >= deadline ? 'expired' : 'denied' };
    }
  }
}

export function timerSleep(ms: number, signal?: AbortSignal): Promise<void> {
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
