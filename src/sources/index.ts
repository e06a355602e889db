import type { SourceDefinition } from '../core/component.js';
import { kickComponent } from './kick/index.js';
import { replayComponent } from './replay.js';
import { simulateComponent } from './simulate/index.js';
import { twitchComponent } from './twitch/index.js';
import { youtubeComponent } from './youtube/index.js';

/** Every source, alphabetically. */
export const sourceComponents: readonly SourceDefinition[] = [kickComponent, replayComponent, simulateComponent, twitchComponent, youtubeComponent];

/** A recording's line as `replay` reads it, and the spacing of two recorded events (`chatflow test`). */
export { distance as recordedDistance, parseLine as parseRecordedLine } from './replay.js';
