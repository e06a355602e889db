import type { SourceDefinition } from '../core/component.js';
import { kickComponent } from './kick/index.js';
import { replayComponent } from './replay.js';
import { simulateComponent } from './simulate/index.js';
import { twitchComponent } from './twitch/index.js';
import { youtubeComponent } from './youtube/index.js';

/** Every source, alphabetically. */
export const sourceComponents: readonly SourceDefinition[] = [kickComponent, replayComponent, simulateComponent, twitchComponent, youtubeComponent];

/** Reading a recording (the `file` sink's JSONL) the way `replay` does, for what-if runs. */
export { parseRecordedLine, recordedGap } from './replay.js';
