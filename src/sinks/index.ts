import type { SinkDefinition } from '../core/component.js';

/** Every sink, alphabetically. */
export const sinkComponents: readonly SinkDefinition[] = [];
