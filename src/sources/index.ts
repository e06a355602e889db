import type { SourceDefinition } from '../core/component.js';
import { kickComponent } from './kick.js';
import { replayComponent } from './replay.js';
import { simulateComponent } from './simulate.js';
import { twitchComponent } from './twitch.js';
import { youtubeComponent } from './youtube.js';

/** Every source, alphabetically. */
export const sourceComponents: readonly SourceDefinition[] = [kickComponent, replayComponent, simulateComponent, twitchComponent, youtubeComponent];
