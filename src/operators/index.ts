import type { OperatorDefinition } from '../core/component.js';

/** Every operator, alphabetically. */
export const operatorComponents: readonly OperatorDefinition[] = [];
