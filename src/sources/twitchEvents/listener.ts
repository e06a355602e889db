/**
 * twurple's EventSub WebSocket listener, with the notifications read raw: twurple keeps the
 * transport (welcome, keepalive timeout, `session_reconnect` handover, resubscribing after a
 * drop, revocations), and chatflow reads each notification's `event` payload and message id
 * itself, so it can normalize from the documented payload and dedupe by message id across
 * restarts of the node (twurple's own dedupe lives and dies with one listener).
 */
import { EventSubWsListener, type EventSubWsConfig } from '@twurple/eventsub-ws';
import type { EventSubSubscription } from './subscriptions.js';

/** Receives each notification: the subscription it is for, its `event`, its message id. */
export type NotificationHandler = (subscription: EventSubSubscription, event: Record<string, unknown>, messageId: string) => void;

export class RawEventSubListener extends EventSubWsListener {
  readonly #onNotification: NotificationHandler;

  constructor(config: EventSubWsConfig, onNotification: NotificationHandler) {
    super(config);
    this.#onNotification = onNotification;
  }

  /** Called by twurple's socket for each notification (instead of its dedupe and typed handlers). */
  override _handleSingleEventPayload(subscription: EventSubSubscription, payload: Record<string, unknown>, messageId: string): void {
    this.#onNotification(subscription, payload, messageId);
  }
}
