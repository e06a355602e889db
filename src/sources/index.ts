import type { SourceDefinition } from '../core/component.js';
import { kickComponent } from './kick/kick.js';
import { replayComponent } from './replay.js';
import { simulateComponent } from './simulate/simulate.js';
import { twitchComponent } from './twitch/twitch.js';
import { youtubeComponent } from './youtube/youtube.js';

/** Every source, alphabetically. */
export const sourceComponents: readonly SourceDefinition[] = [kickComponent, replayComponent, simulateComponent, twitchComponent, youtubeComponent];
