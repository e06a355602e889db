/**
 * `redis_state`: the live state of the show in Redis (docs/storage.md): active variables
 * (value, who, when) in a hash capped by least-recently-set eviction, system state (paused,
 * locked, last command, latency) in another, and every control change published on a channel.
 */
import { z } from 'zod';
import { defineSink, type Sink } from '../core/component.js';
import { NotConnectedError } from '../core/errors.js';
import type { ChatflowEvent, CommandEvent } from '../core/events.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { type ChatflowRedis, createRedis, whenReady } from '../resources/redisClient.js';
import { ResourceOffSink } from './shared/resourceOff.js';
import { defaultEventKey } from '../core/eventKey.js';
import { provide } from '../core/services.js';
import { RESTORED_VARIABLES } from '../core/variables.js';

export const RedisStateConfig = z
  .strictObject({
    prefix: z
      .string()
      .default('chatflow:')
      .describe('Prefix of every key and of the channel, so several shows can share one Redis.'),
    max_variables: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('Most variables kept in `<prefix>variables`; the least recently set are evicted beyond it.'),
    channel: z
      .string()
      .min(1)
      .default('control')
      .describe('Pub/sub channel (after the prefix) every control change is published on, as JSON.'),
    restore: z
      .boolean()
      .default(false)
      .describe(
        'Read by `control` operators at start: their variables begin from the values stored here (origin `restore`) instead of their defaults.',
      ),
  })
  .describe('Live state in Redis.');
export type RedisStateConfig = z.output<typeof RedisStateConfig>;

/** Commands that change the system state hash. */
const STATE_COMMANDS: Readonly<Record<string, readonly [string, string]>> = {
  pause: ['paused', '1'],
  resume: ['paused', '0'],
  lock: ['locked', '1'],
  unlock: ['locked', '0'],
};

/**
 * The state field an admin command changes (`!cv pause` → paused = 1), for broadcasters and
 * mods only (control's default `admin_roles`); `undefined` for every other command.
 */
function stateChange(event: CommandEvent): readonly [string, string] | undefined {
  const verb = typeof event.args.subcommand === 'string' ? event.args.subcommand : event.name;
  const change = STATE_COMMANDS[verb];
  if (!change) return undefined;
  const roles = event.chat.author.roles;
  return roles.includes('broadcaster') || roles.includes('mod') ? change : undefined;
}

/** Keys of the state in Redis, from the prefix. */
export function redisStateKeys(prefix: string) {
  return {
    variables: `${prefix}variables`,
    lru: `${prefix}variables:lru`,
    state: `${prefix}state`,
  };
}

/**
 * One write of a batch, in order: what {@link RedisStateSink} sends (values stored or
 * published as JSON are the objects here) and, as they are, what its preview shows.
 * `set_variable` sets the hash field and the variable's place in the LRU index in one script.
 */
export type RedisStateWrite =
  | { readonly command: 'set_variable'; readonly key: string; readonly field: string; readonly value: StoredValue }
  | { readonly command: 'publish'; readonly channel: string; readonly message: { readonly variable: string } & StoredValue }
  | { readonly command: 'hset'; readonly key: string; readonly fields: Readonly<Record<string, string>> };

/** A variable as stored (as JSON) in `<prefix>variables`. */
export interface StoredValue {
  readonly value: number;
  readonly previous: number;
  readonly origin: string;
  readonly by: { readonly login: string; readonly platform: string } | null;
  readonly at: number;
  readonly instance: string;
}

/** What {@link planStateWrites} needs besides the batch. */
export interface StateWriteContext {
  readonly keys: ReturnType<typeof redisStateKeys>;
  readonly channel: string;
  readonly instance: string;
  /** Monotonic clock (ms) for latency from `receivedAt`. */
  readonly clock: () => number;
  /** Wall clock (ms) for `updated_at`. */
  readonly now: () => number;
}

/**
 * The writes of one batch: per control change its variable (JSON: value, previous, origin,
 * by, at, instance) and its publication; then, when a command or a change touched it, the
 * state hash (paused/locked, last command, latency, updated_at, instance) once.
 */
export function planStateWrites(batch: readonly ChatflowEvent[], ctx: StateWriteContext): RedisStateWrite[] {
  const writes: RedisStateWrite[] = [];
  const state: Record<string, string> = {};
  for (const event of batch) {
    if (event.kind === 'control') {
      const value: StoredValue = {
        value: event.value,
        previous: event.previous,
        origin: event.origin,
        by: event.by ?? null,
        at: event.ts,
        instance: ctx.instance,
      };
      writes.push({ command: 'set_variable', key: ctx.keys.variables, field: event.variable, value });
      writes.push({ command: 'publish', channel: ctx.channel, message: { variable: event.variable, ...value } });
      state.latency_ms = String(Math.max(0, Math.round((ctx.clock() - event.receivedAt - (event.heldMs ?? 0)) * 100) / 100));
    } else if (event.kind === 'command') {
      const change = stateChange(event);
      if (change) state[change[0]] = change[1];
      state.last_command = JSON.stringify({
        name: event.name,
        args: event.args,
        by: { login: event.chat.author.login, platform: event.chat.platform },
        at: event.chat.ts,
      });
    }
  }
  if (Object.keys(state).length > 0) {
    state.updated_at = String(ctx.now());
    state.instance = ctx.instance;
    writes.push({ command: 'hset', key: ctx.keys.state, fields: state });
  }
  return writes;
}

/** The key of `latest_per_key`: a variable, a state field, or the last command. */
export function redisStateKey(event: ChatflowEvent): string {
  if (event.kind === 'command') {
    const change = stateChange(event);
    return change ? `state:${change[0]}` : 'state:last_command';
  }
  return defaultEventKey(event) ?? event.kind; // other kinds are not written here
}

/** Collaborators of {@link RedisStateSink}. */
export interface RedisStateDeps {
  readonly client: () => ChatflowRedis;
  readonly instance: string;
  /** Monotonic clock (ms) for latency from `receivedAt`. */
  readonly clock: () => number;
  /** Wall clock (ms) for `updated_at`: the context's `wallClock`. */
  readonly now: () => number;
  readonly logger?: Logger;
}

/** A variable as the sink last wrote (or is writing) it. */
interface StoredVariable {
  readonly json: string;
  readonly at: number;
}

/**
 * Writes each batch as one auto-pipelined round of commands. While Redis is down a write
 * throws `NotConnectedError` at once (no offline queue), the driver retries with backoff and its
 * `latest_per_key` buffer keeps only the newest value per variable, written back on reconnect.
 *
 * Redis may come back empty (restarted without persistence), so the sink also keeps the whole
 * current state it was given (every variable, capped like Redis at `max_variables`, and the
 * state fields) and writes it again each time the client becomes ready after the first, before
 * any retried batch: variables no one changed during the outage (a default sent once at start)
 * are back too. A variable Redis holds a newer value of, and a state field it still has, are
 * left as they are.
 */
export class RedisStateSink implements Sink<ChatflowEvent> {
  readonly #id: string;
  readonly #config: RedisStateConfig;
  readonly #deps: RedisStateDeps;
  readonly #keys: ReturnType<typeof redisStateKeys>;
  readonly #channel: string;
  readonly #log: Logger;
  #client: ChatflowRedis | undefined;
  /** The current variables, least recently set first, at most `max_variables`. */
  readonly #variables = new Map<string, StoredVariable>();
  /** The current fields of the state hash. */
  readonly #state: Record<string, string> = {};
  /** Variables evicted by the cap since start. */
  evicted = 0;
  /** Times the whole current state was written again after a reconnect. */
  reseeded = 0;

  constructor(id: string, config: RedisStateConfig, deps: RedisStateDeps) {
    this.#id = id;
    this.#config = config;
    this.#deps = deps;
    this.#keys = redisStateKeys(config.prefix);
    this.#channel = `${config.prefix}${config.channel}`;
    this.#log = deps.logger ?? silentLogger();
  }

  async start(): Promise<void> {
    if (!this.#client) {
      const client = this.#deps.client();
      this.#client = client;
      // 'ready' comes on every (re)connect, before any command of a retried batch can go out.
      client.on('ready', () => this.#reseed(client));
    }
    try {
      await whenReady(this.#client, 2000);
    } catch (err) {
      throw new NotConnectedError(this.#id, { cause: err });
    }
  }

  /** Only the newest control value per variable (and the newest of each state field) waits. */
  keyOf(event: ChatflowEvent): string {
    return redisStateKey(event);
  }

  async write(batch: readonly ChatflowEvent[]): Promise<void> {
    const client = this.#client;
    if (client?.status !== 'ready') throw new NotConnectedError(this.#id);
    const k = this.#keys;
    const pending: Promise<unknown>[] = [];
    for (const op of this.#plan(batch)) {
      if (op.command === 'set_variable') {
        const json = JSON.stringify(op.value);
        const at = op.value.at;
        this.#remember(op.field, { json, at });
        pending.push(
          client.setVariable(k.variables, k.lru, op.field, json, at, this.#config.max_variables).then((n) => {
            this.evicted += n;
          }),
        );
      } else if (op.command === 'publish') {
        pending.push(client.publish(op.channel, JSON.stringify(op.message)));
      } else {
        Object.assign(this.#state, op.fields);
        pending.push(client.hset(op.key, op.fields));
      }
    }
    try {
      await Promise.all(pending);
    } catch (err) {
      this.#log.debug({ err }, 'Redis write failed.');
      throw new NotConnectedError(this.#id, { cause: err });
    }
  }

  #plan(batch: readonly ChatflowEvent[]): RedisStateWrite[] {
    return planStateWrites(batch, {
      keys: this.#keys,
      channel: this.#channel,
      instance: this.#deps.instance,
      clock: this.#deps.clock,
      now: this.#deps.now,
    });
  }

  /** Keeps `variable` as the most recently set, forgetting the least recently set beyond the cap. */
  #remember(variable: string, stored: StoredVariable): void {
    this.#variables.delete(variable);
    this.#variables.set(variable, stored);
    if (this.#variables.size > this.#config.max_variables) {
      const oldest = this.#variables.keys().next();
      if (!oldest.done) this.#variables.delete(oldest.value);
    }
  }

  /** Writes the whole current state again (Redis may have come back empty). */
  #reseed(client: ChatflowRedis): void {
    if (client !== this.#client || (this.#variables.size === 0 && Object.keys(this.#state).length === 0)) return;
    const k = this.#keys;
    const pending: Promise<unknown>[] = [];
    for (const [name, { json, at }] of this.#variables) {
      pending.push(client.seedVariable(k.variables, k.lru, name, json, at, this.#config.max_variables));
    }
    for (const [field, value] of Object.entries(this.#state)) pending.push(client.hsetnx(k.state, field, value));
    Promise.all(pending).then(
      () => {
        this.reseeded += 1;
        this.#log.info({ variables: this.#variables.size }, 'Redis is back; the current state was written again.');
      },
      // Redis went away again; the next 'ready' writes it all once more.
      (err: unknown) => this.#log.debug({ err }, 'Writing the current state again failed.'),
    );
  }

  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }
}

/**
 * The variables stored by `redis_state` (for `restore: true`): name → last value.
 * Resolves to an empty map when Redis cannot be read within `timeoutMs`.
 */
export async function readStoredVariables(
  url: string,
  prefix: string,
  timeoutMs = 2000,
): Promise<Map<string, number>> {
  const client = createRedis(url, 'chatflow-restore');
  try {
    await whenReady(client, timeoutMs);
    const raw = await client.hgetall(redisStateKeys(prefix).variables);
    const values = new Map<string, number>();
    for (const [name, json] of Object.entries(raw)) {
      const value = (JSON.parse(json) as { value?: unknown }).value;
      if (typeof value === 'number' && Number.isFinite(value)) values.set(name, value);
    }
    return values;
  } catch {
    return new Map();
  } finally {
    client.disconnect();
  }
}

export const redisStateComponent = defineSink({
  type: 'redis_state',
  summary: 'Keeps the live state (variables, paused/locked, last command, latency) in Redis and publishes control changes.',
  description:
    'Uses `resources.redis.url` (default `embedded`); without it the sink is off, as logged once at start. Variables go to the hash `<prefix>variables` (JSON: value, previous, origin, by, at), capped at `max_variables` by least-recently-set eviction (`<prefix>variables:lru`); `!pause`/`!resume`/`!lock`/`!unlock`, the last command and the latency go to `<prefix>state`; each control change is published on `<prefix><channel>`. While Redis is down the rest of the pipeline is unaffected and only the newest value per variable waits (`when_full: latest_per_key`); after every reconnect the whole current state is written again, so a Redis that restarted empty gets every variable back. See docs/storage.md.',
  config: RedisStateConfig,
  driver: {
    bufferMax: 10_000,
    whenFull: 'latest_per_key',
    batchMax: 500,
    batchTimeoutMs: 0,
    retryAttempts: 100_000,
    initialBackoffMs: 50,
    maxBackoffMs: 1_000,
    flushTimeoutMs: 3_000,
  },
  examples: ['max_variables: 200', 'prefix: "show1:"\nchannel: cv\nrestore: true'],
  needs: () => ['redis'],
  // `restore: true`: control variables start from the last stored values, read once before
  // the components are created.
  prepare: async (config, ctx) => {
    if (!config.restore || ctx.redis === undefined) return [];
    const values = await readStoredVariables(ctx.redis.url, config.prefix);
    ctx.logger.info({ variables: values.size }, 'Variables restored from Redis.');
    return [provide(RESTORED_VARIABLES, values)];
  },
  preview: (config, ctx, emit) => {
    const write: StateWriteContext = {
      keys: redisStateKeys(config.prefix),
      channel: `${config.prefix}${config.channel}`,
      instance: ctx.resources.instance,
      clock: ctx.clock,
      now: ctx.wallClock,
    };
    return {
      write: (batch) => {
        for (const op of planStateWrites(batch, write)) emit(op);
      },
      keyOf: redisStateKey,
    };
  },
  create: (config, ctx) => {
    const url = ctx.resources.redis?.url;
    if (url === undefined) return new ResourceOffSink(ctx.metrics);
    return new RedisStateSink(ctx.id, config, {
      client: () => createRedis(url, `chatflow-${ctx.id}`),
      instance: ctx.resources.instance,
      clock: ctx.clock,
      now: ctx.wallClock,
      logger: ctx.logger,
    });
  },
});
