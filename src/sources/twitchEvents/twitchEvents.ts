/**
 * `twitch_events`: Twitch EventSub over WebSocket (twurple), normalized into chat and platform
 * events, with health like the other sources and channel-points rewards turned into commands
 * whose outcome settles the redemption.
 */
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { CommandOutcomes } from '../../core/commandOutcomes.js';
import { type PipelineError, SourceFatalError, TwitchAuthError } from '../../core/errors.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type DropCounter, NO_DROPS, type SourceHealth } from '../../core/metrics.js';
import type { TwitchAccountRole, TwitchAuth } from '../../core/twitchAuth.js';
import { tokenFailure } from '../../resources/twitch/index.js';
import { RecentIds } from '../shared/recentIds.js';
import { ownMessages } from '../shared/ownMessages.js';
import { CHAT_GROUPS, type TwitchEventsConfig } from './config.js';
import { createRawEventSubListener, type RawEventSubListener } from './listener.js';
import { normalizeEventSub } from './normalize.js';
import { RedemptionSettler, RewardCommands, type SettleState } from './redemptions.js';
import { type EventSubSubscription, GROUP_SUBSCRIPTIONS, type SubscriptionSpec } from './subscriptions.js';
import { HealthReport } from '../shared/healthReport.js';

/** What a node keeps across restarts of its stream. */
export interface TwitchEventsNodeState extends SettleState {
  /** Message ids seen lately: a redelivery (same id) is emitted once. */
  readonly messages: RecentIds;
  /** Event ids emitted lately: the same event under a new message id (after a resubscribe) once too. */
  readonly events: RecentIds;
  subscriptions: number;
}

export function createTwitchEventsNodeState(): TwitchEventsNodeState {
  return { messages: new RecentIds(), events: new RecentIds(), unmanageable: new Set(), subscriptions: 0 };
}

/** What {@link twitchEvents} needs besides its config; a pipeline's `ComponentContext` fits. */
export interface TwitchEventsDeps {
  /** Node id, for errors. */
  readonly id: string;
  /** The sign-in service (`TWITCH_AUTH`); undefined when nothing provides it. */
  readonly auth: TwitchAuth | undefined;
  /** Where command outcomes arrive (`COMMAND_OUTCOMES`); without it, redemptions settle by timeout. */
  readonly outcomes?: CommandOutcomes;
  readonly logger?: Logger;
  /** Timers (settle timeout). */
  readonly scheduler?: SchedulerLike;
  /** Monotonic clock for `receivedAt`. */
  readonly clock?: () => number;
  /** Wall clock (epoch ms) for events without a time of their own. */
  readonly now: () => number;
  readonly metrics?: DropCounter;
  readonly setHealth?: (health: SourceHealth) => void;
  readonly state?: TwitchEventsNodeState;
}

/** Subscription create failures that retrying on the same token cannot fix. */
const PERMANENT = new Set([400, 403, 410]);

/**
 * Reads the configured EventSub events of the signed-in broadcaster's channel.
 *
 * ```text
 * events: [redemptions], rewards: { "Filter sweep": "cv cutoff {input}" }
 * socket:   welcome ── subscribed ── notification(redemption.add, input "0.8")
 * health:   connecting ─────────── live
 * result:   ─────────────────────── redemption {command: "cv cutoff 0.8"}
 * ```
 *
 * twurple's `EventSubWsListener` holds one socket per account (the chat account's too when it
 * reads chat): it subscribes after each welcome, follows `session_reconnect` without
 * resubscribing (nothing lost or doubled: the old socket delivers until the new one is
 * welcomed), reconnects and resubscribes after a close (any code) or a keepalive timeout.
 * Health: `connecting` (`reconnecting` when re-subscribed, or while twurple reconnects), `live`
 * once every subscription is enabled, `stale` while some are missing for good (revoked, a scope
 * the token lacks) but others work, `failed` when none can work (no sign-in, a token that is
 * revoked or expired, every subscription refused or revoked): the stream errors with a
 * {@link SourceFatalError} naming `chatflow auth twitch`.
 *
 * Delivery is at least once: a message id seen before (kept across restarts in `state`) is
 * dropped as `duplicate`, and so is an event id emitted before (the same follow delivered again
 * under a new message id after a resubscribe). A redemption of a reward in `rewards` carries
 * `data.command`; when `settle` is on and the redemption waits in the queue, the outcome of its
 * command (from `deps.outcomes`) settles it: FULFILLED or CANCELED, or CANCELED after
 * `settle_timeout` without one.
 *
 * @param config Parsed config.
 * @param deps Node id, sign-in, outcomes, logger, scheduler, clocks, drop counter, health, state.
 * @see twitchChat, the IRC source, which makes the same `chat` events.
 */
export function twitchEvents(config: TwitchEventsConfig, deps: TwitchEventsDeps): Observable<ChatEvent | PlatformEvent> {
  const { id, auth, outcomes, logger: log = silentLogger(), scheduler = asyncScheduler, clock = () => performance.now(), now } = deps;
  const metrics = deps.metrics ?? NO_DROPS;
  const setHealth = deps.setHealth ?? (() => undefined);
  const state = deps.state ?? createTwitchEventsNodeState();
  const rewards = new RewardCommands(config.rewards);
  const usesChat = config.events.some((g) => CHAT_GROUPS.includes(g));

  return new Observable<ChatEvent | PlatformEvent>((subscriber) => {
    state.subscriptions += 1;
    const health = new HealthReport(setHealth);
    const report = health.report;
    report(state.subscriptions > 1 ? 'reconnecting' : 'connecting');
    let stopped = false;
    let listener: RawEventSubListener | undefined;
    let settler: RedemptionSettler | undefined;
    const watches: Subscription[] = [];
    const stop = () => {
      if (stopped) return;
      stopped = true;
      for (const w of watches) w.unsubscribe();
      settler?.stop();
      listener?.stop();
    };
    // The runtime logs the error once ('Source failed and will not be restarted.') and alerts.
    const fail = (err: PipelineError) => {
      if (stopped) return;
      stop();
      report('failed');
      subscriber.error(err);
    };

    if (auth === undefined) {
      fail(new SourceFatalError(id, 'Twitch is not signed in: run `chatflow auth twitch` (the `twitch_events` source needs the broadcaster\'s token).'));
      return stop;
    }
    const chatRole = config.chat_account;
    // A token missing, revoked or expired, now or later, fails the node for good with the reason
    // (the sign-in service's, naming `chatflow auth twitch`): no restart loop.
    for (const role of new Set<TwitchAccountRole>(['broadcaster', usesChat ? chatRole : 'broadcaster'])) {
      const watch = tokenFailure(auth, role, id).subscribe({ error: (err: PipelineError) => fail(err) });
      // A status that is already bad fails the node before `subscribe` returns.
      if (stopped) watch.unsubscribe();
      else watches.push(watch);
    }
    if (stopped) return stop;
    const broadcaster = auth.account('broadcaster');
    const chatUser = usesChat ? auth.account(chatRole) : broadcaster;
    if (broadcaster === undefined || chatUser === undefined) {
      const role = broadcaster === undefined ? 'broadcaster' : chatRole;
      fail(new SourceFatalError(id, `No Twitch ${role} account is signed in: run \`chatflow auth twitch${role === 'bot' ? ' --bot' : ''}\`.`));
      return stop;
    }

    const specs: { spec: SubscriptionSpec; chat: boolean }[] = config.events.flatMap((group) =>
      GROUP_SUBSCRIPTIONS[group].map((spec) => ({ spec, chat: CHAT_GROUPS.includes(group) })),
    );
    const types = new Map<EventSubSubscription, { type: string; user: string }>();
    const active = new Set<string>();
    /** Types that cannot work on this token (revoked, refused), with why. */
    const broken = new Map<string, string>();
    const api = auth.api();
    if (config.settle && rewards.size > 0) {
      settler = new RedemptionSettler(api.channelPoints, {
        scheduler,
        timeoutMs: config.settle_timeout,
        logger: log,
        metrics,
        state,
      });
      const s = settler;
      if (outcomes !== undefined) watches.push(outcomes.outcomes.subscribe((o) => s.outcome(o)));
    }

    const updateHealth = () => {
      if (stopped) return;
      if (broken.size >= specs.length) {
        fail(
          new SourceFatalError(
            id,
            `No EventSub subscription works (${[...broken].map(([t, why]) => `${t}: ${why}`).join('; ')}): run \`chatflow auth twitch --check\` and sign in again with the scopes it names.`,
          ),
        );
        return;
      }
      if (active.size + broken.size < specs.length) return;
      const next = broken.size > 0 ? 'stale' : 'live';
      if (next === 'live' && health.current !== 'live') log.info({ subscriptions: active.size }, 'Twitch EventSub live.');
      report(next);
    };

    // The account the chat sink speaks as: the signed-in bot, unless `bot_login` names another.
    const own = ownMessages(config.bot_login ?? auth.account('bot')?.login);
    const emit = (event: ChatEvent | PlatformEvent, sharedId: string | undefined) => {
      const key = event.kind === 'chat' ? `chat:${event.id}` : `${event.type}:${event.id}`;
      if (!state.events.add(key) || (sharedId !== undefined && !state.events.add(`shared:${sharedId}`))) {
        metrics.drop('duplicate', true);
        return;
      }
      if (event.kind === 'platform' && event.type === 'redemption') {
        const { rewardId, rewardTitle, input, status } = event.data;
        const command = rewards.commandFor(String(rewardId), String(rewardTitle), String(input));
        if (command !== undefined) {
          const mapped: PlatformEvent = { ...event, data: { ...event.data, command } };
          // Tracked first: the outcome may come back while the event is still being emitted.
          if (status === 'unfulfilled') settler?.track(mapped);
          subscriber.next(mapped);
          return;
        }
      }
      subscriber.next(event.kind === 'chat' ? own(event) : event);
    };

    const onNotification = (subscription: EventSubSubscription, payload: Record<string, unknown>, messageId: string) => {
      if (stopped) return;
      const known = types.get(subscription);
      if (known === undefined) {
        metrics.drop('unknown_subscription', false);
        return;
      }
      if (!state.messages.add(messageId)) {
        metrics.drop('duplicate', true);
        return;
      }
      const out = normalizeEventSub(known.type, payload, { messageId, receivedAt: clock(), now });
      switch (out.outcome) {
        case 'events':
          for (const event of out.events) emit(event, out.sharedId);
          return;
        case 'unsupported':
          metrics.drop('unsupported_event');
          log.trace({ event: { type: known.type } }, 'EventSub notification of an unsupported kind; dropped.');
          return;
        case 'malformed':
          metrics.drop('malformed_event', false);
          log.debug({ event: { type: known.type } }, 'EventSub notification malformed; dropped.');
          return;
      }
    };

    try {
      listener = createRawEventSubListener(
        {
          apiClient: api,
          url: auth.endpoints.eventsubWs,
          logger: { minLevel: 'info', custom: (level, message) => (level <= 2 ? log.debug({ twurple: message }, 'Twitch EventSub client (twurple) message.') : log.trace({ twurple: message }, 'Twitch EventSub client (twurple) message.')) },
        },
        onNotification,
      );
    } catch (err) {
      fail(new SourceFatalError(id, 'The EventSub listener could not be created.', { cause: err }));
      return stop;
    }
    const l = listener;
    l.onSubscriptionCreateSuccess((sub) => {
      const known = types.get(sub);
      if (known === undefined || stopped) return;
      active.add(known.type);
      broken.delete(known.type);
      updateHealth();
    });
    l.onSubscriptionCreateFailure((sub, err) => {
      const known = types.get(sub);
      if (known === undefined || stopped) return;
      if (err instanceof TwitchAuthError) {
        // The sign-in service refuses before asking Twitch: a scope the token lacks is that
        // subscription's loss only; a missing or dead token fails the node through tokenFailure.
        if (err.reason !== 'scope') return;
        broken.set(known.type, 'the token lacks the scope');
        log.warn({ err, type: known.type }, 'EventSub subscription refused; the other events carry on.');
        updateHealth();
        return;
      }
      const code = (err as { statusCode?: unknown }).statusCode;
      if (code === 401) {
        fail(new SourceFatalError(id, 'Twitch refused the token (401) while subscribing: run `chatflow auth twitch`.', { cause: err }));
        return;
      }
      if (code === 409) {
        // Already enabled on this session (a retry that raced its own success).
        active.add(known.type);
        updateHealth();
        return;
      }
      if (typeof code === 'number' && PERMANENT.has(code)) {
        broken.set(known.type, code === 403 ? 'the token lacks the scope' : `refused (${code})`);
        log.warn({ err, type: known.type }, 'EventSub subscription refused; the other events carry on.');
      } else {
        log.warn({ err, type: known.type }, 'EventSub subscription failed; retried on the next connection.');
      }
      updateHealth();
    });
    l.onRevoke((sub, status) => {
      const known = types.get(sub);
      if (known === undefined || stopped) return;
      active.delete(known.type);
      broken.set(known.type, `revoked: ${status}`);
      metrics.drop('subscription_revoked', false);
      log.warn({ type: known.type, status }, 'EventSub subscription revoked by Twitch; the other events carry on.');
      updateHealth();
    });
    l.onUserSocketDisconnect((userId, err) => {
      if (stopped) return;
      for (const [, known] of types) if (known.user === userId) active.delete(known.type);
      log.warn({ err }, 'EventSub connection lost; reconnecting.');
      report('reconnecting');
    });

    const ids = { broadcaster: broadcaster.userId, chatUser: chatUser.userId };
    for (const { spec, chat } of specs) {
      types.set(spec.subscribe(l, ids), { type: spec.type, user: chat ? chatUser.userId : broadcaster.userId });
    }
    log.info({ events: config.events, broadcaster: broadcaster.login }, 'Connecting to Twitch EventSub.');
    l.start();
    return stop;
  });
}
