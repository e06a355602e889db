/**
 * twurple's EventSub WebSocket listener, with the notifications read raw: twurple keeps the
 * transport (welcome, keepalive timeout, `session_reconnect` handover, resubscribing after a
 * drop, revocations), and chatflow reads each notification's `event` payload and message id
 * itself, so it can normalize from the documented payload and dedupe by message id across
 * restarts of the node (twurple's own dedupe lives and dies with one listener).
 */
import { createRequire } from 'node:module';
import type { EventSubWsConfig, EventSubWsListener } from '@twurple/eventsub-ws';
import type { EventSubSubscription } from './subscriptions.js';

/** Receives each notification: the subscription it is for, its `event`, its message id. */
export type NotificationHandler = (subscription: EventSubSubscription, event: Record<string, unknown>, messageId: string) => void;

export type RawEventSubListener = EventSubWsListener;

// twurple is loaded when a `twitch_events` node first connects, not when chatflow starts:
// about 40 MiB of a show's memory that a pipeline without Twitch never needs (docs/architecture.md,
// "Memory"). Loaded with `require` (twurple ships CommonJS too), the same copy the sign-in
// service loads, so twurple's own `instanceof` checks between its packages hold.
const load = createRequire(import.meta.url);

/** A twurple EventSub listener whose notifications go to `onNotification` raw. */
export function createRawEventSubListener(config: EventSubWsConfig, onNotification: NotificationHandler): RawEventSubListener {
  const { EventSubWsListener: Listener } = load('@twurple/eventsub-ws') as typeof import('@twurple/eventsub-ws');
  class Raw extends Listener {
    /** Called by twurple's socket for each notification (instead of its dedupe and typed handlers). */
    override _handleSingleEventPayload(subscription: EventSubSubscription, payload: Record<string, unknown>, messageId: string): void {
      onNotification(subscription, payload, messageId);
    }
  }
  return new Raw(config);
}
