import type { SourceDefinition } from '../core/component.js';
import { kickComponent } from './kick/index.js';
import { replayComponent } from './replay.js';
import { simulateComponent } from './simulate/index.js';
import { twitchComponent } from './twitch/index.js';
import { twitchEventsComponent } from './twitchEvents/index.js';
import { youtubeComponent } from './youtube/index.js';

/** Every source, alphabetically. */
export const sourceComponents: readonly SourceDefinition[] = [kickComponent, replayComponent, simulateComponent, twitchComponent, twitchEventsComponent, youtubeComponent];
