/**
 * The EventSub frames of twitch-eventsub-samples.json and twitch-eventsub-samples-more.json
 * (copied from the shared reference into test/fixtures/), for the fake server and golden tests.
 */
import { readFileSync } from 'node:fs';

export interface EventSubSample {
  readonly id: string;
  readonly kind: string;
  readonly note: string;
  readonly message: {
    readonly metadata: Readonly<Record<string, unknown>>;
    readonly payload: Readonly<Record<string, unknown>>;
  };
}

/** Every sample of both files, in file order. */
export function loadEventSubSamples(): readonly EventSubSample[] {
  return ['twitch-eventsub-samples.json', 'twitch-eventsub-samples-more.json'].flatMap((name) => {
    const file = JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as { samples: EventSubSample[] };
    return file.samples;
  });
}

/** The notification samples: subscription type and version, and the `event` payload. */
export function notificationSamples(): { id: string; type: string; version: string; event: Record<string, unknown> }[] {
  return loadEventSubSamples()
    .filter((s) => s.message.metadata.message_type === 'notification')
    .map((s) => ({
      id: s.id,
      type: String(s.message.metadata.subscription_type),
      version: String(s.message.metadata.subscription_version),
      event: s.message.payload.event as Record<string, unknown>,
    }));
}
