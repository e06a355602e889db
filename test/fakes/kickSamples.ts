/**
 * The captured Kick traffic of test/fixtures/kick-samples.json (a copy of
 * reference/kick-samples.json), as server frames. A sample captured as a whole wire frame is
 * replayed byte for byte; one captured only as its decoded `data` is put back into a frame
 * the way Pusher sends it (the event name its note gives, `data` JSON-encoded as a string).
 */
import { readFileSync } from 'node:fs';
import type { ChatEvent, PlatformEvent } from '../../src/core/events.js';
import { decodePusherFrame } from '../../src/sources/kick/pusher.js';
import { normalizeKickEvent } from '../../src/sources/kick/normalize.js';

export const KICK_SAMPLES_FILE = new URL('../fixtures/kick-samples.json', import.meta.url);

interface RawSample {
  readonly id: string;
  readonly direction: string;
  readonly wire?: string;
  readonly frames?: readonly string[];
  readonly data?: unknown;
  readonly data_list?: readonly unknown[];
  readonly body?: unknown;
}

/** One frame of a sample. */
export interface KickSampleFrame {
  /** The sample's id, and `#n` for the n-th frame of a sample holding several. */
  readonly sample: string;
  readonly direction: string;
  /** The text frame as sent on the wire (Pusher protocol 7). */
  readonly frame: string;
  /** True when the frame is the captured wire text, false when rebuilt from decoded `data`. */
  readonly captured: boolean;
}

/** Samples captured as decoded `data` only: the event each one is (notes in the samples file). */
const EVENT_OF: Readonly<Record<string, string>> = {
  'chat-message-reply-2025': 'App\\Events\\ChatMessageEvent',
  'chat-message-emote-only-empty-name': 'App\\Events\\ChatMessageEvent',
  'chat-message-celebration': 'App\\Events\\ChatMessageEvent',
  'user-banned-timeout': 'App\\Events\\UserBannedEvent',
  'user-banned-permanent': 'App\\Events\\UserBannedEvent',
  'user-unbanned': 'App\\Events\\UserUnbannedEvent',
  'pinned-message-created': 'App\\Events\\PinnedMessageCreatedEvent',
  'subscription': 'App\\Events\\SubscriptionEvent',
  // Catalogued without the namespace in 2025.
  'gifted-subscriptions': 'GiftedSubscriptionsEvent',
  'stream-host': 'App\\Events\\StreamHostEvent',
};

/** The chatroom a data-only sample without a `chatroom_id` of its own was captured in. */
const CHATROOM_OF: Readonly<Record<string, number>> = {
  'user-banned-timeout': 2346570,
  'user-banned-permanent': 27670567,
  'user-unbanned': 27670567,
  'pinned-message-created': 2579856,
};

/** The parsed samples file. */
export function loadKickSamplesFile(): {
  connect_url: string;
  older_app_key_seen_2023_2024: string;
  samples: RawSample[];
} {
  return JSON.parse(readFileSync(KICK_SAMPLES_FILE, 'utf8'));
}

/** A server frame carrying `data` (JSON-encoded as a string, as Pusher does) on `channel`. */
export function kickFrame(event: string, data: unknown, channel: string): string {
  return JSON.stringify({ event, data: JSON.stringify(data), channel });
}

/**
 * Every frame of every Pusher sample, in file order: server→client frames (captured or rebuilt),
 * and the client→server ones. The channel-lookup answer and the official webhook body are not
 * Pusher frames and are left out (see {@link kickLookupSample}).
 */
export function loadKickSamples(): KickSampleFrame[] {
  const frames: KickSampleFrame[] = [];
  for (const s of loadKickSamplesFile().samples) {
    if (s.wire !== undefined) {
      frames.push({ sample: s.id, direction: s.direction, frame: s.wire, captured: true });
    } else if (s.frames !== undefined) {
      s.frames.forEach((frame, n) => {
        frames.push({ sample: `${s.id}#${n}`, direction: s.direction, frame, captured: true });
      });
    } else {
      const event = EVENT_OF[s.id];
      if (event === undefined) continue;
      const list = s.data_list ?? [s.data];
      list.forEach((data, n) => {
        const room = (data as { chatroom_id?: number }).chatroom_id ?? CHATROOM_OF[s.id] ?? 0;
        frames.push({
          sample: list.length > 1 ? `${s.id}#${n}` : s.id,
          direction: s.direction,
          frame: kickFrame(event, data, `chatrooms.${room}.v2`),
          captured: false,
        });
      });
    }
  }
  return frames;
}

/** The captured channel-lookup answer (`GET /api/v2/channels/averagedad`). */
export function kickLookupSample(): { slug: string; body: Record<string, unknown> } {
  const sample = loadKickSamplesFile().samples.find((s) => s.id === 'channel-lookup-excerpt');
  const body = sample?.data as Record<string, unknown>;
  return { slug: body.slug as string, body };
}

/** The samples the loader turns into no frame, with why: every sample is accounted for. */
export const KICK_SAMPLES_NOT_FRAMES: Readonly<Record<string, string>> = {
  'channel-lookup-excerpt': 'an HTTP answer of the channel API (served by the fake, read by parseChannelLookup)',
  'official-webhook-chat-message-sent': "a webhook POST of Kick's official API, which the source does not use",
};

/** The wall clock the golden file is made with: five minutes before the timeout sample expires. */
export const KICK_GOLDEN_NOW = Date.parse('2025-09-01T18:11:58Z');
/** The `channel` golden events carry (the slug the fake's lookup maps to the samples' chatroom). */
export const KICK_GOLDEN_CHANNEL = 'samplechannel';

/** What the source makes of one sample frame, as the golden file records it. */
export interface KickGoldenEntry {
  readonly sample: string;
  readonly direction: string;
  /** The frame's `event`, or null when it does not decode. */
  readonly event: string | null;
  /** `protocol` (Pusher's own frames), `client` (client→server), or the normalizer's outcome. */
  readonly outcome: string;
  readonly events: readonly (ChatEvent | PlatformEvent)[];
}

/** Normalizes one sample frame; `receivedAt` is the frame's 1-based position. */
export function goldenOf(frame: KickSampleFrame, receivedAt: number): KickGoldenEntry {
  const decoded = decodePusherFrame(frame.frame);
  const base = { sample: frame.sample, direction: frame.direction, event: decoded?.event ?? null };
  if (decoded === undefined) return { ...base, outcome: 'malformed', events: [] };
  if (frame.direction === 'client->server') return { ...base, outcome: 'client', events: [] };
  if (decoded.event.startsWith('pusher:') || decoded.event.startsWith('pusher_internal:')) {
    return { ...base, outcome: 'protocol', events: [] };
  }
  const events: (ChatEvent | PlatformEvent)[] = [];
  const outcome = normalizeKickEvent(decoded.event, decoded.data, KICK_GOLDEN_CHANNEL, receivedAt, () => KICK_GOLDEN_NOW, (e) =>
    events.push(e),
  );
  return { ...base, outcome, events };
}
