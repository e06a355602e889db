/**
 * `vote`: collects `!vote wobble 80` commands into windows and emits one result per key per
 * window, as a command that `control` applies with origin `vote`.
 */
import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { z } from 'zod';
import type { CommandShape, FlowWarning, KnownValue } from '../core/commandFlow.js';
import { defineOperator } from '../core/component.js';
import type { ChatEvent, ChatflowEvent, CommandEvent } from '../core/events.js';
import { type DropCounter, NO_DROPS } from '../core/metrics.js';
import { renamedOption } from '../core/renamedOption.js';
import { duration } from '../core/units.js';

/** What a vote key must look like after lower-casing (the same rule as variable names). */
const KEY = /^[a-z][a-z0-9_]{0,31}$/;
export const REDUCERS = ['mean', 'median', 'trimmed_mean', 'mode'] as const;
export type Reducer = (typeof REDUCERS)[number];

export const VoteConfig = z
  .strictObject({
    command: z
      .string()
      .min(1)
      .default('vote')
      .describe('Name of the command events that are votes; other events are dropped (`not_a_vote`).'),
    arg: z.string().min(1).default('value').describe('The arg holding the vote; it must be a number.'),
    key_arg: z
      .string()
      .min(1)
      .default('name')
      .describe(
        'The name of the arg whose value is the key voted on (`key_arg: name` and `!vote wobble 80` → key `wobble`); each key is a vote of its own.',
      ),
    fixed_key: z
      .string()
      .regex(KEY, 'A key is a lower-case letter, then letters, digits or `_` (at most 32)')
      .optional()
      .describe(
        'The key itself, the same for every vote, instead of reading it from `key_arg` (`fixed_key: wobble` for a `!wobble 80` command).',
      ),
    key: renamedOption(
      (value) =>
        `\`key\` is gone: it was a fixed key, easily mistaken for an arg name. To take the key from the arg "${value}", write \`key_arg: ${value}\`; for the one key "${value}", write \`fixed_key: ${value}\``,
    ).describe('Removed: `key_arg` names the arg holding the key, `fixed_key` is the key itself.'),
    mode: z
      .enum(['tumbling', 'sliding'])
      .default('tumbling')
      .describe(
        '`tumbling`: a result every `window`, from the votes of that window. `sliding`: a result every `every`, from the votes of the last `window`.',
      ),
    window: duration().prefault('10s').describe('How long votes count (`30s`).'),
    every: duration()
      .optional()
      .describe('`sliding` only: how often a result is emitted; at most `window`.'),
    reducer: z
      .enum(REDUCERS)
      .default('median')
      .describe(
        'How votes become one value: `median` (the default: a few trolls cannot drag it), `mean`, `trimmed_mean` (the mean without the `trim` share at each end) or `mode` (the most common value; ties go to the lower).',
      ),
    trim: z
      .number()
      .min(0)
      .lt(0.5)
      .default(0.1)
      .describe('`trimmed_mean` only: the share of votes left out at each end (0.1 = lowest and highest 10%).'),
    quorum: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('Fewest distinct voters for a result; a window with fewer emits nothing (counted `no_quorum`).'),
    max_keys: z
      .number()
      .int()
      .min(1)
      .default(50)
      .describe('Most keys voted on at once; votes on further keys are dropped (`too_many_keys`).'),
    emit_command: z
      .string()
      .min(1)
      .default('cv')
      .describe('Name of the command events emitted, which `control` maps (its default `cv` mapping fits).'),
  })
  .superRefine((config, ctx) => {
    if (config.mode === 'sliding') {
      if (config.every === undefined) {
        ctx.addIssue({ code: 'custom', path: ['every'], message: 'Sliding windows need `every` (such as `5s`)' });
      } else if (config.every > config.window) {
        ctx.addIssue({ code: 'custom', path: ['every'], message: '`every` must not be longer than `window`' });
      } else if (config.every <= 0) {
        ctx.addIssue({ code: 'custom', path: ['every'], message: '`every` must be longer than 0ms' });
      }
    } else if (config.every !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['every'], message: '`every` only applies to `mode: sliding`' });
    }
    if (config.window <= 0) ctx.addIssue({ code: 'custom', path: ['window'], message: '`window` must be longer than 0ms' });
  })
  .describe('Votes from chat, reduced to one value per key per window.');
export type VoteConfig = z.output<typeof VoteConfig>;

/** Collaborators of {@link vote}. */
export interface VoteDeps {
  /** Clock and window timer; defaults to {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
  /** `receivedAt` of the results (`performance.now()` in a pipeline); defaults to `scheduler.now()`. */
  readonly clock?: () => number;
}

/**
 * Collects votes per key and, at the end of every window, emits one command per key that has a
 * quorum: `{ name: emit_command, args: { name: key, value, voters, origin: 'vote' } }`, with
 * the latest voter's chat event as `chat`. Each user has one vote per key and window; a later
 * vote replaces an earlier one.
 *
 * ```text
 * window: 5ms, reducer: mean           a: !vote wobble 0.25 by ann   b: 0.5 by bob
 *                                      c: 0.75 by ann (replaces a)   d: 1 by cid
 * source:   -ab-c--d-|
 * result:   -----x---(y|)     x: wobble 0.625 (2 voters), y: wobble 1 (1 voter, flushed at completion)
 * ```
 *
 * `control` applies a result like `!cv wobble <value>`, through the variable's curve and
 * quantizer, with origin `vote`; pause and locks hold votes back too. The windows start when
 * the node is subscribed; with `mode: sliding` a result is emitted every `every` from the
 * votes of the last `window`. When the source completes, votes not yet counted in a result
 * are flushed as one more result (as `bufferTime` flushes its last buffer).
 *
 * Drops are counted: `not_a_vote`, `no_key`, `invalid_key`, `invalid_vote`, `too_many_keys`,
 * `no_quorum` (once per key and window), `error`. State is per subscription.
 *
 * @param config Parsed config.
 * @param deps Scheduler, drop counter and clock.
 * @see parseCommand, which makes the vote commands.
 * @see control, which applies the results.
 */
export function vote(config: VoteConfig, deps: VoteDeps = {}): OperatorFunction<ChatflowEvent, CommandEvent> {
  const scheduler = deps.scheduler ?? asyncScheduler;
  const drops = deps.drops ?? NO_DROPS;
  const clock = deps.clock ?? (() => scheduler.now());
  const { command, arg, key_arg: keyArg, fixed_key: fixedKey, quorum, max_keys: maxKeys } = config;
  const sliding = config.mode === 'sliding';
  const windowMs = config.window;
  const period = sliding ? (config.every ?? windowMs) : windowMs;
  const reduce = reducerOf(config.reducer, config.trim);
  const emitCommand = config.emit_command;

  return (source) =>
    new Observable<CommandEvent>((subscriber) => {
      // Per-subscription state: key → voter (platform:user id) → ballot, oldest key first.
      const polls = new Map<string, Map<string, Ballot>>();
      /** Votes arrived since the last result; decides the flush at completion. */
      let fresh = false;
      const scratch: number[] = [];

      const tally = () => {
        const now = scheduler.now();
        fresh = false;
        for (const [key, ballots] of polls) {
          if (sliding) {
            for (const [voter, ballot] of ballots) if (ballot.at <= now - windowMs) ballots.delete(voter);
            if (ballots.size === 0) {
              polls.delete(key);
              continue;
            }
          }
          if (ballots.size < quorum) {
            drops.drop('no_quorum', true);
            continue;
          }
          scratch.length = 0;
          let latest: Ballot | undefined;
          for (const ballot of ballots.values()) {
            scratch.push(ballot.value);
            if (!latest || ballot.at >= latest.at) latest = ballot;
          }
          if (!latest) continue;
          subscriber.next({
            kind: 'command',
            name: emitCommand,
            args: { name: key, value: reduce(scratch), voters: ballots.size, origin: 'vote' },
            chat: latest.chat,
            receivedAt: clock(),
          });
        }
        if (!sliding) polls.clear();
      };

      const onVote = (event: CommandEvent) => {
        let key = fixedKey;
        if (key === undefined) {
          const raw = event.args[keyArg];
          if (typeof raw !== 'string') return drops.drop('no_key', true);
          key = KEY.test(raw) ? raw : raw.length <= 32 && KEY.test(raw.toLowerCase()) ? raw.toLowerCase() : undefined;
          if (key === undefined) return drops.drop('invalid_key', true);
        }
        const value = event.args[arg];
        if (typeof value !== 'number' || !Number.isFinite(value)) return drops.drop('invalid_vote', true);
        const chat = event.chat;
        const voter = `${chat.platform}:${chat.author.id}`;
        let ballots = polls.get(key);
        if (!ballots) {
          if (polls.size >= maxKeys) return drops.drop('too_many_keys', true);
          ballots = new Map();
          polls.set(key, ballots);
        }
        // Delete first so the map stays in vote order (the latest vote of a user is its last).
        ballots.delete(voter);
        ballots.set(voter, { value, at: scheduler.now(), chat });
        fresh = true;
      };

      const timer = scheduler.schedule(function tick(this: SchedulerAction<undefined>) {
        tally();
        this.schedule(undefined, period);
      }, period);

      const subscription = source.subscribe({
        next: (event) => {
          try {
            if (event.kind === 'command' && event.name === command) onVote(event);
            else drops.drop('not_a_vote', true);
          } catch {
            // Only a malformed event (no chat, no args) gets here; it must not stop the vote.
            drops.drop('error', false);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (fresh) tally();
          subscriber.complete();
        },
      });
      return () => {
        timer.unsubscribe();
        subscription.unsubscribe();
      };
    });
}

export const voteComponent = defineOperator({
  type: 'vote',
  summary: 'Reduces votes such as `!vote wobble 80` to one value per key per window, for `control`.',
  description:
    'Emits `cv`-style command events with `args: { name, value, voters, origin: vote }`, which `control` applies with origin `vote`. Wire it from a parse_command port and into control.',
  config: VoteConfig,
  commandFlow: { emits: voteShapes, check: voteWarnings, uses: (config) => [config.command] },
  examples: [
    'key_arg: name\nwindow: 30s\nreducer: median\nquorum: 3',
    'command: wobble\nfixed_key: wobble\nwindow: 10s',
    'command: vote\nmode: sliding\nwindow: 20s\nevery: 5s\nreducer: trimmed_mean\ntrim: 0.2\nemit_command: cv',
  ],
  create: (config, ctx) => vote(config, { scheduler: ctx.scheduler, drops: ctx.metrics, clock: ctx.clock }),
});

// ---------------------------------------------------------------------------------------------
// Internals.

/** The results a config emits, for validate's command checks: the key is what the config fixes. */
function voteShapes(config: VoteConfig, arriving: readonly CommandShape[], _port: string, node: string): CommandShape[] {
  const result = (key: readonly KnownValue[] | 'any'): CommandShape => ({
    name: config.emit_command,
    args: { name: key, value: 'any', voters: 'any', origin: [{ value: 'vote', origin: { node, path: [] } }] },
    origin: { node, path: [] },
  });
  const fixed = config.fixed_key;
  if (fixed !== undefined) {
    // `fixed_key: name` where the votes carry an arg `name` was most likely meant as key_arg.
    const isArg = arriving.some((shape) => shape.name === config.command && shape.args[fixed] !== undefined);
    const hint = isArg ? `"${fixed}" is an arg of command "${config.command}": to vote on what viewers type there, write \`key_arg: ${fixed}\`` : undefined;
    const origin = { node, path: ['fixed_key'] };
    return [result([hint === undefined ? { value: fixed, origin } : { value: fixed, origin, hint }])];
  }
  return arriving.flatMap((shape) => {
    const key = shape.name === config.command ? shape.args[config.key_arg] : undefined;
    return key === undefined ? [] : [result(key)];
  });
}

/** Votes that arrive without the args this config reads: every one would be dropped. */
function voteWarnings(config: VoteConfig, arriving: readonly CommandShape[], node: string): FlowWarning[] {
  const warnings: FlowWarning[] = [];
  for (const shape of arriving) {
    if (shape.name !== config.command) continue;
    if (config.fixed_key === undefined && shape.args[config.key_arg] === undefined) {
      warnings.push({
        rule: 'missing_arg',
        origin: shape.origin,
        message: `Command "${shape.name}" has no arg "${config.key_arg}", which "${node}" reads the key from (\`key_arg: ${config.key_arg}\`); every vote is dropped (no_key)`,
      });
    }
    if (shape.args[config.arg] === undefined) {
      warnings.push({
        rule: 'missing_arg',
        origin: shape.origin,
        message: `Command "${shape.name}" has no arg "${config.arg}", which "${node}" reads the vote from (\`arg: ${config.arg}\`); every vote is dropped (invalid_vote)`,
      });
    }
  }
  return warnings;
}

interface Ballot {
  readonly value: number;
  /** Scheduler time of the vote. */
  readonly at: number;
  readonly chat: ChatEvent;
}

/**
 * The reducer of a config, over a non-empty scratch array it may reorder.
 * Exported for property tests through {@link reduceVotes}.
 */
function reducerOf(reducer: Reducer, trim: number): (values: number[]) => number {
  switch (reducer) {
    case 'mean':
      return mean;
    case 'median':
      return (values) => {
        values.sort(ascending);
        const mid = values.length >> 1;
        return values.length % 2 === 1
          ? (values[mid] as number)
          : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
      };
    case 'trimmed_mean':
      return (values) => {
        values.sort(ascending);
        const cut = Math.floor(values.length * trim);
        let sum = 0;
        for (let i = cut; i < values.length - cut; i++) sum += values[i] as number;
        return sum / (values.length - 2 * cut);
      };
    case 'mode':
      return (values) => {
        values.sort(ascending);
        let best = values[0] as number;
        let bestRun = 0;
        let run = 0;
        for (let i = 0; i < values.length; i++) {
          run = i > 0 && values[i] === values[i - 1] ? run + 1 : 1;
          if (run > bestRun) {
            bestRun = run;
            best = values[i] as number;
          }
        }
        return best;
      };
  }
}

/** Reduces a non-empty list of votes as `vote` would (for tests and tools). */
export function reduceVotes(values: readonly number[], reducer: Reducer, trim = 0.1): number {
  return reducerOf(reducer, trim)([...values]);
}

function mean(values: number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function ascending(a: number, b: number): number {
  return a - b;
}
