import type { SourceDefinition } from '../core/component.js';
import { kickComponent } from './kick/index.js';
import { replayComponent } from './replay.js';
import { simulateComponent } from './simulate/index.js';
import { twitchComponent } from './twitch/index.js';
import { twitchEventsComponent } from './twitchEvents/index.js';
import { youtubeComponent } from './youtube/index.js';

/** A recording's lines as `replay` reads them, with why one is skipped, and their spacing (`chatflow whatif`). */
export { distance as recordedGap, readRecordedLine } from './replay.js';

/** Every source, alphabetically. */
export const sourceComponents: readonly SourceDefinition[] = [kickComponent, replayComponent, simulateComponent, twitchComponent, twitchEventsComponent, youtubeComponent];
