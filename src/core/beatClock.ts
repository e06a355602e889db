/**
 * The pipeline's musical clock (the top-level `clock:` of pipeline.yaml): a tempo and a beat
 * grid that `control` lands `on_beat` changes on and the overlay pulses with. The CLI (or the
 * virtual-time harness) makes one and provides it in `resources.services` under
 * {@link BEAT_CLOCK}; without a `clock:` section nothing provides it and nothing changes.
 *
 * All times are the scheduler's (`ctx.scheduler.now()`, ms), so a fixed clock runs in virtual
 * time as it does in real time.
 */
import { Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { serviceKey } from './services.js';
import { duration } from './units.js';

/**
 * Where an `on_beat` change lands, as a note value with the beat a quarter note (as a DAW's
 * BPM counts): `1/16` (a quarter beat), `1/8` (half a beat), `1/4` (the next beat), `1/2` (every
 * second beat), `1` (a whole note: four beats), `bar` (the next downbeat, `beats_per_bar` beats).
 */
export const ON_BEAT = ['1/16', '1/8', '1/4', '1/2', '1', 'bar'] as const;
export type OnBeat = (typeof ON_BEAT)[number];

/** How many beats apart the grid points of `onBeat` are. */
export function onBeatBeats(onBeat: OnBeat, beatsPerBar: number): number {
  switch (onBeat) {
    case '1/16':
      return 0.25;
    case '1/8':
      return 0.5;
    case '1/4':
      return 1;
    case '1/2':
      return 2;
    case '1':
      return 4;
    case 'bar':
      return beatsPerBar;
  }
}

/** Where the beats are: one beat's time and number, and the period. */
export interface BeatGrid {
  /** Scheduler time (ms) of the anchor beat. */
  readonly anchorAt: number;
  /** The anchor beat's number; beats whose number is a multiple of `beatsPerBar` are downbeats. */
  readonly anchorBeat: number;
  /** Milliseconds per beat (60000 / BPM). */
  readonly periodMs: number;
  readonly beatsPerBar: number;
}

/** Tempo in beats per minute of a grid. */
export function bpmOf(grid: BeatGrid): number {
  return 60_000 / grid.periodMs;
}

/** A grid point within this much before `now` counts as now (float noise, not lateness). */
const ON_TIME_MS = 1e-6;

/**
 * The first grid point of `onBeat` at or after `now`: its scheduler time and beat number.
 *
 * ```text
 * 120 BPM (500 ms), anchor beat 0 at 0, beats_per_bar 4
 * now 130, 1/4 → 500 (beat 1);  1/8 → 250;  bar → 2000 (beat 4);  now 500, 1/4 → 500
 * ```
 */
export function nextOnGrid(grid: BeatGrid, now: number, onBeat: OnBeat): { readonly at: number; readonly beat: number } {
  const step = onBeatBeats(onBeat, grid.beatsPerBar);
  const position = grid.anchorBeat + (now - grid.anchorAt) / grid.periodMs;
  // `+ 0`: no beat -0.
  const beat = Math.ceil(position / step - ON_TIME_MS) * step + 0;
  return { at: grid.anchorAt + (beat - grid.anchorBeat) * grid.periodMs, beat };
}

/** One beat as the clock heard (followed) or made (fixed) it. */
export interface Beat {
  /** Scheduler time (ms). */
  readonly at: number;
  /** Its number: a multiple of `beatsPerBar` is a downbeat. */
  readonly beat: number;
  readonly bpm: number;
  readonly beatsPerBar: number;
}

/** What {@link BEAT_CLOCK} provides. */
export interface BeatClock {
  /** The grid now; undefined while the clock has no tempo (no beats yet, or they stopped). */
  grid(): BeatGrid | undefined;
  /** Every beat as it happens (hot: nothing is replayed). */
  readonly beats$: Observable<Beat>;
}

/** The pipeline's clock in `resources.services` (provided by the CLI or `runVirtual`; read by `control` and `overlay`). */
export const BEAT_CLOCK = serviceKey<BeatClock>('beatClock');

const OSC_ADDRESS = /^\/[^\s#*,?[\]{}]*$/;

export const ClockFollowSettings = z
  .strictObject({
    listen: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'Expected host:port, such as 127.0.0.1:9000')
      .default('127.0.0.1:9000')
      .describe('UDP address the clock listens on for OSC (`0.0.0.0:9000` to hear another machine).'),
    beat_address: z
      .string()
      .regex(OSC_ADDRESS, 'Expected an OSC address such as /clock/beat')
      .default('/clock/beat')
      .describe('Address of a beat (one message per beat; an optional int argument is the beat number, 0, 4, 8… downbeats).'),
    tempo_address: z
      .string()
      .regex(OSC_ADDRESS, 'Expected an OSC address such as /tempo')
      .default('/tempo')
      .describe('Address of the tempo in BPM (a float or int), when the sender knows it; it replaces the estimate from beats.'),
    lost_after: duration()
      .prefault('2s')
      .describe('With no beat for this long the clock is lost: `on_beat` changes apply at once until beats return.'),
  })
  .describe('Follow a clock sent over OSC (Max, Pd, a DAW bridge).');

export const ClockSettings = z
  .strictObject({
    bpm: z.number().min(20).max(400).optional().describe('A fixed tempo, in beats per minute; beat 0 is when the pipeline starts.'),
    follow: ClockFollowSettings.optional(),
    beats_per_bar: z.number().int().min(1).max(32).default(4).describe('Beats in a bar, for `on_beat: bar` and the overlay.'),
  })
  .superRefine((v, ctx) => {
    if ((v.bpm === undefined) === (v.follow === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'A clock has either `bpm` (fixed) or `follow` (an OSC clock), not both or neither' });
    }
  })
  .describe('The pipeline clock: a fixed tempo or one followed over OSC; `control` variables with `on_beat` land their changes on it.');
export type ClockSettings = z.output<typeof ClockSettings>;

/**
 * A clock at a fixed tempo, beat 0 at the time it is made; `beats$` ticks on `scheduler`
 * at drift-free absolute times (beat n at start + n × period).
 */
export function fixedClock(bpm: number, beatsPerBar: number, scheduler: SchedulerLike): BeatClock {
  const grid: BeatGrid = { anchorAt: scheduler.now(), anchorBeat: 0, periodMs: 60_000 / bpm, beatsPerBar };
  const beats$ = new Observable<Beat>((subscriber) => {
    const first = nextOnGrid(grid, scheduler.now(), '1/4');
    let beat = first.beat;
    return scheduler.schedule(function tick(this: SchedulerAction<undefined>) {
      const at = grid.anchorAt + beat * grid.periodMs;
      subscriber.next({ at, beat, bpm, beatsPerBar });
      beat += 1;
      this.schedule(undefined, Math.max(0, grid.anchorAt + beat * grid.periodMs - scheduler.now()));
    }, Math.max(0, first.at - scheduler.now()));
  });
  return { grid: () => grid, beats$ };
}
