/**
 * Channel-points rewards as commands: which reward maps to which command text, and settling a
 * redemption once its command's outcome is known (FULFILLED when applied, CANCELED when refused
 * or when nothing said within `settle_timeout`), through Helix.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { CommandOutcome } from '../../core/commandOutcomes.js';
import type { PlatformEvent } from '../../core/events.js';
import type { Logger } from '../../core/logger.js';
import type { DropCounter } from '../../core/metrics.js';

/** Reward title (any case) or id → command text with `{input}`. */
export class RewardCommands {
  readonly #byId = new Map<string, string>();
  readonly #byTitle = new Map<string, string>();

  constructor(rewards: Readonly<Record<string, string>>) {
    for (const [key, command] of Object.entries(rewards)) {
      this.#byId.set(key, command);
      this.#byTitle.set(key.toLowerCase(), command);
    }
  }

  get size(): number {
    return this.#byId.size;
  }

  /** The command a redemption becomes, or undefined when its reward is not mapped. */
  commandFor(rewardId: string, rewardTitle: string, input: string): string | undefined {
    const template = this.#byId.get(rewardId) ?? this.#byTitle.get(rewardTitle.toLowerCase());
    if (template === undefined) return undefined;
    // The viewer's text, on one line: it becomes the command's arguments, never a second line.
    return template.replaceAll('{input}', input.replace(/\s+/g, ' ').trim()).trim();
  }
}

/** What a settler calls Helix with; twurple's `apiClient.channelPoints` fits. */
export interface RedemptionApi {
  updateRedemptionStatusByIds(broadcaster: string, rewardId: string, redemptionIds: string[], status: 'FULFILLED' | 'CANCELED'): Promise<unknown>;
}

/** What outlives one subscription of the source: the rewards found not manageable, reported once. */
export interface SettleState {
  readonly unmanageable: Set<string>;
}

interface Pending {
  readonly rewardId: string;
  readonly broadcasterId: string;
  readonly timer: Subscription;
}

/**
 * Tracks the redemptions of mapped rewards until their command's outcome arrives, then settles
 * each once. Helix answers: 200 settled; 404 already settled elsewhere (debug); 403 the reward
 * was created by another client id (or the channel cannot have rewards): reported once per
 * reward, and its later redemptions are not sent to Helix again (counted
 * `reward_not_manageable`); anything else (a 5xx after twurple's retries, the network): warned,
 * counted `settle_failed`.
 */
export class RedemptionSettler {
  readonly #pending = new Map<string, Pending>();
  #stopped = false;

  constructor(
    private readonly api: RedemptionApi,
    private readonly deps: {
      readonly scheduler: SchedulerLike;
      readonly timeoutMs: number;
      readonly logger: Logger;
      readonly metrics: DropCounter;
      readonly state: SettleState;
    },
  ) {}

  get pending(): number {
    return this.#pending.size;
  }

  /** Waits for the outcome of the command `event` (a mapped, unfulfilled redemption) became. */
  track(event: PlatformEvent): void {
    const { rewardId, broadcasterId } = event.data;
    if (typeof rewardId !== 'string' || typeof broadcasterId !== 'string' || this.#pending.has(event.id)) return;
    const timer = this.deps.scheduler.schedule(() => this.#settle(event.id, 'CANCELED', 'no_outcome'), this.deps.timeoutMs);
    this.#pending.set(event.id, { rewardId, broadcasterId, timer });
  }

  /** An outcome from the bus; ignored unless it is of a redemption this settler waits for. */
  outcome(outcome: CommandOutcome): void {
    if (!this.#pending.has(outcome.redemption.id)) return;
    this.#settle(outcome.redemption.id, outcome.outcome === 'applied' ? 'FULFILLED' : 'CANCELED', outcome.reason);
  }

  /** Forgets what is pending (left UNFULFILLED in the streamer's queue). */
  stop(): void {
    this.#stopped = true;
    for (const p of this.#pending.values()) p.timer.unsubscribe();
    this.#pending.clear();
  }

  #settle(id: string, status: 'FULFILLED' | 'CANCELED', reason: string): void {
    const pending = this.#pending.get(id);
    if (pending === undefined || this.#stopped) return;
    this.#pending.delete(id);
    pending.timer.unsubscribe();
    const { logger: log, metrics, state } = this.deps;
    if (state.unmanageable.has(pending.rewardId)) {
      metrics.drop('reward_not_manageable', true);
      return;
    }
    log.debug({ redemption: id, status, reason }, 'Settling a redemption.');
    this.api.updateRedemptionStatusByIds(pending.broadcasterId, pending.rewardId, [id], status).then(
      () => log.debug({ redemption: id, status, reason }, 'Redemption settled.'),
      (err: unknown) => {
        const code = statusOf(err);
        if (code === 403) {
          if (!state.unmanageable.has(pending.rewardId)) {
            state.unmanageable.add(pending.rewardId);
            log.warn(
              { err, rewardId: pending.rewardId },
              'Reward not manageable by chatflow: it was created by another app or in the Twitch dashboard; its redemptions stay in the queue.',
            );
          }
          metrics.drop('reward_not_manageable', true);
        } else if (code === 404) {
          log.debug({ redemption: id }, 'Redemption already settled.');
        } else {
          metrics.drop('settle_failed', false);
          log.warn({ err, redemption: id, status }, 'Redemption could not be settled.');
        }
      },
    );
  }
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
