/**
 * The sink a virtual run puts in place of each real one: built from the sink definition's
 * `preview` fact, it records what the real sink would have sent and does no I/O.
 */
import type { ComponentContext, PreviewOutput, Sink, SinkDefinition, SinkPreview } from '../core/component.js';
import { PipelineError } from '../core/errors.js';
import type { ChatflowEvent } from '../core/events.js';
import type { VirtualScheduler } from './virtualScheduler.js';

/** What one sink would have sent for one written batch (see `runVirtual`). */
export interface CapturedOutput {
  /** Virtual ms of the write (or of the later send, for a value a sink held back). */
  readonly at: number;
  /** Node id. */
  readonly sink: string;
  /** Sink type (osc, overlay, postgres, ...). */
  readonly type: string;
  /** The sink's preview, JSON-able. */
  readonly output: PreviewOutput;
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A {@link Sink} over a {@link SinkPreview}: asynchronous results are tracked by the scheduler. */
class CaptureSink implements Sink<ChatflowEvent> {
  readonly keyOf?: (event: ChatflowEvent) => string;

  constructor(
    private readonly preview: SinkPreview,
    private readonly scheduler: Pick<VirtualScheduler, 'track'>,
  ) {
    const keyOf = preview.keyOf;
    if (keyOf) this.keyOf = (event) => keyOf.call(preview, event);
  }

  write(batch: readonly ChatflowEvent[]): void | Promise<void> {
    const result = this.preview.write(batch);
    if (isThenable(result)) return Promise.resolve(this.scheduler.track(result));
  }

  stop(): Promise<void> {
    const result = this.preview.stop?.();
    return isThenable(result) ? Promise.resolve(this.scheduler.track(result)) : Promise.resolve();
  }
}

/**
 * The definition a virtual run uses for a sink node: the same type, config and driver defaults,
 * but `create` makes a {@link CaptureSink} whose outputs go to `record`.
 *
 * @throws PipelineError (ERR_CONFIG_INVALID) when the definition has no `preview`.
 */
export function captureDefinition(
  def: SinkDefinition,
  node: string,
  scheduler: Pick<VirtualScheduler, 'track'>,
  at: () => number,
  record: (output: CapturedOutput) => void,
): SinkDefinition {
  const preview = def.preview;
  if (preview === undefined) {
    throw new PipelineError(
      'ERR_CONFIG_INVALID',
      'config',
      `Sink "${node}" (type ${def.type}) has no preview, so it cannot run in virtual time.`,
      { node },
    );
  }
  return {
    ...def,
    create: (config, ctx: ComponentContext) => {
      const emit = (output: PreviewOutput) => record({ at: at(), sink: node, type: def.type, output });
      return new CaptureSink(preview(config, ctx, emit), scheduler);
    },
  };
}
