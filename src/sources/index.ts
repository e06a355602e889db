import type { SourceDefinition } from '../core/component.js';
import { replayComponent } from './replay.js';
import { simulateComponent } from './simulate.js';

/** Every source, alphabetically. */
export const sourceComponents: readonly SourceDefinition[] = [replayComponent, simulateComponent];
