import type { SourceDefinition } from '../core/component.js';
import { replayComponent } from './replay.js';
import { simulateComponent } from './simulate.js';
import { twitchComponent } from './twitch.js';

/** Every source, alphabetically. */
export const sourceComponents: readonly SourceDefinition[] = [replayComponent, simulateComponent, twitchComponent];
