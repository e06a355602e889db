/**
 * Sets `key` in `map`, first forgetting its oldest key (the first inserted) when the map already
 * holds `max` others: memory bounded whatever the names chat makes up.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}
