import type { SourceDefinition } from '../core/component.js';

/** Every source, alphabetically. */
export const sourceComponents: readonly SourceDefinition[] = [];
