/**
 * `control`: turns commands (`!cv cutoff 0.7`, `!pitch C4`) and vote results into control
 * variable changes, in the output's units (volts for CV), with curves, quantizers, slew and the
 * moderator controls `pause`, `resume`, `panic`, `reset`, `lock` and `unlock`.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { type BeatClock, nextOnGrid } from '../../core/beatClock.js';
import type { OutcomeReporter } from '../../core/commandOutcomes.js';
import type { Routed } from '../../core/component.js';
import type { ControlAction } from '../../core/controlBus.js';
import type { DueAnnouncer } from '../../core/dueChanges.js';
import type { ChatflowEvent, CommandEvent, ControlEvent, ControlOrigin, ControlRamp, Role } from '../../core/events.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';
import type { NodeState } from '../../core/nodeState.js';
import { ADMIN_VERBS, type ControlConfig } from './config.js';
import { type Answer, CONTROL_REPLY_PORT, replyMaker } from './replies.js';
import {
  type By,
  type Mapping,
  byOf,
  type CompiledVariable,
  compileVariable,
  hasRole,
  inInputRange,
  mapValue,
  newState,
  numberKey,
  type VariableState,
  variableName,
} from './variables.js';

/** A control change while it is being put together, before it is emitted. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** Collaborators of {@link control}. */
export interface ControlDeps {
  /** Clock of slew steps and `ts`; defaults to {@link asyncScheduler}. */
  readonly scheduler?: SchedulerLike;
  /** Where drops are counted; the node's metrics in a pipeline. */
  readonly drops?: DropCounter;
  /**
   * `receivedAt` for events the node makes up itself (defaults at start, slew steps after the
   * first): `performance.now()` in a pipeline. Defaults to `scheduler.now()`.
   */
  readonly clock?: () => number;
  /**
   * Values (output units) declared variables start from instead of their defaults, sent with
   * origin `restore`: the last stored values (`redis_state` with `restore: true`, read by the
   * run before the components start, as the `RESTORED_VARIABLES` service). Values outside a
   * variable's range are ignored.
   */
  readonly initial?: ReadonlyMap<string, number>;
  /**
   * Moderator actions from outside chat (the `CONTROL_BUS` service: the dashboard's
   * `POST /api/control/pause|resume|panic`), applied like an admin's `!cv pause|resume|panic`
   * (without a `by`). Subscribed for as long as the operator is.
   */
  readonly actions?: Observable<ControlAction>;
  /**
   * The start of every change's `id` (`<instance>/<node>` in a pipeline), followed by the time
   * the node was subscribed and a sequence number. Defaults to `control`.
   */
  readonly idPrefix?: string;
  /**
   * Where values outlive a subscription (the node's `ctx.state` in a pipeline): each declared
   * variable's value and lock, and the moderator pause. A re-subscribed control (a restart
   * after an error, a rebuild by a live reload) starts a variable from what is kept and sends
   * nothing for it (the value is already out) but the rest of a slew it was in, unless its
   * range changed: then it starts over from its default. A variable no longer declared is sent
   * its default once (origin `retired`) and forgotten. Without it, all of that is per
   * subscription.
   */
  readonly state?: NodeState;
  /**
   * Told of each redemption's command (`COMMAND_OUTCOMES` in a pipeline): `applied` when it
   * made a change, `refused` with the drop reason (`paused`, `locked`, `invalid_value`…) when not.
   */
  readonly outcomes?: OutcomeReporter;
  /**
   * Told of each command from chat it applied or refused for a reason a viewer can be told
   * (`paused`, `locked`, `unknown_variable`, `out_of_range`), for the `reply` templates; never
   * of votes.
   */
  readonly answer?: (event: CommandEvent, answer: Answer) => void;
  /**
   * The pipeline clock (`BEAT_CLOCK`, from the top-level `clock:`): variables with `on_beat`
   * land their changes on its grid. Without it, or while it has no grid, they apply at once.
   */
  readonly beats?: BeatClock;
  /**
   * Where an `on_beat` change of a variable without slew is announced as soon as it is decided,
   * with its grid point (`DUE_CHANGES`, in a run with a clock): an output with its own clock
   * releases it there. The change is still emitted at the grid point, as the same event object
   * (its `ts` the grid point); a change that will not be emitted after all is withdrawn.
   */
  readonly due?: DueAnnouncer;
}

/** What {@link ControlDeps.state} keeps. */
interface KeptControl {
  paused: boolean;
  /** The declared variables of the latest subscription, by name. */
  readonly declared: Map<string, VariableState>;
}

const newKept = (): KeptControl => ({ paused: false, declared: new Map() });

/**
 * Sets control variables from commands and vote results, and emits one {@link ControlEvent} per
 * change, in the output's units, each with its own `id` (`deps.idPrefix`, the time of
 * subscription, a sequence number) so that storage tells apart changes alike in every field.
 *
 * ```text
 * variables: { cutoff: { range: [0, 1], default: 0.5, slew: 40ms } }, control_rate: 100/s
 * a: !cv cutoff 1 by a viewer
 * source:   -a 48ms |
 * result:   d 10ms a 9ms b 9ms c 9ms e 8ms |
 *           d: 0.5 (default)   a: 0.625 (command, by viewer)   b: 0.75, c: 0.875, e: 1 (slew)
 * ```
 *
 * A value is read by the variable's `input` (or the command mapping's): `normalized` 0–1
 * through `curve`, `raw` in range units, or `note` (MIDI, C4 = 0 V); then clamped to `range`
 * and snapped by `quantize`; see {@link mapValue}. With `slew`, the change is sampled at
 * `control_rate` along a straight line that reaches the target exactly `slew` after the
 * command; the first step carries the command's origin and `by`, the rest are origin `slew`
 * with the same `by` and `towards` naming the command's origin, so whoever shows a slewing value
 * can still say who set it. Every step carries the command's `receivedAt` and its place on the
 * ramp as `heldMs` (intended delay, which sinks report apart from latency), plus any `heldMs`
 * the command came with. A vote result's change carries its latest ballot's `receivedAt`, and
 * the wait for the window as `heldMs`. Vote results (`args.origin: 'vote'`, from `vote`) have origin `vote` and no
 * `by`.
 *
 * The admin command (`!cv`) with `args.subcommand` is a moderator action, for `admin_roles`
 * only: `pause`/`resume` viewer control (dropped as `paused` meanwhile), `panic` (every
 * variable jumps to its default, slews cancelled, origin `panic`), `reset <name>` (origin
 * `reset`), `lock`/`unlock <name>` (viewer commands for it dropped as `locked`). Moderators
 * are exempt from pause and locks; votes never are. `deps.actions` (the control bus) brings
 * `pause`, `resume` and `panic` from outside chat (the dashboard), applied the same way.
 *
 * A variable with `on_beat` lands its changes on the pipeline clock (`deps.beats`): a command
 * or vote result waits for the next grid point (`1/4`: the next beat; `bar`: the next
 * downbeat), the wait added to `heldMs`; a newer change for the same variable replaces one
 * still waiting (counted `superseded`), and panic and reset apply at once, dropping it. Without
 * a clock, or while a followed clock has no grid, changes apply at once. With `deps.due`, a
 * waiting change of a variable without slew is also announced there when it is decided (the
 * event it will emit, `ts` its grid point) and withdrawn if it is dropped, so an output stage
 * can release it on its own clock; what the port emits, and when, is the same. One whose grid
 * point has passed while its timer is late (a busy loop) is emitted at once when a newer
 * change, a panic or a reset comes, not dropped: the stage has sent it.
 *
 * ```text
 * variables: { cutoff: { default: 0.5, on_beat: 1/4 } }, clock: { bpm: 120 } (a beat every 500 ms)
 * source:   130ms a 869ms |
 * result:   d 499ms A 499ms |        A: 0.8 at 500, heldMs 370
 * ```
 *
 * Names from chat are lower-cased and must match {@link VARIABLE_NAME}. Only declared
 * variables can be set unless `allow_undeclared` is given; then at most `max_active` variables
 * live at once and the least recently set undeclared one (that is not locked) is reset to its
 * default (origin `reset`) and forgotten to make room. Every drop is counted: `invalid_name`,
 * `invalid_value`, `undeclared`, `max_active`, `paused`, `locked`, `not_admin`,
 * `unknown_variable`, `unknown_subcommand`, `unknown_command`, `not_a_command`, `superseded`, `error`.
 *
 * State (values, locks, pause, slews) is per subscription, except what `deps.state` keeps
 * (declared variables' values and locks, by name and range, and the pause).
 *
 * @param config Parsed config.
 * @param deps Scheduler, drop counter and clock.
 * @see parseCommand, which makes the command events.
 * @see vote, whose results this node applies.
 */
export function control(config: ControlConfig, deps: ControlDeps = {}): OperatorFunction<ChatflowEvent, ControlEvent> {
  const scheduler = deps.scheduler ?? asyncScheduler;
  const drops = deps.drops ?? NO_DROPS;
  const clock = deps.clock ?? (() => scheduler.now());
  const declared = new Map<string, CompiledVariable>();
  for (const [name, spec] of Object.entries(config.variables)) declared.set(name, compileVariable(spec));
  const undeclared = config.allow_undeclared ? compileVariable(config.allow_undeclared) : undefined;
  const mappings = compileMappings(config);
  const adminCommand = config.admin_command;
  const adminTargetArg = config.commands[adminCommand]?.variable_arg ?? 'name';
  const adminRoles: ReadonlySet<Role> = new Set(config.admin_roles);
  const stepMs = config.control_rate.periodMs / config.control_rate.count;
  const capacity = config.max_active - declared.size;
  const emitDefaults = config.emit_defaults;
  const idPrefix = deps.idPrefix ?? 'control';
  const outcomes = deps.outcomes;
  const answer = deps.answer;
  const refuseOutOfRange = config.out_of_range === 'refuse';
  const beats = deps.beats;
  const due = deps.due;

  return (source) =>
    new Observable<ControlEvent>((subscriber) => {
      // Per-subscription state.
      const vars = new Map<string, VariableState>();
      /** Undeclared variables, least recently set first. */
      const lru = new Map<string, VariableState>();
      const kept = deps.state?.get('control', newKept) ?? newKept();
      /** Slews in flight and changes waiting for a beat; completion waits for them, as `delay` waits for its values. */
      let ramps = 0;
      let sourceDone = false;
      /** Every change gets its own id, so storage keeps changes alike in every other field apart. */
      const idStem = `${idPrefix}/${scheduler.now()}/`;
      let sequence = 0;
      let rampCount = 0;
      /** Changes waiting for a beat that were announced early (`deps.due`), by variable. */
      const announced = new Map<VariableState, ControlEvent>();

      /** One change as it is emitted; `ts` defaults to now. */
      const change = (
        st: VariableState,
        value: number,
        origin: ControlOrigin,
        by: By | undefined,
        receivedAt: number,
        heldMs: number,
        towards?: ControlOrigin,
        ramp?: ControlRamp,
        ts = scheduler.now(),
      ): ControlEvent => {
        const id = idStem + ++sequence;
        // One object per change, its optional fields set only when present (exactOptionalPropertyTypes).
        const event: Writable<ControlEvent> = { kind: 'control', variable: st.name, value, previous: st.value, origin, ts, receivedAt, id };
        if (by !== undefined) event.by = by;
        if (heldMs > 0) event.heldMs = heldMs;
        if (towards !== undefined) event.towards = towards;
        if (ramp !== undefined) event.ramp = ramp;
        return event;
      };

      /** `towards`: on a slew step, the origin of the change it moves toward (`by` is that change's). */
      const emit = (
        st: VariableState,
        value: number,
        origin: ControlOrigin,
        by: By | undefined,
        receivedAt: number,
        heldMs = 0,
        towards?: ControlOrigin,
        ramp?: ControlRamp,
      ) => {
        const event = change(st, value, origin, by, receivedAt, heldMs, towards, ramp);
        st.value = value;
        subscriber.next(event);
      };

      /** Stops the slew of `st` where it is; `st.slewing` still says where it was going. */
      const halt = (st: VariableState) => {
        if (st.ramp) {
          st.ramp.unsubscribe();
          st.ramp = undefined;
          ramps -= 1;
        }
      };
      /** Forgets the change `st` waits to land on a beat, if any. */
      const unwait = (st: VariableState) => {
        const early = announced.get(st);
        if (early !== undefined) {
          announced.delete(st);
          due?.withdraw(early);
        }
        if (st.waiting) {
          st.waiting.unsubscribe();
          st.waiting = undefined;
          ramps -= 1;
          return true;
        }
        return false;
      };
      /**
       * An announced change whose grid point has passed while its timer still waits (a busy
       * main loop) was sent by the output stage at that point: it happened, so it is emitted
       * now, before a newer change, a panic or a reset replaces it. (Never in virtual time,
       * where the timer always fires at its point.)
       */
      const landOverdue = (st: VariableState) => {
        const early = announced.get(st);
        if (early === undefined || !st.waiting || !(scheduler.now() > early.ts) || early.previous !== st.value) return;
        announced.delete(st);
        st.waiting.unsubscribe();
        st.waiting = undefined;
        ramps -= 1;
        st.value = early.value;
        subscriber.next(early);
      };
      /** Stops the slew of `st` and drops a change waiting for a beat (counted `superseded`). */
      const cancel = (st: VariableState) => {
        landOverdue(st);
        halt(st);
        st.slewing = undefined;
        if (unwait(st)) drops.drop('superseded', true);
      };

      /**
       * `held`: what the command was already held on purpose (a vote window). `resumed`: the
       * rest of a slew a previous subscription began (`slew` is what is left of it, `held`
       * includes the part done); every step is then origin `slew`.
       */
      const set = (
        st: VariableState,
        target: number,
        origin: ControlOrigin,
        by: By | undefined,
        receivedAt: number,
        held: number,
        slew = st.spec.slewMs,
        resumed = false,
      ) => {
        cancel(st);
        const start = st.value;
        if (slew <= 0 || target === start) {
          if (resumed) return emit(st, target, 'slew', by, receivedAt, held, origin);
          return emit(st, target, origin, by, receivedAt, held);
        }
        let k = 0;
        ramps += 1;
        const startedAt = scheduler.now();
        st.slewing = { target, origin, by, receivedAt, held, startedAt, slewMs: slew };
        const ramp: ControlRamp = { id: `${idStem}ramp${++rampCount}`, from: start, to: target, ms: slew, startTs: startedAt };
        st.ramp = scheduler.schedule(
          function step(this: SchedulerAction<undefined>) {
            k += 1;
            // A step within a microsecond of the end is the end (k * stepMs is inexact).
            const done = k * stepMs >= slew - 1e-3;
            const elapsed = done ? slew : k * stepMs;
            if (done) {
              st.ramp = undefined;
              st.slewing = undefined;
              ramps -= 1;
            }
            const value = done ? target : start + (target - start) * (elapsed / slew);
            // Every step carries the command's `receivedAt` and, as intended delay, its place on
            // the ramp: sinks count the wait for the ramp apart from latency.
            if (k === 1 && !resumed) emit(st, value, origin, by, receivedAt, held + elapsed, undefined, ramp);
            else emit(st, value, 'slew', by, receivedAt, held + elapsed, origin, ramp);
            if (!done) this.schedule(undefined, Math.min((k + 1) * stepMs, slew) - elapsed);
            else if (sourceDone && ramps === 0) subscriber.complete();
          },
          Math.min(stepMs, slew),
        );
      };

      /**
       * Applies a change at once, or, for a variable with `on_beat` while the clock has a grid,
       * at the next grid point (a change already waiting is replaced). The wait is intended
       * delay: it is added to `heldMs`, and the change (and its slew) starts at the beat.
       */
      const land = (
        st: VariableState,
        target: number,
        origin: ControlOrigin,
        by: By | undefined,
        receivedAt: number,
        held: number,
      ) => {
        const onBeat = st.spec.onBeat;
        const grid = onBeat === undefined ? undefined : beats?.grid();
        const now = scheduler.now();
        const wait = grid && onBeat ? nextOnGrid(grid, now, onBeat).at - now : 0;
        if (!(wait > 0)) return set(st, target, origin, by, receivedAt, held);
        landOverdue(st);
        if (unwait(st)) drops.drop('superseded', true);
        ramps += 1;
        if (due !== undefined && st.spec.slewMs <= 0) {
          // Known in full now (no slew to start from wherever the value is at the beat): announced
          // now, emitted as is at the beat.
          const at = now + wait;
          const early = change(st, target, origin, by, receivedAt, held + wait, undefined, undefined, at);
          announced.set(st, early);
          due.announce(early, at);
        }
        st.waiting = scheduler.schedule(() => {
          st.waiting = undefined;
          ramps -= 1;
          const early = announced.get(st);
          announced.delete(st);
          if (early !== undefined && early.previous === st.value) {
            st.value = early.value;
            subscriber.next(early);
          } else {
            if (early !== undefined) due?.withdraw(early);
            set(st, target, origin, by, receivedAt, held + wait);
          }
          if (sourceDone && ramps === 0) subscriber.complete();
        }, wait);
      };

      /** Makes room for and creates an undeclared variable; undefined (counted) when it can't. */
      const activate = (name: string, receivedAt: number, refuse: (reason: string) => void): VariableState | undefined => {
        if (!undeclared) {
          refuse('undeclared');
          return undefined;
        }
        if (lru.size >= capacity) {
          let victim: VariableState | undefined;
          for (const st of lru.values()) {
            if (!st.locked) {
              victim = st;
              break;
            }
          }
          if (!victim) {
            refuse('max_active');
            return undefined;
          }
          cancel(victim);
          lru.delete(victim.name);
          vars.delete(victim.name);
          emit(victim, victim.spec.default, 'reset', undefined, receivedAt);
        }
        const st = newState(name, undeclared, true);
        vars.set(name, st);
        return st;
      };

      /** `pause`, `resume`, `panic`: from an admin's command, or from the control bus. */
      const busAction = (verb: ControlAction['verb'], by: By | undefined, receivedAt: number) => {
        switch (verb) {
          case 'pause':
            kept.paused = true;
            return;
          case 'resume':
            kept.paused = false;
            return;
          case 'panic':
            for (const st of vars.values()) {
              cancel(st);
              emit(st, st.spec.default, 'panic', by, receivedAt);
            }
            return;
        }
      };

      const admin = (event: CommandEvent, verb: string, isAdmin: boolean, refuse: (reason: string, variable?: string) => void) => {
        if (!(ADMIN_VERBS as readonly string[]).includes(verb)) return refuse('unknown_subcommand');
        if (!isAdmin) return refuse('not_admin');
        const by = byOf(event.chat);
        const receivedAt = event.receivedAt;
        switch (verb) {
          case 'pause':
          case 'resume':
          case 'panic':
            return busAction(verb, by, receivedAt);
          case 'reset':
          case 'lock':
          case 'unlock': {
            const raw = event.args[adminTargetArg];
            const name = typeof raw === 'string' ? variableName(raw) : undefined;
            if (name === undefined) return refuse('invalid_name');
            const st = vars.get(name);
            if (!st) return refuse('unknown_variable', name);
            if (verb === 'reset') {
              cancel(st);
              emit(st, st.spec.default, 'reset', by, receivedAt);
            } else {
              st.locked = verb === 'lock';
            }
            return;
          }
        }
      };

      const onCommand = (event: CommandEvent) => {
        const args = event.args;
        const vote = args.origin === 'vote';
        const refuse = (reason: string, variable?: string, value?: number) => {
          drops.drop(reason, true);
          outcomes?.(event, 'refused', reason);
          if (answer === undefined || vote) return;
          const outcome = reason === 'undeclared' ? 'unknown_variable' : reason;
          if (outcome === 'paused' || outcome === 'locked' || outcome === 'unknown_variable' || outcome === 'out_of_range') {
            answer(event, { outcome, variable, value });
          }
        };
        const isAdmin = !vote && hasRole(event.chat.author.roles, adminRoles);
        if (event.name === adminCommand && typeof args.subcommand === 'string') {
          return admin(event, args.subcommand, isAdmin, refuse);
        }
        const mapping = mappings.get(event.name);
        if (!mapping) return refuse('unknown_command');

        let st: VariableState | undefined;
        let name = mapping.variable;
        if (name === undefined) {
          const raw = args[mapping.variableArg];
          if (typeof raw !== 'string') return refuse('invalid_name');
          st = vars.get(raw);
          name = st ? raw : variableName(raw);
          if (name === undefined) return refuse('invalid_name');
        }
        const valueKey = mapping.valueArg ?? numberKey(args);
        const value = valueKey === undefined ? undefined : args[valueKey];
        if (typeof value !== 'number' || !Number.isFinite(value)) return refuse('invalid_value');
        if (kept.paused && !isAdmin) return refuse('paused', name, value);

        st ??= vars.get(name);
        const mode = mapping.input ?? (valueKey === 'note' ? 'note' : (st?.spec ?? undeclared)?.input ?? 'normalized');
        if (st) {
          if (st.locked && !isAdmin) return refuse('locked', name, value);
          if (refuseOutOfRange && !inInputRange(st.spec, value, mode)) return refuse('out_of_range', name, value);
          if (st.dynamic) lru.delete(name);
        } else {
          const variable = name;
          if (refuseOutOfRange && undeclared && !inInputRange(undeclared, value, mode)) return refuse('out_of_range', name, value);
          st = activate(name, event.receivedAt, (reason) => refuse(reason, variable, value));
          if (!st) return;
        }
        if (st.dynamic) lru.set(name, st);

        const target = mapValue(st.spec, value, mode);
        // A vote result is made when its window ends: from the latest ballot's bytes, the wait
        // for the window is intended delay, not latency.
        const receivedAt = vote ? Math.min(event.chat.receivedAt, event.receivedAt) : event.receivedAt;
        const held = (event.heldMs ?? 0) + (event.receivedAt - receivedAt);
        if (vote) land(st, target, 'vote', undefined, receivedAt, held);
        else {
          land(st, target, 'command', byOf(event.chat), receivedAt, held);
          answer?.(event, { outcome: 'applied', variable: st.name, value: target });
        }
        outcomes?.(event, 'applied', 'applied');
      };

      for (const [name, old] of kept.declared) {
        if (declared.has(name)) continue;
        kept.declared.delete(name);
        emit(old, old.spec.default, 'retired', undefined, clock());
      }
      for (const [name, spec] of declared) {
        const st = newState(name, spec, false);
        vars.set(name, st);
        const previous = kept.declared.get(name);
        kept.declared.set(name, st);
        // A value means the same only in the same range.
        if (previous !== undefined && previous.spec.min === spec.min && previous.spec.max === spec.max) {
          // Already sent by the previous subscription: carry on from it, silently, finishing
          // the slew it was in (in the time that slew had left).
          st.value = previous.value;
          st.locked = previous.locked;
          const slewing = previous.slewing;
          if (slewing) {
            const done = scheduler.now() - slewing.startedAt;
            const { target, origin, by, receivedAt, held, slewMs } = slewing;
            set(st, target, origin, by, receivedAt, held + done, Math.max(0, slewMs - done), true);
          }
          continue;
        }
        const restored = deps.initial?.get(name);
        if (restored !== undefined && restored >= spec.min && restored <= spec.max) {
          emit(st, restored, 'restore', undefined, clock());
        } else if (emitDefaults) emit(st, spec.default, 'default', undefined, clock());
      }

      const subscription = source.subscribe({
        next: (event) => {
          try {
            if (event.kind === 'command') onCommand(event);
            else drops.drop('not_a_command', true);
          } catch {
            // Only a malformed event (no chat, no args) gets here; it must not stop control.
            drops.drop('error', false);
            if (event.kind === 'command') outcomes?.(event, 'refused', 'error');
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (ramps === 0) subscriber.complete();
        },
      });
      if (deps.actions) {
        subscription.add(
          deps.actions.subscribe((action) => {
            try {
              busAction(action.verb, undefined, clock());
            } catch {
              drops.drop('error', false);
            }
          }),
        );
      }
      return () => {
        subscription.unsubscribe();
        // `halt`, not `cancel`: a re-subscription that kept the state finishes the slews. A
        // change waiting for a beat goes with the subscription, as a pending `delay` does.
        for (const st of vars.values()) {
          halt(st);
          unwait(st);
        }
      };
    });
}

/** The configured mappings, plus one per declared variable for a command of its name. */
export function compileMappings(config: ControlConfig): ReadonlyMap<string, Mapping> {
  const out = new Map<string, Mapping>();
  for (const name of Object.keys(config.variables)) {
    out.set(name, { variable: name, variableArg: 'name', valueArg: undefined, input: undefined });
  }
  for (const [command, m] of Object.entries(config.commands)) {
    out.set(command, { variable: m.fixed_variable, variableArg: m.variable_arg, valueArg: m.value_arg, input: m.input });
  }
  return out;
}

/**
 * {@link control} with its answers in chat: control events on the default port, and with
 * `reply` configured, a {@link ReplyEvent} on `_reply` for each command from chat it refused
 * for a reason a viewer can be told, or applied (`reply.applied`), right after the change.
 *
 * ```text
 * reply: {}   l: !cv lock cutoff (a mod)   a: !cv cutoff 0.7   p: !cv pitch 2 (viewers)
 * source:   -l-a-p-|
 * result:   ---r-c-|      r: _reply "@viewer, cutoff is locked right now."   c: pitch 2 on ''
 * ```
 *
 * @param config Parsed config.
 * @param deps As for {@link control}; `answer` is this function's own.
 */
export function controlWithReplies(config: ControlConfig, deps: Omit<ControlDeps, 'answer'> = {}): OperatorFunction<ChatflowEvent, Routed> {
  const makeReply = config.reply === undefined ? undefined : replyMaker(config.reply, Object.keys(config.variables));
  return (source) =>
    new Observable<Routed>((subscriber) => {
      const answer =
        makeReply === undefined
          ? undefined
          : (event: CommandEvent, what: Answer) => {
              const reply = makeReply(event, what);
              if (reply !== undefined) subscriber.next({ port: CONTROL_REPLY_PORT, event: reply });
            };
      return source.pipe(control(config, answer === undefined ? deps : { ...deps, answer })).subscribe({
        next: (event) => subscriber.next({ port: '', event }),
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
