/**
 * YouTube innertube `get_live_chat` actions → chatflow events (platform-protocols.md §3.3):
 * the same events the Data API gives (normalize.ts) as far as the renderers
 * carry the same facts. Pure: no I/O.
 */
import type { Author, EmoteRange } from '../../core/events.js';
import { type ItemOutcome, type YoutubeEmit, type YoutubeItemContext, youtubeAuthor, youtubeChatEvent, youtubeEvent, youtubeRoles } from './normalize.js';

type Data = Record<string, string | number | boolean | null>;
type Obj = Readonly<Record<string, unknown>>;

/** masterchat's map from a Super Chat's `headerBackgroundColor` (ARGB) to its tier (1 blue … 7 red). */
export const SUPER_CHAT_TIERS: Readonly<Record<string, number>> = {
  '4279592384': 1,
  '4278237396': 2,
  '4278239141': 3,
  '4294947584': 4,
  '4293284096': 5,
  '4290910299': 6,
  '4291821568': 7,
};

/** Currency symbols YouTube prints in `purchaseAmountText`, longest first, → ISO 4217. */
const CURRENCY_SYMBOLS: readonly (readonly [string, string])[] = [
  ['CA$', 'CAD'],
  ['A$', 'AUD'],
  ['NZ$', 'NZD'],
  ['HK$', 'HKD'],
  ['NT$', 'TWD'],
  ['MX$', 'MXN'],
  ['R$', 'BRL'],
  ['US$', 'USD'],
  ['$', 'USD'],
  ['€', 'EUR'],
  ['£', 'GBP'],
  ['￥', 'JPY'],
  ['¥', 'JPY'],
  ['₩', 'KRW'],
  ['₹', 'INR'],
  ['₱', 'PHP'],
  ['₫', 'VND'],
  ['₪', 'ILS'],
  ['₺', 'TRY'],
  ['₽', 'RUB'],
  ['zł', 'PLN'],
];

/**
 * `"￥1,000"`, `"€2.00"`, `"CA$5.00"`, `"SGD 10.00"`, `"1.000,50 €"` → amount and ISO currency.
 * innertube only gives this display text; the Data API gives micros and the code.
 */
export function parseAmountText(text: string): { amount: number; currency: string } | undefined {
  const trimmed = text.trim();
  const match = /^([^\d]*?)\s*([\d][\d.,\s\u00a0]*)\s*([^\d]*)$/u.exec(trimmed);
  if (match === null) return undefined;
  const symbol = ((match[1] ?? '') || (match[3] ?? '')).trim();
  let digits = (match[2] ?? '').replace(/[\s\u00a0]/g, '');
  const lastDot = digits.lastIndexOf('.');
  const lastComma = digits.lastIndexOf(',');
  if (lastDot !== -1 && lastComma !== -1) {
    const decimal = lastDot > lastComma ? '.' : ',';
    const grouping = decimal === '.' ? ',' : '.';
    digits = digits.split(grouping).join('').replace(decimal, '.');
  } else if (lastComma !== -1) {
    // `1,000` groups thousands; `2,50` is a decimal comma.
    digits = /^\d{1,3}(,\d{3})+$/.test(digits) ? digits.replace(/,/g, '') : digits.replace(',', '.');
  } else if (/^\d{1,3}(\.\d{3}){2,}$/.test(digits)) {
    digits = digits.replace(/\./g, '');
  }
  const amount = Number(digits);
  if (!Number.isFinite(amount)) return undefined;
  let currency = /^[A-Z]{3}$/.test(symbol) ? symbol : '';
  if (currency === '') {
    for (const [sign, code] of CURRENCY_SYMBOLS) {
      if (symbol === sign) {
        currency = code;
        break;
      }
    }
  }
  return { amount, currency };
}

function obj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null ? (value as Obj) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `{simpleText}` or `{runs:[{text}]}` → plain text. */
export function textOf(value: unknown): string {
  const o = obj(value);
  if (o === undefined) return '';
  const simple = str(o.simpleText);
  if (simple !== undefined) return simple;
  const runs = o.runs;
  if (!Array.isArray(runs)) return '';
  return runs.map((run) => str(obj(run)?.text) ?? '').join('');
}

/**
 * `message.runs` → text and emote ranges. A standard emoji run becomes the emoji itself
 * (its `emojiId`); a custom emoji becomes its first shortcut (`:name:`, as the Data API writes
 * it) with a code-point range.
 */
export function runsToText(message: unknown): { text: string; emotes: EmoteRange[] } {
  const runs = obj(message)?.runs;
  if (!Array.isArray(runs)) return { text: textOf(message), emotes: [] };
  let text = '';
  let length = 0;
  const emotes: EmoteRange[] = [];
  for (const run of runs) {
    const r = obj(run);
    if (r === undefined) continue;
    const plain = str(r.text);
    if (plain !== undefined) {
      text += plain;
      length += [...plain].length;
      continue;
    }
    const emoji = obj(r.emoji);
    if (emoji === undefined) continue;
    const id = str(emoji.emojiId) ?? '';
    const shortcuts = Array.isArray(emoji.shortcuts) ? emoji.shortcuts : [];
    const custom = emoji.isCustomEmoji === true;
    const written = custom ? (str(shortcuts[0]) ?? id) : id || (str(shortcuts[0]) ?? '');
    if (written === '') continue;
    const points = [...written].length;
    if (custom) emotes.push({ id, name: written, start: length, end: length + points - 1 });
    text += written;
    length += points;
  }
  return { text, emotes };
}

/** `timestampUsec` (a string of µs) → epoch ms. */
export function usecToMs(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : str(value);
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(BigInt(text) / 1000n);
}

/** The author of a renderer: roles from `authorBadges` (OWNER, MODERATOR, VERIFIED icons; a custom thumbnail is a member badge). */
export function rendererAuthor(renderer: Obj): Author | undefined {
  const id = str(renderer.authorExternalChannelId);
  if (!id) return undefined;
  let owner = false;
  let moderator = false;
  let member = false;
  let verified = false;
  const badges = Array.isArray(renderer.authorBadges) ? renderer.authorBadges : [];
  for (const badge of badges) {
    const b = obj(obj(badge)?.liveChatAuthorBadgeRenderer);
    if (b === undefined) continue;
    const icon = str(obj(b.icon)?.iconType);
    if (icon === 'OWNER') owner = true;
    else if (icon === 'MODERATOR') moderator = true;
    else if (icon === 'VERIFIED') verified = true;
    else if (b.customThumbnail !== undefined) member = true;
  }
  return youtubeAuthor(id, textOf(renderer.authorName), youtubeRoles(owner, moderator, member, verified));
}



/** Renderers that show something in the chat but carry no event (engagement notices, placeholders). */
const SILENT_RENDERERS = new Set(['liveChatViewerEngagementMessageRenderer', 'liveChatPlaceholderItemRenderer']);

/**
 * Turns one action of `liveChatContinuation.actions` into zero or more events.
 *
 * - `addChatItemAction` with `liveChatTextMessageRenderer` → `chat`;
 *   `liveChatPaidMessageRenderer` → `chat` with `bits` (when there is a message) and
 *   `super_chat`; `liveChatPaidStickerRenderer` → `super_chat` with `sticker: true`;
 *   `liveChatMembershipItemRenderer` → `membership` (a milestone when it has a
 *   `headerPrimaryText`); `liveChatSponsorshipsGiftPurchaseAnnouncementRenderer` → `gift`;
 *   `liveChatSponsorshipsGiftRedemptionAnnouncementRenderer` → `membership` with `gifted`.
 * - `markChatItemAsDeletedAction` → `message_deleted`; `markChatItemsByAuthorAsDeletedAction`
 *   → `user_banned` (innertube does not say whether it was a timeout).
 * - Anything else → `unsupported`.
 */
export function normalizeInnertubeAction(action: unknown, ctx: YoutubeItemContext, emit: YoutubeEmit): ItemOutcome {
  const a = obj(action);
  if (a === undefined) return 'malformed';
  const add = obj(a.addChatItemAction);
  if (add !== undefined) return addChatItem(obj(add.item), ctx, emit);
  const deleted = obj(a.markChatItemAsDeletedAction);
  if (deleted !== undefined) {
    const target = str(deleted.targetItemId);
    if (!target) return 'malformed';
    const note = textOf(deleted.deletedStateMessage);
    const data: Data = { messageId: target };
    if (note.includes('retracted')) data.retracted = true;
    emit(youtubeEvent('message_deleted', `deleted:${target}`, ctx.channel, undefined, ctx.now(), data, ctx));
    return 'events';
  }
  const byAuthor = obj(a.markChatItemsByAuthorAsDeletedAction);
  if (byAuthor !== undefined) {
    const userId = str(byAuthor.externalChannelId);
    if (!userId) return 'malformed';
    const ts = ctx.now();
    const author = youtubeAuthor(userId, undefined, youtubeRoles(false, false, false, false));
    emit(youtubeEvent('user_banned', `banned:${userId}:${ts}`, ctx.channel, author, ts, { userId, login: userId }, ctx));
    return 'events';
  }
  return 'unsupported';
}

function addChatItem(item: Obj | undefined, ctx: YoutubeItemContext, emit: YoutubeEmit): ItemOutcome {
  if (item === undefined) return 'malformed';
  const [name] = Object.keys(item);
  const renderer = name === undefined ? undefined : obj(item[name]);
  if (name === undefined || renderer === undefined) return 'malformed';
  if (SILENT_RENDERERS.has(name)) return 'silent';
  const id = str(renderer.id);
  if (!id) return 'malformed';
  const ts = usecToMs(renderer.timestampUsec) ?? ctx.now();
  const author = rendererAuthor(renderer);
  switch (name) {
    case 'liveChatTextMessageRenderer': {
      if (author === undefined) return 'malformed';
      const { text, emotes } = runsToText(renderer.message);
      emit(youtubeChatEvent(id, ctx.channel, author, text, emotes, ts, ctx));
      return 'events';
    }
    case 'liveChatPaidMessageRenderer':
    case 'liveChatPaidStickerRenderer': {
      const sticker = name === 'liveChatPaidStickerRenderer';
      const display = textOf(renderer.purchaseAmountText);
      const parsed = parseAmountText(display);
      if (parsed === undefined) return 'malformed';
      const data: Data = { amount: parsed.amount, currency: parsed.currency, amountDisplay: display };
      const color = renderer[sticker ? 'backgroundColor' : 'headerBackgroundColor'];
      const tier = SUPER_CHAT_TIERS[String(color)];
      if (tier !== undefined) data.tier = tier;
      const { text, emotes } = runsToText(renderer.message);
      if (text) data.message = text;
      if (sticker) {
        data.sticker = true;
        const alt = str(obj(obj(obj(renderer.sticker)?.accessibility)?.accessibilityData)?.label);
        if (alt) data.stickerAltText = alt;
      }
      if (text && author !== undefined) emit(youtubeChatEvent(id, ctx.channel, author, text, emotes, ts, ctx, parsed.amount));
      emit(youtubeEvent('super_chat', id, ctx.channel, author, ts, data, ctx));
      return 'events';
    }
    case 'liveChatMembershipItemRenderer': {
      const primary = textOf(renderer.headerPrimaryText);
      const data: Data = {};
      if (primary) {
        data.milestone = true;
        const months = /(\d+)/.exec(primary)?.[1];
        if (months !== undefined) data.months = Number(months);
        const level = textOf(renderer.headerSubtext);
        if (level) data.level = level;
        const { text } = runsToText(renderer.message);
        if (text) data.message = text;
      } else {
        data.upgrade = false;
        const level = /^Welcome to (.+?)!?$/.exec(textOf(renderer.headerSubtext))?.[1];
        if (level) data.level = level;
      }
      emit(youtubeEvent('membership', id, ctx.channel, author, ts, data, ctx));
      return 'events';
    }
    case 'liveChatSponsorshipsGiftPurchaseAnnouncementRenderer': {
      const header = obj(obj(renderer.header)?.liveChatSponsorshipsHeaderRenderer) ?? {};
      const primary = /(\d+)\s*(.*?)\s*memberships?\b/i.exec(textOf(header.primaryText).replace(/^Gifted\s+/i, ''));
      const data: Data = { count: primary?.[1] === undefined ? 1 : Number(primary[1]), anonymous: false };
      if (primary?.[2]) data.level = primary[2];
      const giver = rendererAuthor({ ...header, authorExternalChannelId: renderer.authorExternalChannelId });
      emit(youtubeEvent('gift', id, ctx.channel, giver, ts, data, ctx));
      return 'events';
    }
    case 'liveChatSponsorshipsGiftRedemptionAnnouncementRenderer':
      emit(youtubeEvent('membership', id, ctx.channel, author, ts, { gifted: true }, ctx));
      return 'events';
    default:
      return 'unsupported';
  }
}
