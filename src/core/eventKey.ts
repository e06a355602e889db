/**
 * Which events supersede each other: the key a sink buffer conflates by (`when_full:
 * latest_per_key`), also the identity the storage sinks write under.
 */
import type { ChatflowEvent } from './events.js';

/**
 * The default key for `latest_per_key`: a control event by its variable, a metric by name and
 * labels, anything else by its identity (so only duplicates of the same message supersede).
 */
export function defaultEventKey(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || !('kind' in event)) return undefined;
  const e = event as ChatflowEvent;
  switch (e.kind) {
    case 'control':
      return `control:${e.variable}`;
    case 'metric': {
      const labels = Object.keys(e.labels)
        .sort()
        .map((k) => `${k}=${e.labels[k]}`)
        .join(',');
      return `metric:${e.name}{${labels}}`;
    }
    case 'chat':
      return `${e.platform}:${e.id}`;
    case 'platform':
      return `platform:${e.platform}:${e.id}`;
    case 'command':
    case 'moderation':
      return `${e.kind}:${e.chat.platform}:${e.chat.id}`;
    case 'reply':
      return undefined;
  }
}
