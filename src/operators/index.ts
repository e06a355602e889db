import type { OperatorDefinition } from '../core/component.js';
import { controlComponent } from './control.js';
import { cooldownComponent } from './cooldown.js';
import { dedupeComponent } from './dedupe.js';
import { filterComponent } from './filter.js';
import { normalizeComponent } from './normalize.js';
import { parseCommandComponent } from './parseCommand.js';
import { routeComponent } from './route.js';
import { throttleComponent } from './throttle.js';
import { voteComponent } from './vote.js';

/** Every operator, alphabetically by type. */
export const operatorComponents: readonly OperatorDefinition[] = [
  controlComponent,
  cooldownComponent,
  dedupeComponent,
  filterComponent,
  normalizeComponent,
  parseCommandComponent,
  routeComponent,
  throttleComponent,
  voteComponent,
];
