/**
 * What a node keeps across restarts of its stream: a source's dedupe window and room state, and
 * later whatever must survive a live reload. The runtime owns one per node id and hands it to
 * the node as `ctx.state`, so no component keeps state in module-level maps (STYLE §6.2).
 *
 * ```ts
 * const session = ctx.state.get('session', createTwitchNodeState);
 * ```
 */
export class NodeState {
  readonly #values = new Map<string, unknown>();

  /** The value kept under `key`, made by `init` the first time it is asked for. */
  get<T>(key: string, init: () => T): T {
    if (this.#values.has(key)) return this.#values.get(key) as T;
    const value = init();
    this.#values.set(key, value);
    return value;
  }

  /** Whether a value is kept under `key`. */
  has(key: string): boolean {
    return this.#values.has(key);
  }

  /** Forgets everything (the node left the pipeline). */
  clear(): void {
    this.#values.clear();
  }
}
