/**
 * Process-wide services only some components use (`resources.services`): each is named by a
 * typed key declared in core/, next to the service's type, so the component that offers one and
 * the component that uses it need not import each other, and `Resources` does not grow a field
 * per component.
 */

/** The name of one service and, in its type parameter, the type of its value. */
export interface ServiceKey<T> {
  readonly name: string;
  /** Never set: carries `T` so `get` is typed. */
  readonly type?: T;
}

export function serviceKey<T>(name: string): ServiceKey<T> {
  return { name };
}

/** One service's value under its key (made by {@link provide}). */
export interface Provided {
  readonly key: ServiceKey<unknown>;
  readonly value: unknown;
}

export function provide<T>(key: ServiceKey<T>, value: T): Provided {
  return { key, value };
}

/** A read-only lookup of services by key. */
export class Services {
  readonly #values: ReadonlyMap<ServiceKey<unknown>, unknown>;

  constructor(provided: readonly Provided[] = []) {
    this.#values = new Map(provided.map((p) => [p.key, p.value]));
  }

  /** The service under `key`, or undefined when nothing in this process provides it. */
  get<T>(key: ServiceKey<T>): T | undefined {
    return this.#values.get(key) as T | undefined;
  }

  /** The names of the services provided, for logs. */
  names(): string[] {
    return [...this.#values.keys()].map((k) => k.name);
  }
}
