/**
 * The ioredis clients chatflow opens: auto-pipelined, no offline queue (a command while Redis is
 * down fails at once instead of piling up), reconnecting in the background, and the Lua scripts
 * of the shared limits (`throttle`/`cooldown` with `scope: redis`) defined with `defineCommand`
 * (EVALSHA, with an EVAL fallback after a `SCRIPT FLUSH` or a restart).
 */
import { Redis } from 'ioredis';

/**
 * One token bucket, atomically, in Redis time (so every instance shares one clock). Credits are
 * tokens × periodMs, as in the local store (src/operators/throttle/bucket.ts).
 * KEYS[1]: the bucket; ARGV: capacity, cost, per-ms refill, max wait (ms).
 * Returns 0 (taken), a positive wait in ms (reserved), or -1 (denied).
 */
const TAKE_TOKEN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local per = tonumber(ARGV[3])
local maxWait = tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[1], 'c', 'at')
local credits = tonumber(b[1])
local at = tonumber(b[2])
if credits == nil or at == nil then
  credits = cap
  at = now
elseif now > at then
  credits = math.min(cap, credits + (now - at) * per)
  at = now
end
local result
if credits >= cost then
  credits = credits - cost
  result = 0
elseif maxWait <= 0 then
  result = -1
else
  local wait = math.ceil((cost - credits) / per)
  if wait > maxWait then
    result = -1
  else
    credits = -wait * per
    result = wait
  end
end
redis.call('HSET', KEYS[1], 'c', credits, 'at', at)
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - credits) / per) + 1000)
return result
`;

/**
 * Sets one variable (JSON) and its last-set time, then evicts the least recently set ones
 * beyond the cap. KEYS[1]: hash, KEYS[2]: sorted set; ARGV: name, json, time (ms), cap.
 * Returns the number of variables evicted.
 */
const SET_VARIABLE = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over <= 0 then return 0 end
local old = redis.call('ZPOPMIN', KEYS[2], over)
for i = 1, #old, 2 do redis.call('HDEL', KEYS[1], old[i]) end
return over
`;

/**
 * {@link SET_VARIABLE}, unless Redis holds a newer value of the variable (a later last-set time,
 * written by another instance): re-seeding after a reconnect never overwrites newer state.
 * Returns the number of variables evicted (0 when skipped).
 */
const SEED_VARIABLE = `
local at = redis.call('ZSCORE', KEYS[2], ARGV[1])
if at and tonumber(at) > tonumber(ARGV[3]) then return 0 end
${SET_VARIABLE}`;

/**
 * One cooldown, atomically: the key exists (with a TTL) while it cools. KEYS[1]: the key;
 * ARGV: duration (ms), reply once (1/0). Returns {0, 0} when the event passes (cooldown
 * started), else {ms left, 1 when this event should get a reply}.
 */
const CHECK_COOLDOWN = `
if redis.call('SET', KEYS[1], '0', 'PX', ARGV[1], 'NX') then return {0, 0} end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then left = 1 end
if ARGV[2] ~= '1' then return {left, 1} end
if redis.call('GET', KEYS[1]) == '1' then return {left, 0} end
redis.call('SET', KEYS[1], '1', 'KEEPTTL')
return {left, 1}
`;

/** An ioredis client with chatflow's scripts. */
export interface ChatflowRedis extends Redis {
  takeToken(key: string, capacity: number, cost: number, perMs: number, maxWaitMs: number): Promise<number>;
  setVariable(hash: string, lru: string, name: string, json: string, at: number, cap: number): Promise<number>;
  seedVariable(hash: string, lru: string, name: string, json: string, at: number, cap: number): Promise<number>;
  checkCooldown(key: string, durationMs: number, replyOnce: 0 | 1): Promise<[number, number]>;
}

/**
 * Opens a client for `url` (connecting in the background; check `status === 'ready'`).
 * @param name The client name Redis shows in `CLIENT LIST`.
 */
export function createRedis(url: string, name: string): ChatflowRedis {
  const client = new Redis(url, {
    connectionName: name,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
  });
  // Connection errors surface as failed commands; the listener keeps them from crashing.
  client.on('error', () => {});
  client.defineCommand('takeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
  client.defineCommand('setVariable', { numberOfKeys: 2, lua: SET_VARIABLE });
  client.defineCommand('seedVariable', { numberOfKeys: 2, lua: SEED_VARIABLE });
  client.defineCommand('checkCooldown', { numberOfKeys: 1, lua: CHECK_COOLDOWN });
  void client.connect().catch(() => {});
  return client as ChatflowRedis;
}

/** Resolves when `client` is ready; rejects on its next connection error or after `timeoutMs`. */
export function whenReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolveReady, reject) => {
    const settle = (err?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      if (err) reject(err);
      else resolveReady();
    };
    const onReady = () => settle();
    const onError = (err: Error) => settle(err);
    const timer = setTimeout(() => settle(new Error(`Redis not ready (status ${client.status}).`)), timeoutMs);
    client.once('ready', onReady);
    client.once('error', onError);
  });
}
