/**
 * The pipeline clock of `clock:` (src/core/beatClock.ts), ready to provide as `BEAT_CLOCK`: a
 * fixed tempo, or a clock followed over OSC: a UDP socket that hears `/clock/beat` and
 * `/tempo` (as Max, Pd or a DAW bridge send them) and estimates the grid from the beats.
 */
import { createSocket, type Socket } from 'node:dgram';
import osc, { type OscArgument, type OscBundle, type OscMessage } from 'osc';
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { type Beat, type BeatClock, type BeatGrid, bpmOf, type ClockSettings, fixedClock } from '../core/beatClock.js';
import { PipelineError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { TempoEstimator } from '../core/tempoEstimator.js';

type FollowSettings = NonNullable<ClockSettings['follow']>;

/** Collaborators of {@link openClock} and {@link OscClock}. */
export interface ClockDeps {
  /** The pipeline's scheduler: beats are timed, and `on_beat` changes scheduled, on it. */
  readonly scheduler: SchedulerLike;
  readonly logger?: Logger;
}

/** A clock that may hold a socket: start it before the pipeline, close it after. */
export interface RunningClock {
  readonly clock: BeatClock;
  close(): Promise<void>;
}

/**
 * Makes the clock of a `clock:` section: fixed (`bpm`), or followed over OSC (`follow`), then
 * listening. Provide `clock` as `BEAT_CLOCK`; `close` when the pipeline has stopped.
 *
 * @throws PipelineError `ERR_RESOURCE` (stage `config`) when the follow address cannot be bound.
 */
export async function openClock(settings: ClockSettings, deps: ClockDeps): Promise<RunningClock> {
  const logger = (deps.logger ?? silentLogger()).child({ component: 'clock' });
  if (settings.follow === undefined) {
    const bpm = settings.bpm ?? 120;
    logger.info({ bpm, beatsPerBar: settings.beats_per_bar }, 'Clock running at a fixed tempo.');
    return { clock: fixedClock(bpm, settings.beats_per_bar, deps.scheduler), close: async () => {} };
  }
  const follower = new OscClock(settings.follow, settings.beats_per_bar, { ...deps, logger });
  await follower.listen();
  return { clock: follower, close: () => follower.close() };
}

/** What an {@link OscClock} heard, for tests and logs. */
export interface OscClockStats {
  /** Beats used for the grid. */
  beats: number;
  /** Beats left out (off the grid: a double trigger, a stalled sender). */
  rejected: number;
  /** Tempo messages used. */
  tempos: number;
  /** Datagrams that were not OSC, and messages at other addresses or with unusable arguments. */
  malformed: number;
  ignored: number;
}

/**
 * A clock followed over OSC: each datagram is stamped with the scheduler's time when it is
 * read, beats go through a {@link TempoEstimator}, and {@link grid} answers from it. A beat
 * that fits is passed on to `beats$` (numbered on the grid, with the tempo). Bundles are
 * unpacked; their timetags are not used (Max and Pd send none).
 */
export class OscClock implements BeatClock {
  readonly stats: OscClockStats = { beats: 0, rejected: 0, tempos: 0, malformed: 0, ignored: 0 };
  readonly #settings: FollowSettings;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;
  readonly #estimator: TempoEstimator;
  readonly #listeners = new Set<(beat: Beat) => void>();
  #socket: Socket | undefined;
  #lostCheck: Subscription | undefined;
  #locked = false;

  readonly beats$ = new Observable<Beat>((subscriber) => {
    const listener = (beat: Beat) => subscriber.next(beat);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  });

  constructor(settings: FollowSettings, beatsPerBar: number, deps: ClockDeps) {
    this.#settings = settings;
    this.#scheduler = deps.scheduler;
    this.#logger = deps.logger ?? silentLogger();
    this.#estimator = new TempoEstimator({ beatsPerBar, lostAfterMs: settings.lost_after });
  }

  grid(): BeatGrid | undefined {
    return this.#estimator.grid(this.#scheduler.now());
  }

  /** Binds the UDP socket of `follow.listen`. */
  async listen(): Promise<void> {
    const { host, port } = splitListen(this.#settings.listen);
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    socket.on('message', (data) => this.receive(data));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) =>
        reject(
          new PipelineError('ERR_RESOURCE', 'config', `Cannot listen for the clock on ${this.#settings.listen}: ${err.message}`, {
            cause: err,
          }),
        ),
      );
      socket.bind(port, host, () => resolve());
    });
    socket.on('error', (err) => this.#logger.warn({ err }, 'Clock socket failed.'));
    this.#socket = socket;
    this.#logger.info(
      { listen: this.#settings.listen, beat: this.#settings.beat_address, tempo: this.#settings.tempo_address },
      'Clock listening for OSC beats; on_beat changes apply at once until beats arrive.',
    );
  }

  /** The port actually bound (`listen` may ask for port 0). */
  get port(): number | undefined {
    return this.#socket?.address().port;
  }

  /** One datagram, read at `at` (scheduler time). */
  receive(data: Uint8Array, at = this.#scheduler.now()): void {
    let packet: OscMessage | OscBundle;
    try {
      packet = osc.readPacket(data, { metadata: true });
    } catch (err) {
      this.stats.malformed += 1;
      this.#logger.debug({ err }, 'Clock datagram is not OSC; ignored.');
      return;
    }
    for (const message of messagesOf(packet)) this.#message(message, at);
  }

  async close(): Promise<void> {
    this.#lostCheck?.unsubscribe();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #message(message: OscMessage, at: number): void {
    const first = (message.args as OscArgument[] | undefined)?.[0];
    const value = first && typeof first.value === 'number' && Number.isFinite(first.value) ? first.value : undefined;
    if (message.address === this.#settings.beat_address) {
      const number = value !== undefined && Number.isInteger(value) && value >= 0 ? value : undefined;
      const verdict = this.#estimator.beat(at, number);
      if (verdict === 'rejected') {
        this.stats.rejected += 1;
        return;
      }
      this.stats.beats += 1;
      this.#watch();
      const grid = this.#estimator.grid(at);
      if (!grid) return;
      if (!this.#locked) {
        this.#locked = true;
        this.#logger.info({ bpm: Math.round(bpmOf(grid) * 10) / 10 }, 'Clock following the beats.');
      }
      const beat: Beat = { at, beat: grid.anchorBeat, bpm: bpmOf(grid), beatsPerBar: grid.beatsPerBar };
      for (const listener of [...this.#listeners]) listener(beat);
    } else if (message.address === this.#settings.tempo_address) {
      if (value === undefined) {
        this.stats.malformed += 1;
        return;
      }
      this.stats.tempos += 1;
      this.#estimator.tempo(value);
    } else {
      this.stats.ignored += 1;
    }
  }

  /** Says once when beats stop for `lost_after` (the estimator has already let go of the grid). */
  #watch(): void {
    this.#lostCheck?.unsubscribe();
    this.#lostCheck = this.#scheduler.schedule(() => {
      if (!this.#locked) return;
      this.#locked = false;
      this.#logger.warn({ lostAfterMs: this.#settings.lost_after }, 'Clock lost: no beat arrived; on_beat changes apply at once.');
    }, this.#settings.lost_after + 1);
  }
}

function* messagesOf(packet: OscMessage | OscBundle): Generator<OscMessage> {
  if ('packets' in packet) for (const p of packet.packets) yield* messagesOf(p);
  else yield packet;
}

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i), port: Number(listen.slice(i + 1)) };
}
