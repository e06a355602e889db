import type { OperatorDefinition } from '../core/component.js';
import { controlComponent } from './control.js';
import { filterComponent } from './filter.js';
import { parseCommandComponent } from './parseCommand.js';
import { routeComponent } from './route.js';
import { voteComponent } from './vote.js';

/** Every operator, alphabetically by type. */
export const operatorComponents: readonly OperatorDefinition[] = [
  controlComponent,
  filterComponent,
  parseCommandComponent,
  routeComponent,
  voteComponent,
];
