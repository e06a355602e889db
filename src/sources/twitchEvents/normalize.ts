/**
 * Twitch EventSub notifications → chatflow events (DESIGN.md §3), from the raw `event` payload
 * (twitch-eventsub.md §3). `channel.chat.message` becomes the same `chat` event the IRC source
 * (`twitch`) makes of the same message; the rest become `platform` events, reusing the IRC
 * source's types and data keys where the event is the same thing (`subscription`, `gift`,
 * `raid`, `cheer`, `message_deleted`, `chat_cleared`) and new types where it is not
 * (docs/twitch.md, "EventSub events").
 */
import type { Author, ChatEvent, EmoteRange, PlatformEvent, PlatformEventType, PlatformItem, Role } from '../../core/events.js';

type Writable<T> = { -readonly [K in keyof T]: T[K] };
type Data = Record<string, string | number | boolean | null>;
type Json = Record<string, unknown>;

/** Where a notification came from and when it arrived. */
export interface NotificationContext {
  /** `metadata.message_id`: the id of events that have none of their own. */
  readonly messageId: string;
  /** Monotonic time the frame arrived, copied to every event. */
  readonly receivedAt: number;
  /** Wall clock (epoch ms) for events without a timestamp of their own. */
  readonly now: () => number;
}

/**
 * What a notification became: events (with the Shared Chat source message id of a chat
 * message, so copies delivered to several channels can be told apart), a type chatflow does not
 * turn into events (`unsupported`, counted), or a payload missing what it needs (`malformed`).
 */
export type Normalized =
  | { readonly outcome: 'events'; readonly events: readonly (ChatEvent | PlatformEvent)[]; readonly sharedId?: string }
  | { readonly outcome: 'unsupported' | 'malformed' };

class Malformed extends Error {}

/**
 * Turns the `event` of one notification of subscription `type` into chatflow events.
 *
 * @param type `subscription_type`, e.g. `channel.follow`.
 * @param event The notification's `payload.event`.
 * @param ctx Message id, arrival time and wall clock.
 */
export function normalizeEventSub(type: string, event: Json, ctx: NotificationContext): Normalized {
  try {
    const made = build(type, event, ctx);
    if (made === undefined) return { outcome: 'unsupported' };
    if (Array.isArray(made)) return { outcome: 'events', events: made };
    const sharedId = made.kind === 'chat' ? optString(event, 'source_message_id') : undefined;
    return sharedId === undefined ? { outcome: 'events', events: [made] } : { outcome: 'events', events: [made], sharedId };
  } catch (err) {
    if (err instanceof Malformed || err instanceof TypeError) return { outcome: 'malformed' };
    throw err;
  }
}

/** The subscription types {@link normalizeEventSub} turns into events. */
export const NORMALIZED_TYPES: ReadonlySet<string> = new Set([
  'channel.chat.message',
  'channel.chat.notification',
  'channel.chat.message_delete',
  'channel.chat.clear',
  'channel.chat.clear_user_messages',
  'channel.channel_points_custom_reward_redemption.add',
  'channel.channel_points_custom_reward_redemption.update',
  'channel.follow',
  'channel.subscribe',
  'channel.subscription.message',
  'channel.subscription.gift',
  'channel.cheer',
  'channel.raid',
  'channel.poll.begin',
  'channel.poll.progress',
  'channel.poll.end',
  'channel.prediction.begin',
  'channel.prediction.progress',
  'channel.prediction.lock',
  'channel.prediction.end',
  'channel.hype_train.begin',
  'channel.hype_train.progress',
  'channel.hype_train.end',
  'channel.ad_break.begin',
  'channel.shared_chat.begin',
  'channel.shared_chat.update',
  'channel.shared_chat.end',
  'stream.online',
  'stream.offline',
]);

function build(type: string, e: Json, ctx: NotificationContext): ChatEvent | PlatformEvent | PlatformEvent[] | undefined {
  if (!NORMALIZED_TYPES.has(type)) return undefined;
  const channel = str(e, type === 'channel.raid' ? 'to_broadcaster_user_login' : 'broadcaster_user_login');
  const make = (kind: PlatformEventType, id: string, author: Author | undefined, ts: number, data: Data, items?: readonly PlatformItem[]) =>
    platform(kind, id, channel, author, ts, data, ctx.receivedAt, items);
  const now = ctx.now();
  const byMessage = `eventsub:${ctx.messageId}`;
  switch (type) {
    case 'channel.chat.message':
      return chatMessage(e, channel, now, ctx.receivedAt);
    case 'channel.chat.notification':
      return chatNotification(e, channel, now, ctx.receivedAt);
    case 'channel.chat.message_delete': {
      const messageId = str(e, 'message_id');
      return make('message_deleted', messageId, undefined, now, { messageId, login: str(e, 'target_user_login') });
    }
    case 'channel.chat.clear':
      return make('chat_cleared', byMessage, undefined, now, {});
    case 'channel.chat.clear_user_messages':
      return make('user_messages_cleared', byMessage, user(e, 'target_user'), now, {
        userId: str(e, 'target_user_id'),
        login: str(e, 'target_user_login'),
      });
    case 'channel.channel_points_custom_reward_redemption.add':
    case 'channel.channel_points_custom_reward_redemption.update': {
      const reward = obj(e, 'reward');
      const id = str(e, 'id');
      const status = str(e, 'status');
      const data: Data = {
        rewardId: str(reward, 'id'),
        rewardTitle: str(reward, 'title'),
        cost: num(reward, 'cost'),
        input: str(e, 'user_input'),
        status,
        broadcasterId: str(e, 'broadcaster_user_id'),
      };
      const prompt = optString(reward, 'prompt');
      if (prompt) data.prompt = prompt;
      return type.endsWith('.add')
        ? make('redemption', id, user(e, 'user'), time(e, 'redeemed_at'), data)
        : make('redemption_update', `${id}:${status}`, user(e, 'user'), time(e, 'redeemed_at'), { redemptionId: id, ...data });
    }
    case 'channel.follow': {
      const at = str(e, 'followed_at');
      return make('follow', `follow:${str(e, 'user_id')}:${at}`, user(e, 'user'), time(e, 'followed_at'), {});
    }
    case 'channel.subscribe': {
      const data: Data = { msgId: 'sub', ...plan(str(e, 'tier'), false), wasGifted: bool(e, 'is_gift') };
      return make('subscription', byMessage, user(e, 'user'), now, data);
    }
    case 'channel.subscription.message': {
      const data: Data = { msgId: 'resub', months: num(e, 'cumulative_months'), ...plan(str(e, 'tier'), false) };
      const streak = e.streak_months;
      if (typeof streak === 'number') data.streakMonths = streak;
      const duration = e.duration_months;
      if (typeof duration === 'number' && duration > 1) data.multiMonthDuration = duration;
      const text = optString(obj(e, 'message'), 'text');
      if (text) data.message = text;
      return make('subscription', byMessage, user(e, 'user'), now, data);
    }
    case 'channel.subscription.gift': {
      const anonymous = bool(e, 'is_anonymous');
      const data: Data = { msgId: 'submysterygift', count: num(e, 'total'), ...plan(str(e, 'tier'), false), anonymous };
      const cumulative = e.cumulative_total;
      if (typeof cumulative === 'number') data.senderCount = cumulative;
      return make('gift', byMessage, anonymous ? undefined : user(e, 'user'), now, data);
    }
    case 'channel.cheer': {
      const anonymous = bool(e, 'is_anonymous');
      const data: Data = { bits: num(e, 'bits'), message: str(e, 'message'), anonymous };
      return make('cheer', byMessage, anonymous ? undefined : user(e, 'user'), now, data);
    }
    case 'channel.raid':
      return make('raid', byMessage, user(e, 'from_broadcaster_user'), now, {
        viewers: num(e, 'viewers'),
        login: str(e, 'from_broadcaster_user_login'),
        displayName: str(e, 'from_broadcaster_user_name'),
      });
    case 'channel.poll.begin':
    case 'channel.poll.progress':
    case 'channel.poll.end': {
      const phase = phaseOf(type);
      const pollId = str(e, 'id');
      const data: Data = { phase, pollId, title: str(e, 'title') };
      copyString(e, 'status', data, 'status');
      copyString(e, 'started_at', data, 'startedAt');
      copyString(e, 'ends_at', data, 'endsAt');
      copyString(e, 'ended_at', data, 'endedAt');
      const points = e.channel_points_voting;
      if (isObject(points)) {
        data.channelPointsVoting = bool(points, 'is_enabled');
        data.pointsPerVote = num(points, 'amount_per_vote');
      }
      const items = list(e, 'choices').map((c) => pick(c, { id: 'id', title: 'title', votes: 'votes', channelPointsVotes: 'channel_points_votes' }));
      return make('poll', phasedId('poll', pollId, phase, ctx.messageId), undefined, now, data, items);
    }
    case 'channel.prediction.begin':
    case 'channel.prediction.progress':
    case 'channel.prediction.lock':
    case 'channel.prediction.end': {
      const phase = phaseOf(type);
      const predictionId = str(e, 'id');
      const data: Data = { phase, predictionId, title: str(e, 'title') };
      copyString(e, 'status', data, 'status');
      if ('winning_outcome_id' in e) data.winningOutcomeId = optString(e, 'winning_outcome_id') ?? null;
      copyString(e, 'started_at', data, 'startedAt');
      copyString(e, 'locks_at', data, 'locksAt');
      copyString(e, 'locked_at', data, 'lockedAt');
      copyString(e, 'ended_at', data, 'endedAt');
      const items = list(e, 'outcomes').map((o) =>
        pick(o, { id: 'id', title: 'title', color: 'color', users: 'users', channelPoints: 'channel_points' }),
      );
      return make('prediction', phasedId('prediction', predictionId, phase, ctx.messageId), undefined, now, data, items);
    }
    case 'channel.hype_train.begin':
    case 'channel.hype_train.progress':
    case 'channel.hype_train.end': {
      const phase = phaseOf(type);
      const trainId = str(e, 'id');
      const data: Data = { phase, trainId, level: num(e, 'level'), total: num(e, 'total') };
      copyNumber(e, 'progress', data, 'progress');
      copyNumber(e, 'goal', data, 'goal');
      copyString(e, 'type', data, 'trainType');
      if (typeof e.is_shared_train === 'boolean') data.shared = e.is_shared_train;
      copyString(e, 'started_at', data, 'startedAt');
      copyString(e, 'expires_at', data, 'expiresAt');
      copyString(e, 'ended_at', data, 'endedAt');
      copyString(e, 'cooldown_ends_at', data, 'cooldownEndsAt');
      copyNumber(e, 'all_time_high_level', data, 'allTimeHighLevel');
      copyNumber(e, 'all_time_high_total', data, 'allTimeHighTotal');
      const items = list(e, 'top_contributions').map((c) =>
        pick(c, { userId: 'user_id', login: 'user_login', displayName: 'user_name', type: 'type', total: 'total' }),
      );
      return make('hype_train', phasedId('hype_train', trainId, phase, ctx.messageId), undefined, now, data, items);
    }
    case 'channel.ad_break.begin': {
      const startedAt = str(e, 'started_at');
      // The docs' example writes both as strings; the field table, twitch-cli and twurple do not.
      const duration = Number(e.duration_seconds);
      if (!Number.isFinite(duration)) throw new Malformed('duration_seconds');
      const data: Data = { durationSeconds: duration, automatic: e.is_automatic === true || e.is_automatic === 'true' };
      const requester = optString(e, 'requester_user_login');
      if (requester) data.requesterLogin = requester;
      return make('ad_break', `ad_break:${str(e, 'broadcaster_user_id')}:${startedAt}`, undefined, time(e, 'started_at'), data);
    }
    case 'channel.shared_chat.begin':
    case 'channel.shared_chat.update':
    case 'channel.shared_chat.end': {
      const phase = phaseOf(type);
      const sessionId = str(e, 'session_id');
      const data: Data = { phase, sessionId };
      copyString(e, 'host_broadcaster_user_id', data, 'hostId');
      copyString(e, 'host_broadcaster_user_login', data, 'hostLogin');
      const items = Array.isArray(e.participants)
        ? list(e, 'participants').map((p) => pick(p, { id: 'broadcaster_user_id', login: 'broadcaster_user_login', displayName: 'broadcaster_user_name' }))
        : undefined;
      return make('shared_chat', phasedId('shared_chat', sessionId, phase, ctx.messageId), undefined, now, data, items);
    }
    case 'stream.online': {
      const streamId = str(e, 'id');
      const data: Data = { streamId, streamType: str(e, 'type'), startedAt: str(e, 'started_at') };
      return make('stream_online', `online:${streamId}`, undefined, time(e, 'started_at'), data);
    }
    case 'stream.offline':
      return make('stream_offline', byMessage, undefined, now, {});
    default:
      return undefined;
  }
}

/** `channel.chat.message` → the `chat` event the IRC source makes of the same message. */
function chatMessage(e: Json, channel: string, now: number, receivedAt: number): ChatEvent {
  const message = obj(e, 'message');
  const text = str(message, 'text');
  const broadcasterId = str(e, 'broadcaster_user_id');
  const event: Writable<ChatEvent> = {
    kind: 'chat',
    id: str(e, 'message_id'),
    platform: 'twitch',
    channel,
    author: chatter(e, broadcasterId),
    text,
    emotes: emotesOf(list(message, 'fragments')),
    ts: now,
    action: false,
    firstMessage: false,
    receivedAt,
  };
  const cheer = e.cheer;
  if (isObject(cheer) && typeof cheer.bits === 'number' && cheer.bits > 0) event.bits = cheer.bits;
  const reply = e.reply;
  if (isObject(reply)) {
    event.replyTo = { id: str(reply, 'parent_message_id'), login: str(reply, 'parent_user_login'), text: str(reply, 'parent_message_body') };
  }
  const source = optString(e, 'source_broadcaster_user_id');
  if (source && source !== broadcasterId) event.sourceRoom = source;
  return event;
}

/** Chat notices that mean what an IRC USERNOTICE means; the rest are unsupported. */
function chatNotification(e: Json, channel: string, now: number, receivedAt: number): PlatformEvent | undefined {
  const rawType = str(e, 'notice_type');
  const shared = rawType.startsWith('shared_chat_');
  const notice = shared ? rawType.slice('shared_chat_'.length) : rawType;
  const detail = e[rawType];
  if (!isObject(detail)) throw new Malformed(rawType);
  const anonymous = e.chatter_is_anonymous === true;
  const author = anonymous ? undefined : chatter(e, str(e, 'broadcaster_user_id'));
  const id = str(e, 'message_id');
  let type: PlatformEventType;
  let data: Data;
  switch (notice) {
    case 'sub':
      type = 'subscription';
      data = { msgId: 'sub', ...plan(subTier(detail), detail.is_prime === true) };
      if (typeof detail.duration_months === 'number' && detail.duration_months > 1) data.multiMonthDuration = detail.duration_months;
      break;
    case 'resub':
      type = 'subscription';
      data = { msgId: 'resub', months: num(detail, 'cumulative_months') };
      if (typeof detail.streak_months === 'number') data.streakMonths = detail.streak_months;
      Object.assign(data, plan(subTier(detail), detail.is_prime === true));
      if (typeof detail.duration_months === 'number' && detail.duration_months > 1) data.multiMonthDuration = detail.duration_months;
      data.wasGifted = detail.is_gift === true;
      break;
    case 'sub_gift':
      type = 'gift';
      data = {
        msgId: 'subgift',
        recipientId: str(detail, 'recipient_user_id'),
        recipientLogin: str(detail, 'recipient_user_login'),
        recipientDisplayName: str(detail, 'recipient_user_name'),
        months: typeof detail.duration_months === 'number' ? detail.duration_months : 1,
        ...plan(subTier(detail), false),
        anonymous,
      };
      break;
    case 'community_sub_gift':
      type = 'gift';
      data = { msgId: 'submysterygift', count: num(detail, 'total'), ...plan(subTier(detail), false), anonymous };
      if (typeof detail.cumulative_total === 'number') data.senderCount = detail.cumulative_total;
      break;
    case 'gift_paid_upgrade':
    case 'prime_paid_upgrade':
      type = 'subscription';
      data = { msgId: notice === 'prime_paid_upgrade' ? 'primepaidupgrade' : 'giftpaidupgrade' };
      copyString(detail, 'gifter_user_login', data, 'senderLogin');
      copyString(detail, 'gifter_user_name', data, 'senderName');
      break;
    case 'raid':
      type = 'raid';
      data = { viewers: num(detail, 'viewer_count'), login: str(detail, 'user_login'), displayName: str(detail, 'user_name') };
      break;
    case 'announcement':
      type = 'announcement';
      // Upper case in captures, lower case in twurple's type: compared as upper case.
      data = { color: str(detail, 'color').toUpperCase() };
      break;
    default:
      return undefined;
  }
  const text = optString(obj(e, 'message'), 'text');
  if (text) data.message = text;
  if (shared) data.sharedChat = true;
  return platform(type, id, channel, author, now, data, receivedAt);
}

/** The IRC source's plan keys: `plan` (`1000`…, `Prime`) and `prime`. */
function plan(tier: string, prime: boolean): Data {
  return { plan: prime ? 'Prime' : tier, prime };
}

/** `sub_tier`, or `sub_plan` as Twitch's own example JSON spells it. */
function subTier(detail: Json): string {
  const tier = detail.sub_tier ?? detail.sub_plan;
  if (typeof tier !== 'string') throw new Malformed('sub_tier');
  return tier;
}

const ROLE_ORDER: readonly Role[] = ['broadcaster', 'mod', 'vip', 'subscriber', 'verified'];

/** The chatter of a chat message or notice, with roles and badges as the IRC source reads them. */
function chatter(e: Json, broadcasterId: string): Author {
  const badges: Record<string, string> = {};
  for (const badge of Array.isArray(e.badges) ? e.badges : []) {
    if (isObject(badge) && typeof badge.set_id === 'string' && typeof badge.id === 'string') badges[badge.set_id] = badge.id;
  }
  const id = str(e, 'chatter_user_id');
  const has = new Set<Role>();
  if (badges.broadcaster !== undefined || id === broadcasterId) has.add('broadcaster');
  if (badges.moderator !== undefined || badges.lead_moderator !== undefined) has.add('mod');
  if (badges.vip !== undefined) has.add('vip');
  if (badges.subscriber !== undefined || badges.founder !== undefined) has.add('subscriber');
  if (badges.partner !== undefined) has.add('verified');
  const login = str(e, 'chatter_user_login');
  const author: Writable<Author> = {
    id,
    login,
    displayName: optString(e, 'chatter_user_name') || login,
    roles: ROLE_ORDER.filter((r) => has.has(r)),
    badges,
  };
  const color = optString(e, 'color');
  if (color && /^#[0-9a-fA-F]{6}$/.test(color)) author.color = color;
  return author;
}

/** The `<prefix>_id/_login/_name` triple as an author (no roles: EventSub does not say them). */
function user(e: Json, prefix: string): Author {
  const login = str(e, `${prefix}_login`);
  return { id: str(e, `${prefix}_id`), login, displayName: optString(e, `${prefix}_name`) || login, roles: [], badges: {} };
}

/** Emote fragments → code-point ranges (`end` inclusive), as the IRC source gives them. */
function emotesOf(fragments: readonly Json[]): readonly EmoteRange[] {
  const out: EmoteRange[] = [];
  let at = 0;
  for (const fragment of fragments) {
    const text = str(fragment, 'text');
    const length = [...text].length;
    const emote = fragment.emote;
    if (fragment.type === 'emote' && isObject(emote) && length > 0) out.push({ id: str(emote, 'id'), name: text, start: at, end: at + length - 1 });
    at += length;
  }
  return out;
}

function platform(
  type: PlatformEventType,
  id: string,
  channel: string,
  author: Author | undefined,
  ts: number,
  data: Data,
  receivedAt: number,
  items?: readonly PlatformItem[],
): PlatformEvent {
  const event: Writable<PlatformEvent> = { kind: 'platform', type, id, platform: 'twitch', channel, ts, data, receivedAt };
  if (author !== undefined) event.author = author;
  if (items !== undefined) event.items = items;
  return event;
}

/** `channel.poll.begin` → `begin`. */
function phaseOf(type: string): string {
  return type.slice(type.lastIndexOf('.') + 1);
}

/**
 * An id that is the same for a redelivery: begin, lock and end happen once per poll (train,
 * session…), progress many times, so each progress notification is its own event.
 */
function phasedId(kind: string, id: string, phase: string, messageId: string): string {
  return phase === 'progress' || phase === 'update' ? `${kind}:${id}:${phase}:${messageId}` : `${kind}:${id}:${phase}`;
}

/** The keys of `from` renamed by `keys` (new name → payload key); absent keys are left out. */
function pick(from: Json, keys: Record<string, string>): PlatformItem {
  const out: Data = {};
  for (const [to, key] of Object.entries(keys)) {
    const value = from[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) out[to] = value;
  }
  return out;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function obj(e: Json, key: string): Json {
  const value = e[key];
  if (!isObject(value)) throw new Malformed(key);
  return value;
}

function list(e: Json, key: string): Json[] {
  const value = e[key];
  if (!Array.isArray(value)) throw new Malformed(key);
  return value.filter(isObject);
}

function str(e: Json, key: string): string {
  const value = e[key];
  if (typeof value !== 'string') throw new Malformed(key);
  return value;
}

function optString(e: Json, key: string): string | undefined {
  const value = e[key];
  return typeof value === 'string' ? value : undefined;
}

function num(e: Json, key: string): number {
  const value = e[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Malformed(key);
  return value;
}

function bool(e: Json, key: string): boolean {
  const value = e[key];
  if (typeof value !== 'boolean') throw new Malformed(key);
  return value;
}

/** An RFC 3339 field as epoch ms. */
function time(e: Json, key: string): number {
  const ms = Date.parse(str(e, key));
  if (!Number.isFinite(ms)) throw new Malformed(key);
  return ms;
}

function copyString(from: Json, key: string, data: Data, to: string): void {
  const value = from[key];
  if (typeof value === 'string') data[to] = value;
}

function copyNumber(from: Json, key: string, data: Data, to: string): void {
  const value = from[key];
  if (typeof value === 'number') data[to] = value;
}
