import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { ComponentContext } from '../../src/core/component.js';
import { silentLogger } from '../../src/core/logger.js';
import { NodeMetrics, type NodeKind, type SourceHealth } from '../../src/core/metrics.js';
import { NodeState } from '../../src/core/nodeState.js';

export interface TestContext extends ComponentContext {
  readonly metrics: NodeMetrics;
  /** Every health the component reported, in order. */
  readonly healths: SourceHealth[];
}

/** A component context for unit tests: silent logger, fresh metrics, the given scheduler. */
export function testContext(
  options: { id?: string; kind?: NodeKind; type?: string; scheduler?: SchedulerLike; baseDir?: string } = {},
): TestContext {
  const scheduler = options.scheduler ?? asyncScheduler;
  const healths: SourceHealth[] = [];
  const id = options.id ?? 'node';
  return {
    id,
    logger: silentLogger(),
    scheduler,
    clock: () => scheduler.now(),
    wallClock: () => scheduler.now(),
    metrics: new NodeMetrics(id, options.kind ?? 'operator', options.type ?? 'test'),
    resources: { baseDir: options.baseDir ?? process.cwd(), instance: 'test' },
    setHealth: (health) => healths.push(health),
    state: new NodeState(),
    healths,
  };
}
