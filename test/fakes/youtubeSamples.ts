/**
 * The YouTube samples: the captures of test/fixtures/youtube-samples.json (a copy of
 * /work/shared/reference/youtube-samples.json) and the hand-written, documented-shape items of
 * test/fixtures/youtube-documented-items.json, as Data API items a fake can serve.
 */
import { readFileSync } from 'node:fs';
import type { ApiChatItem } from '../../src/sources/youtube/normalize.js';

export interface YoutubeSample {
  readonly id: string;
  readonly kind: string;
  readonly api?: string;
  readonly body: unknown;
}

const read = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));

/** Every sample of youtube-samples.json, in file order. */
export function loadYoutubeSamples(): YoutubeSample[] {
  return (read('youtube-samples.json') as { samples: YoutubeSample[] }).samples;
}

/** The hand-written items (types the captures lack) and the chat-ended item. */
export function loadDocumentedItems(): { items: ApiChatItem[]; chatEnded: ApiChatItem } {
  return read('youtube-documented-items.json') as { items: ApiChatItem[]; chatEnded: ApiChatItem };
}

/** The id given to the captured Super Chat item, whose capture did not keep its id. */
export const SUPER_CHAT_SAMPLE_ID = 'LCC.sample-superChatEvent-no-id-in-capture';

/**
 * The captured Data API items (3 text messages, 1 Super Chat) then the documented ones, as one
 * chat would deliver them. The Super Chat gets {@link SUPER_CHAT_SAMPLE_ID} (the capture kept
 * none); the fake rewrites `liveChatId` to the chat it serves them in.
 */
export function apiChatItems(): ApiChatItem[] {
  const samples = loadYoutubeSamples();
  const list = samples.find((s) => s.id === 'liveChatMessages-list-items')?.body as { items: ApiChatItem[] };
  const superChat = samples.find((s) => s.id === 'superChatEvent-item')?.body as ApiChatItem;
  return [...list.items, { ...superChat, id: SUPER_CHAT_SAMPLE_ID }, ...loadDocumentedItems().items];
}
