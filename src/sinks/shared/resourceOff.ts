/** What a storage sink (postgres, redis_state) becomes when its server is off or not configured. */
import type { Sink } from '../../core/component.js';
import type { ChatflowEvent } from '../../core/events.js';
import { type DropCounter, NO_DROPS } from '../../core/metrics.js';

/** Stands in for a storage sink whose server is off or missing: counts, writes nothing. */
export class ResourceOffSink implements Sink<ChatflowEvent> {
  constructor(private readonly drops: DropCounter = NO_DROPS) {}

  write(batch: readonly ChatflowEvent[]): void {
    this.drops.drop('resource_off', true, batch.length);
  }
}
