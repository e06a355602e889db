/**
 * The Device Authorization Grant (RFC 8628) as Google runs it for "TV and limited input"
 * clients: ask for a code, show it, poll at the server's interval until the user approves,
 * declines, or the code runs out. Works headless: the user opens the URL on any device.
 */
import type { TokenGrant } from './http.js';

/** What the device endpoint answers: what to show the user, and how to poll. */
export interface DeviceCodeStart {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUrl: string;
  /** Seconds the code is valid. */
  readonly expiresIn: number;
  /** Seconds between polls. */
  readonly interval: number;
}

/** One poll of a device code. */
export type DevicePoll =
  | { readonly kind: 'token'; readonly grant: TokenGrant }
  | { readonly kind: 'pending' }
  | { readonly kind: 'slow_down' }
  | { readonly kind: 'denied' }
  | { readonly kind: 'expired' };

export interface DeviceCodeClient {
  startDevice(scopes: readonly string[]): Promise<DeviceCodeStart>;
  pollDevice(deviceCode: string): Promise<DevicePoll>;
}

export type DeviceFlowResult =
  | { readonly ok: true; readonly grant: TokenGrant }
  | { readonly ok: false; readonly reason: 'expired' | 'denied' | 'aborted' };

export interface DeviceFlowOptions {
  readonly client: DeviceCodeClient;
  readonly scopes: readonly string[];
  readonly onCode: (start: DeviceCodeStart) => void;
  /** Waits `ms`; resolves early when `signal` aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Monotonic ms, for the code's deadline. Default: performance.now. */
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/** RFC 8628 §3.5: `slow_down` adds 5 s to the interval, for the rest of the flow. */
const SLOW_DOWN_MS = 5000;
const DEFAULT_INTERVAL_S = 5;

export async function deviceFlow(options: DeviceFlowOptions): Promise<DeviceFlowResult> {
  const sleep = options.sleep ?? timerSleep;
  const now = options.now ?? (() => performance.now());
  const start = await options.client.startDevice(options.scopes);
  const deadline = now() + start.expiresIn * 1000;
  let intervalMs = (start.interval > 0 ? start.interval : DEFAULT_INTERVAL_S) * 1000;
  options.onCode(start);
  for (;;) {
    if (options.signal?.aborted) return { ok: false, reason: 'aborted' };
    if (now() + intervalMs > deadline) return { ok: false, reason: 'expired' };
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
      case 'denied':
      case 'expired':
        return { ok: false, reason: poll.kind };
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
