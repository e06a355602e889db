/**
 * What the `osc` sink's main side and its output stage (a worker thread) say to each other.
 * Plain data: every message crosses a MessagePort by structured clone.
 */
import type { OscArgType, OscValue } from '../encoding.js';
import type { OscTarget } from '../target.js';
import type { StagePriority } from './priority.js';

/** A slew the stage interpolates itself, on its own clock. */
export interface StageRamp {
  /** The slew's identity (control's ramp id): a target with the same one adds nothing. */
  readonly id: string;
  /** Where the slew starts and ends (control's `ramp`). */
  readonly from: number;
  readonly to: number;
  /** Length of the whole slew, ms. */
  readonly ms: number;
  /** How long ago it began when the main side posted it, ms: the stage anchors its steps there. */
  readonly elapsed: number;
  /** Step period of this variable, ms (the sink's `control_rate`). */
  readonly stepMs: number;
}

/** One value for the stage: a message to send (paced by `max_rate`), or a slew to run. */
export interface StageTarget {
  /** Per sink, increasing: the stage never applies an older target after a newer one of its key. */
  readonly seq: number;
  readonly key: string;
  readonly address: string;
  readonly values: readonly OscValue[];
  /** Panic, reset, retired: out at once, whatever the pace. */
  readonly urgent: boolean;
  /** `learn`: the message is its key's safe default; `forget`: the key is gone (retired). */
  readonly defaults?: 'learn' | 'forget';
  readonly ramp?: StageRamp;
  /**
   * A change announced before its beat (`on_beat`): the main thread's `performance.now()` time
   * it is due at. The stage holds it and sends it at that time on its own step clock (at once if
   * the time has passed); a newer target of its key, a `withdraw` or `stop` drops it.
   */
  readonly dueAt?: number;
  /**
   * When the main side last sent this key itself (its `performance.now()`): `max_rate` paces
   * from there, so a value that must wait for its pace waits here for the right time.
   */
  readonly sentAt?: number;
}

/** Everything the worker needs to start (its `workerData`). */
export interface StageInit {
  readonly targets: readonly OscTarget[];
  readonly types: readonly OscArgType[];
  /** Indexes of the arguments that carry the value (`{{ value }}`), rewritten on each slew step. */
  readonly valueIndexes: readonly number[];
  /** Configured `defaults`, rendered; they win over learned ones. */
  readonly configured: readonly { readonly key: string; readonly address: string; readonly values: readonly OscValue[] }[];
  /** `max_rate` as the shortest interval per key, ms; 0: off. */
  readonly intervalMs: number;
  /** Bundles with timetags this far ahead of each step; 0: bare messages. */
  readonly timetagMs: number;
  /** `bundle.delay` of the main-thread sink, honoured the same way here; undefined: no bundles. */
  readonly bundleDelayMs: number | undefined;
  readonly heartbeat: { readonly address: string; readonly intervalMs: number } | undefined;
  /**
   * Wall clock (epoch ms) at `hrtimeNs`, which is process.hrtime (shared by every thread) at the
   * main thread's performance.now() 0: timetags, and held changes' `dueAt`.
   */
  readonly wallAtMs: number;
  readonly hrtimeNs: bigint;
  /** Bumped and notified by the main side after each post, so a worker waiting for a step wakes. */
  readonly wake: SharedArrayBuffer;
}

export type ToStage =
  | { readonly t: 'start' }
  | { readonly t: 'targets'; readonly list: readonly StageTarget[] }
  /** The held change `seq` of `key` will not happen (control withdrew it): drop it unsent. */
  | { readonly t: 'withdraw'; readonly key: string; readonly seq: number }
  | { readonly t: 'stop' };

export type FromStage =
  /** The stage's thread (its kernel id, Linux) and the scheduling it got (stage/priority.ts). */
  | { readonly t: 'started'; readonly tid: number | undefined; readonly priority: StagePriority }
  | { readonly t: 'failed'; readonly message: string; readonly code: string | undefined }
  | { readonly t: 'counts'; readonly sent: number; readonly drops: Readonly<Record<string, number>> }
  | { readonly t: 'receiver'; readonly index: number; readonly state: 'answering' | 'absent' }
  | { readonly t: 'sendError'; readonly message: string; readonly code: string | undefined }
  | { readonly t: 'stopped'; readonly defaults: number }
  /**
   * Nothing of `key` is left here (no slew, no held change, no value waiting for its pace) after
   * target `seq`, the newest of the key; `sentAt` (main-thread `performance.now()`) its last send.
   * The main side may then send the key's values itself until it posts one here again.
   */
  | { readonly t: 'idle'; readonly key: string; readonly seq: number; readonly sentAt: number | undefined };

/** Drop reasons the stage counts, and whether each is intentional. */
export const STAGE_DROPS: Readonly<Record<string, boolean>> = {
  superseded: true,
  no_receiver: true,
  send_failed: false,
};
