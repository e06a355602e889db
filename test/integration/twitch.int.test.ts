/**
 * The `twitch` source with the real tmi.js against the fake Twitch server (IRC over WebSocket):
 * handshake, joins, login failure, every captured line through the wire, hostile input, and
 * recovery from a closed socket, a server RECONNECT and a silent connection, through the
 * real runtime.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import tmi from 'tmi.js';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { defaultRegistry } from '../../src/components.js';
import { defineSink } from '../../src/core/component.js';
import { SourceFatalError } from '../../src/core/errors.js';
import type { ChatEvent, ChatflowEvent, PlatformEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { NodeMetrics, type NodeStatus, type SourceHealth } from '../../src/core/metrics.js';
import { buildRegistry, type Registry } from '../../src/core/registry.js';
import { buildGraph, loadPipeline } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { type PipelineRuntime, startPipeline } from '../../src/pipelines/run.js';
import { createTmiConnector, type TwitchConnector } from '../../src/sources/twitch/client.js';
import { TwitchConfig, twitchChat, twitchComponent } from '../../src/sources/twitch/index.js';
import { FakeTwitchServer, type FakeConnection, type FakeTwitchOptions, privmsgLine } from '../fakes/twitchServer.js';
import { loadTwitchSamples } from '../fakes/twitchSamples.js';
import { testContext } from '../support/context.js';
import { PING_INTERVAL_MS, PING_TIMEOUT_MS, RECOVERY_BACKOFF as BACKOFF, twitchRecoveryPipeline } from '../fixtures/twitchRecovery.js';

const tmiParser = createRequire(import.meta.url)('tmi.js/lib/parser.js') as { msg(line: string): unknown };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeServer(options: FakeTwitchOptions = {}): Promise<FakeTwitchServer> {
  const server = await FakeTwitchServer.start(options);
  cleanups.push(() => server.close());
  return server;
}

async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what} not met within ${ms}ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The source on its own (no runtime), recording events, health and the error. */
/** The wall clock the golden file was made with, for lines without `tmi-sent-ts`. */
const GOLDEN_NOW = 1_700_000_000_000;

function direct(input: Record<string, unknown>, env: Record<string, string> = {}, connector?: TwitchConnector) {
  const events: (ChatEvent | PlatformEvent)[] = [];
  const healths: SourceHealth[] = [];
  const metrics = new NodeMetrics('chat', 'source', 'twitch');
  let error: unknown;
  const sub: Subscription = twitchChat(TwitchConfig.parse(input), {
    id: 'chat',
    logger: silentLogger(),
    now: () => GOLDEN_NOW,
    metrics,
    setHealth: (h) => healths.push(h),
    env,
    ...(connector === undefined ? {} : { connector }),
  }).subscribe({
    next: (e) => events.push(e),
    error: (e: unknown) => {
      error = e;
    },
  });
  cleanups.push(() => sub.unsubscribe());
  return { events, healths, metrics, error: () => error, sub };
}

const chatTexts = (events: readonly ChatflowEvent[]) =>
  events.filter((e): e is ChatEvent => e.kind === 'chat').map((e) => e.text);

describe('the fake Twitch server', () => {
  it('speaks the protocol of platform-protocols.md §1.9 to a raw WebSocket client', async () => {
    const server = await fakeServer({ validTokens: ['good'] });
    const frames: string[] = [];
    const ws = new WebSocket(server.url, 'irc');
    cleanups.push(() => ws.terminate());
    ws.on('message', (data) => frames.push(data.toString()));
    await new Promise((resolve) => ws.once('open', resolve));
    expect(ws.protocol).toBe('irc');
    const lines = () => frames.join('').split('\r\n').filter(Boolean);
    // Nothing before NICK; unknown caps are NAKed.
    ws.send('CAP REQ :twitch.tv/tags twitch.tv/invalid\r\nPASS oauth:good');
    await until(() => lines().length === 1);
    expect(lines()).toEqual([':tmi.twitch.tv CAP * NAK :twitch.tv/invalid']);
    ws.send('NICK somebot');
    await until(() => lines().length === 9);
    expect(lines().slice(1, 8)).toEqual([
      ':tmi.twitch.tv 001 somebot :Welcome, GLHF!',
      ':tmi.twitch.tv 002 somebot :Your host is tmi.twitch.tv',
      ':tmi.twitch.tv 003 somebot :This server is rather new',
      ':tmi.twitch.tv 004 somebot :-',
      ':tmi.twitch.tv 375 somebot :-',
      ':tmi.twitch.tv 372 somebot :You are in a maze of twisty passages, all alike.',
      ':tmi.twitch.tv 376 somebot :>',
    ]);
    expect(lines()[8]).toMatch(/ :tmi\.twitch\.tv GLOBALUSERSTATE$/);
    // The welcome burst came as one frame: several lines per frame.
    expect(frames[1]?.split('\r\n').filter(Boolean)).toHaveLength(8);
    ws.send('JOIN #chan\r\nPING\r\nPING :x');
    await until(() => lines().some((l) => l.includes('ROOMSTATE')));
    const rest = lines().slice(9);
    expect(rest).toContain(':somebot!somebot@somebot.tmi.twitch.tv JOIN #chan');
    expect(rest).toContain('PONG :tmi.twitch.tv');
    expect(rest).toContain(':tmi.twitch.tv PONG tmi.twitch.tv :x');
    expect(rest.findIndex((l) => l.includes(' USERSTATE #chan'))).toBeLessThan(rest.findIndex((l) => l.includes(' ROOMSTATE #chan')));
    const conn = server.connections[0] as FakeConnection;
    expect(conn.linesSent).toBe(lines().length);
    server.ping(conn);
    await until(() => lines().includes('PING :tmi.twitch.tv'));
    ws.send('PONG :tmi.twitch.tv');
    await until(() => conn.pongs === 1);
  });

  it('refuses a bad token with the login-failure NOTICE, then closes the socket', async () => {
    const server = await fakeServer({ validTokens: ['good'], loginFailure: 'Improperly formatted auth' });
    const frames: string[] = [];
    const ws = new WebSocket(server.url, 'irc');
    cleanups.push(() => ws.terminate());
    ws.on('message', (data) => frames.push(data.toString()));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('PASS oauth:bad\r\nNICK somebot');
    const code = await new Promise<number>((resolve) => ws.once('close', resolve));
    expect(frames).toEqual([':tmi.twitch.tv NOTICE * :Improperly formatted auth\r\n']);
    expect(code).toBe(1000);
  });
});

describe('twitch source against the fake Twitch server', () => {
  it('logs in anonymously the way tmi.js does and joins several channels, each answered with its ROOMSTATE', async () => {
    const server = await fakeServer({ roomStateDelayMs: 40 });
    const s = direct({ channels: ['alpha', '#Beta', 'gamma'], server: server.url, join_interval: '300ms' });
    await until(() => s.healths.includes('live'), 5000, 'live');
    const [conn] = server.connections as [FakeConnection];
    expect(server.connections).toHaveLength(1);
    expect(conn.received.slice(0, 3)).toEqual([
      'CAP REQ :twitch.tv/tags twitch.tv/commands twitch.tv/membership',
      'PASS SCHMOOPIIE',
      `NICK ${conn.nick}`,
    ]);
    expect(conn.nick).toMatch(/^justinfan\d+$/);
    expect(conn.received.filter((l) => l.startsWith('JOIN'))).toEqual(['JOIN #alpha', 'JOIN #beta', 'JOIN #gamma']);
    expect([...conn.joined].sort()).toEqual(['alpha', 'beta', 'gamma']);
    // Each join answered (the source goes live only then; how fast is the fake server's business).
    for (const channel of conn.joined) expect(conn.roomStateAt.has(channel)).toBe(true);
    // Joins are paced by join_interval. tmi.js's own timer does it, so there is no virtual time to read:
    // a lower bound, which a slow machine cannot break.
    expect((conn.joinAt.get('gamma') as number) - (conn.joinAt.get('alpha') as number)).toBeGreaterThanOrEqual(2 * 300 - 20);
    expect(s.healths).toEqual(['connecting', 'live']);
    // One room_state per channel (the full state on join), then chat from each channel.
    expect(s.events.map((e) => (e.kind === 'platform' ? `${e.type}:${e.channel}` : e.kind))).toEqual([
      'room_state:alpha',
      'room_state:beta',
      'room_state:gamma',
    ]);
    for (const channel of ['alpha', 'beta', 'gamma']) {
      server.broadcast(channel, [privmsgLine(channel, { id: `id-${channel}`, text: `hello ${channel}` })]);
    }
    await until(() => chatTexts(s.events).length === 3);
    expect(s.events.filter((e) => e.kind === 'chat').map((e) => `${e.channel}:${(e as ChatEvent).text}`)).toEqual([
      'alpha:hello alpha',
      'beta:hello beta',
      'gamma:hello gamma',
    ]);
  });

  it('logs in with username and the token from the environment variable named by token_env', async () => {
    const server = await fakeServer({ validTokens: ['s3cret'] });
    const s = direct({ channels: ['alpha'], server: server.url, username: 'MyBot', token_env: 'MY_TOKEN' }, { MY_TOKEN: 's3cret' });
    await until(() => s.healths.includes('live'));
    const [conn] = server.connections as [FakeConnection];
    expect(conn.received.slice(1, 3)).toEqual(['PASS oauth:s3cret', 'NICK mybot']);
    expect(conn.linesSent).toBeGreaterThanOrEqual(8 + 3 + 2); // welcome + GLOBALUSERSTATE, JOIN/353/366, USERSTATE + ROOMSTATE
  });

  it('fails for good on a refused login, with a message naming the setting to fix, and does not retry', async () => {
    const server = await fakeServer({ validTokens: ['good'], loginFailure: 'Login authentication failed' });
    const s = direct({ channels: ['alpha'], server: server.url, username: 'mybot' }, { TWITCH_TOKEN: 'oauth:expired' });
    await until(() => s.error() !== undefined);
    const err = s.error() as SourceFatalError;
    expect(err).toBeInstanceOf(SourceFatalError);
    expect(err.code).toBe('ERR_SOURCE_FATAL');
    expect(err.message).toMatch(/^Twitch refused the login of `username` "mybot" \("Login authentication failed"\)/);
    expect(err.message).toContain('TWITCH_TOKEN (named by `token_env`)');
    expect(s.healths).toEqual(['connecting', 'failed']);

    // Through the runtime: the node is marked failed and never reconnects.
    process.env.CHATFLOW_TEST_TOKEN = 'wrong';
    cleanups.push(() => {
      delete process.env.CHATFLOW_TEST_TOKEN;
    });
    const runtime = await run(`
version: 1
sources:
  chat: { type: twitch, channels: [alpha], server: "${server.url}", username: mybot, token_env: CHATFLOW_TEST_TOKEN }
sinks:
  out: { type: collect, inputs: [chat] }
`);
    await until(() => runtime.metrics.get('chat')?.status === 'failed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.connections).toHaveLength(2);
    expect(runtime.metrics.get('chat')?.lastError).toContain('"Login authentication failed"');
    expect(runtime.metrics.get('chat')?.lastError).toContain('CHATFLOW_TEST_TOKEN (named by `token_env`)');
  });

  it('"Improperly formatted auth" names the token variable too', async () => {
    const server = await fakeServer({ validTokens: ['good'], loginFailure: 'Improperly formatted auth' });
    const s = direct({ channels: ['alpha'], server: server.url, username: 'mybot' }, { TWITCH_TOKEN: 'not a token' });
    await until(() => s.error() !== undefined);
    expect((s.error() as Error).message).toContain('TWITCH_TOKEN (named by `token_env`) is not a well-formed OAuth token');
  });

  // The shipped connector (the source's parser, tmi.js on session lines only), and tmi.js
  // reading and handling every line with the source on its parse (twitch-throughput's measured side).
  it.each([
    ['the shipped connector', false],
    ["tmi.js's parse of every line, tmi.js handling them all", true],
  ])('normalizes every captured line sent over the wire, several lines per frame, each event once: %s', async (_what, tmiEveryLine) => {
    const server = await fakeServer({ linesPerFrame: 4 });
    const tmiMessages: string[] = [];
    const connector = tmiEveryLine
      ? createTmiConnector({ tmiHandlesEveryLine: (client) => client.on('message', (_channel, _tags, text) => tmiMessages.push(text)) })
      : undefined;
    const s = direct({ channels: ['pajlada'], server: server.url }, {}, connector);
    await until(() => s.healths.includes('live'));
    const golden = JSON.parse(await readFile(new URL('../fixtures/twitch-golden.json', import.meta.url), 'utf8')) as {
      line: number;
      events: (ChatEvent | PlatformEvent)[];
    }[];
    // Session lines would disturb the connection itself: the welcome burst (tmi.js would take
    // the sample's nick as its own), RECONNECT, and the login-failure NOTICEs.
    const session = new Set([10, 11, 12, 13, 14, 15, 16, 43, 53, 54]);
    const lines = loadTwitchSamples().filter((l) => !session.has(l.line));
    expect(lines).toHaveLength(79);
    const before = s.events.length;
    server.broadcastAll(lines.map((l) => l.raw));
    // Lines whose events the source does not emit again: repeated message ids (66 repeats
    // 65's, 79 and 80 repeat 78's, 93 repeats 92's) and room settings that did not change
    // (146 re-sends slow=5, 147 emote-only=1, already set by 145).
    const suppressed = new Set([66, 79, 80, 93, 146, 147]);
    // 145 changes only followers-only (0 → 10) after 144: only that setting is reported.
    const trimmed = new Map<number, Partial<PlatformEvent>>([
      [145, { id: `roomstate:40286300:${GOLDEN_NOW}:followersOnly=10`, data: { roomId: '40286300', followersOnly: 10 } }],
    ]);
    const expected = golden
      .filter((g) => !session.has(g.line) && !suppressed.has(g.line))
      .flatMap((g) => g.events.map((e) => ({ ...e, ...trimmed.get(g.line) }) as ChatEvent | PlatformEvent))
      .map(comparable);
    await until(() => s.events.length - before >= expected.length, 5000, 'all sample events');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const received = s.events.slice(before).map(comparable);
    expect(received).toEqual(expected);
    expect(s.metrics.snapshot().dropped).toEqual({
      duplicate: { count: 4, intentional: true },
      unsupported_line: { count: 7, intentional: true },
    });
    // tmi.js's own `message` events, as a bare tmi.js client has them for the same lines, when
    // it handles every line; none when it handles the session lines only.
    const bare = new tmi.Client({ options: { skipUpdatingEmotesets: true } });
    const bareMessages: string[] = [];
    bare.on('message', (_channel, _tags, text) => bareMessages.push(text));
    const handle = (bare as unknown as { handleMessage(m: unknown): void }).handleMessage.bind(bare);
    for (const l of lines) handle(tmiParser.msg(l.raw));
    expect(bareMessages.length).toBeGreaterThan(20);
    expect(tmiMessages).toEqual(tmiEveryLine ? bareMessages : []);
  });

  it('survives hostile input: a megabyte line, control characters, garbage and a binary frame', async () => {
    const server = await fakeServer();
    const s = direct({ channels: ['alpha'], server: server.url });
    await until(() => s.healths.includes('live'));
    const [conn] = server.connections as [FakeConnection];
    const huge = 'x'.repeat(1_000_000);
    server.send(conn, [
      privmsgLine('alpha', { id: 'huge', text: huge }),
      '@;;;===;= :',
      '@only-tags',
      ':prefix-only',
      `${privmsgLine('alpha', { id: 'ctl', text: '\u0000\u0007\u001b[2J\u202eevil' })}`,
      ':a!a@a PRIVMSG #alpha',
      `@emotes=25:0-999999999;badges=${'b/1,'.repeat(10_000)};id=junk :a!a@a PRIVMSG #alpha :Kappa`,
    ]);
    conn.ws.send(Buffer.from([0xff, 0x00, 0x13]), { binary: true });
    server.send(conn, [privmsgLine('alpha', { id: 'after', text: 'still here' })]);
    await until(() => chatTexts(s.events).includes('still here'));
    const texts = chatTexts(s.events);
    expect(texts[0]).toHaveLength(1_000_000);
    expect(texts).toContain('\u0000\u0007\u001b[2J\u202eevil');
    expect(s.events.find((e) => e.id === 'junk')).toMatchObject({ kind: 'chat', emotes: [] });
    expect(s.error()).toBeUndefined();
    expect(s.healths).toEqual(['connecting', 'live']);
    expect(s.metrics.snapshot().dropped.malformed_line?.count).toBeGreaterThanOrEqual(3);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the runtime

/** A sink that keeps every event it is given, for the runtime tests. */
function collector() {
  const events: ChatflowEvent[] = [];
  const sink = defineSink({
    type: 'collect',
    summary: 'Keeps what it is given.',
    config: z.strictObject({}),
    examples: [''],
    create: () => ({
      write: (batch) => {
        events.push(...batch);
      },
    }),
  });
  return { events, registry: buildRegistry([twitchComponent], [], [sink]) };
}

let sinkEvents: ChatflowEvent[] = [];
/** Restarts that show up fast: 100 ms, then 200, 400 (no jitter, so bounds are exact). */

async function run(yaml: string, env: Record<string, string> = {}, registry?: Registry, baseDir = tmpdir()): Promise<PipelineRuntime> {
  let reg = registry;
  if (reg === undefined) {
    const c = collector();
    sinkEvents = c.events;
    reg = c.registry;
  }
  const result = buildGraph(loadText(yaml, { file: 'twitch.yaml', env }), reg);
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  const runtime = await startPipeline(result.graph, {
    logger: silentLogger(),
    resources: { baseDir, instance: 'test' },
    backoff: BACKOFF,
  });
  cleanups.push(async () => {
    await runtime.stop();
  });
  return runtime;
}

interface Scenario {
  readonly runtime: PipelineRuntime;
  readonly server: FakeTwitchServer;
  /** Runtime status of the source, sampled every few ms. */
  readonly statuses: NodeStatus[];
  /** Message id → the connections the server delivered it to. */
  readonly deliveries: Map<string, number[]>;
  stopPublishing(): void;
}

/** A live pipeline `twitch → collect` with the server publishing a numbered message every 5 ms. */
async function scenario(): Promise<Scenario> {
  const server = await fakeServer({ roomStateDelayMs: 5, linesPerFrame: 1 });
  const runtime = await run(twitchRecoveryPipeline(server.url, 'collect'));
  const statuses: NodeStatus[] = [];
  const sampler = setInterval(() => {
    const status = runtime.metrics.get('chat')?.status;
    if (status !== undefined && status !== statuses[statuses.length - 1]) statuses.push(status);
  }, 2);
  cleanups.push(() => clearInterval(sampler));
  await until(() => runtime.metrics.get('chat')?.status === 'live', 5000, 'live');
  statuses.splice(0, statuses.length, 'live');
  const deliveries = new Map<string, number[]>();
  let seq = 0;
  const publisher = setInterval(() => {
    const id = `m${String(seq++).padStart(5, '0')}`;
    const to = server.broadcast('live', [privmsgLine('live', { id, text: id })]);
    deliveries.set(id, to.map((c) => c.id));
  }, 5);
  cleanups.push(() => clearInterval(publisher));
  await until(() => [...deliveries.values()].filter((to) => to.length > 0).length >= 20);
  return { runtime, server, statuses, deliveries, stopPublishing: () => clearInterval(publisher) };
}

/**
 * Injects a fault into the first connection and waits for the source to be live on a new one
 * with 30 messages delivered to it; returns the recovery time and the chat ids received.
 */
async function recover(sc: Scenario, fault: (conn: FakeConnection) => void, waitMs: number) {
  const { server, runtime, deliveries } = sc;
  const old = server.live[0] as FakeConnection;
  const faultAt = performance.now();
  fault(old);
  await until(() => server.connections.some((c) => c.id !== old.id && c.roomStateAt.has('live')), waitMs + 2000, 'rejoin');
  const fresh = server.connections.find((c) => c.id !== old.id) as FakeConnection;
  const joinedMs = (fresh.roomStateAt.get('live') as number) - faultAt;
  await until(() => runtime.metrics.get('chat')?.status === 'live', 2000, 'live again');
  const toFresh = () => [...deliveries].filter(([, to]) => to.includes(fresh.id)).map(([id]) => id);
  await until(() => toFresh().length >= 30, 3000, '30 messages on the new connection');
  sc.stopPublishing();
  const postRecovery = toFresh();
  const chatIds = () => sinkEvents.filter((e): e is ChatEvent => e.kind === 'chat').map((e) => e.id);
  await until(() => postRecovery.every((id) => chatIds().includes(id)), 3000, 'post-recovery stream delivered');
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { joinedMs, postRecovery, chatIds: chatIds(), old, fresh };
}

describe('twitch source in a pipeline: recovery', () => {
  it('the server closes the socket: restarted after the backoff, rejoined, nothing lost after recovery or doubled', async () => {
    const sc = await scenario();
    const r = await recover(sc, (conn) => sc.server.terminate(conn), BACKOFF.initialMs);
    // Waited the runtime's backoff (a lower bound: a slow machine cannot break it; how fast it
    // recovers is a performance figure, not asserted here).
    expect(r.joinedMs).toBeGreaterThanOrEqual(BACKOFF.initialMs);
    expect(sc.runtime.metrics.get('chat')?.errors).toBe(1);
    for (const id of r.postRecovery) expect(r.chatIds.filter((x) => x === id)).toHaveLength(1);
    expect(new Set(r.chatIds).size).toBe(r.chatIds.length);
    expect(sc.statuses).toEqual(['live', 'reconnecting', 'live']);
    expect(sc.server.connections).toHaveLength(2);
  });

  it('the server sends RECONNECT: a new connection before the old one closes, no gap at all, no duplicate', async () => {
    const sc = await scenario();
    const r = await recover(sc, (conn) => sc.server.reconnect(conn, 1500), 1000);
    // No gap, by what happened rather than by the clock: the node never left live, nothing failed.
    expect(sc.runtime.metrics.get('chat')?.errors).toBe(0);
    // Every message the server sent to either connection arrived, exactly once.
    const sent = [...sc.deliveries].filter(([, to]) => to.length > 0).map(([id]) => id);
    // (Two sockets: the order across the switch is not guaranteed, the set is.)
    expect([...r.chatIds].sort()).toEqual(sent);
    // The overlap really happened: some messages went to both connections.
    expect([...sc.deliveries.values()].some((to) => to.length === 2)).toBe(true);
    expect(sc.runtime.metrics.get('chat')?.snapshot().dropped.duplicate?.count).toBeGreaterThan(0);
    expect(sc.statuses).toEqual(['live']);
  });

  it('the connection goes silent: found dead by PING, stale first, restarted, nothing lost after recovery or doubled', async () => {
    const sc = await scenario();
    // Silence is noticed after ping_interval, declared dead ping_timeout later, then the backoff.
    const r = await recover(sc, (conn) => sc.server.silence(conn), PING_INTERVAL_MS + PING_TIMEOUT_MS + BACKOFF.initialMs);
    expect(r.joinedMs).toBeGreaterThanOrEqual(PING_INTERVAL_MS + PING_TIMEOUT_MS);
    expect(r.old.received).toContain('PING');
    for (const id of r.postRecovery) expect(r.chatIds.filter((x) => x === id)).toHaveLength(1);
    expect(new Set(r.chatIds).size).toBe(r.chatIds.length);
    expect(sc.statuses).toEqual(['live', 'stale', 'reconnecting', 'live']);
  });

  it('keeps retrying with backoff while the server refuses connections, then comes back', async () => {
    const server = await fakeServer();
    server.refuseNext(2);
    const runtime = await run(`
version: 1
sources:
  chat: { type: twitch, channels: [alpha], server: "${server.url}" }
sinks:
  out: { type: collect, inputs: [chat] }
`);
    const started = performance.now();
    await until(() => runtime.metrics.get('chat')?.status === 'live', 3000);
    // Two refusals: waits of 100 ms and 200 ms before the third attempt.
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(server.refused).toBe(2);
    expect(runtime.metrics.get('chat')?.errors).toBe(2);
  });
});

describe('recording Twitch chat for replay', () => {
  it('examples/record-twitch.yaml writes JSONL that the replay source plays back unchanged', async () => {
    const server = await fakeServer();
    const dir = await mkdtemp(join(tmpdir(), 'chatflow-twitch-'));
    const file = join(dir, 'recordings', 'twitch.jsonl');
    const registry = defaultRegistry();
    const example = new URL('../../examples/record-twitch.yaml', import.meta.url).pathname;
    const graph = loadPipeline(example, {
      registry,
      env: { TWITCH_CHANNEL: 'alpha', TWITCH_SERVER: server.url, RECORDING: file },
    });
    const recorder = await startPipeline(graph, { logger: silentLogger(), resources: { baseDir: dir, instance: 'test' } });
    cleanups.push(async () => {
      await recorder.stop();
    });
    await until(() => recorder.metrics.get('twitch')?.status === 'live');
    const lines = loadTwitchSamples()
      .filter((l) => l.raw.includes(' PRIVMSG ') || l.raw.includes(' USERNOTICE ') || l.raw.includes(' CLEARCHAT '))
      .map((l) => l.raw);
    server.broadcastAll(lines);
    await until(() => (recorder.metrics.get('twitch')?.totalOut() ?? 0) >= 40);
    await recorder.stop();
    const recorded = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ChatflowEvent);
    expect(recorded.length).toBe(recorder.metrics.get('twitch')?.totalOut());
    expect(recorded.some((e) => e.kind === 'chat' && e.emotes.length > 0)).toBe(true);

    const { events, registry: collectRegistry } = collector();
    const replayRegistry = buildRegistry([...registry.sources.values()], [], [...collectRegistry.sinks.values()]);
    const player = await run(
      `
version: 1
sources:
  back: { type: replay, path: "${file}", speed: max }
sinks:
  out: { type: collect, inputs: [back] }
`,
      {},
      replayRegistry,
      dir,
    );
    await player.finished;
    const strip = ({ receivedAt: _r, ...rest }: ChatflowEvent) => rest;
    expect(events.map(strip)).toEqual(recorded.map(strip));
  });
});

/** An event without `receivedAt`, which depends on when the test ran. */
function comparable(event: ChatEvent | PlatformEvent): unknown {
  const { receivedAt: _received, ...rest } = event;
  return rest;
}

describe('twitch component: state across a restart', () => {
  it('keeps its dedupe window in ctx.state: created again on the same context (a restart), it drops what it already emitted', async () => {
    const server = await fakeServer();
    const ctx = testContext({ id: 'chat', kind: 'source', type: 'twitch' });
    const config = TwitchConfig.parse({ channels: ['alpha'], server: server.url });
    const ids: string[] = [];
    const collect = (e: ChatflowEvent) => {
      if (e.kind === 'chat') ids.push(e.id);
    };
    const lives = () => ctx.healths.filter((h) => h === 'live').length;
    const first = twitchComponent.create(config, ctx).subscribe(collect);
    cleanups.push(() => first.unsubscribe());
    await until(() => lives() === 1, 5000, 'first connection live');
    server.broadcast('alpha', [privmsgLine('alpha', { id: 'm1', text: 'one' })]);
    await until(() => ids.length === 1, 5000, 'm1');
    first.unsubscribe();

    const second = twitchComponent.create(config, ctx).subscribe(collect);
    cleanups.push(() => second.unsubscribe());
    await until(() => lives() === 2, 5000, 'second connection live');
    // The same message again after the restart (a reconnect overlap) is emitted once.
    server.broadcast('alpha', [privmsgLine('alpha', { id: 'm1', text: 'one' }), privmsgLine('alpha', { id: 'm2', text: 'two' })]);
    await until(() => ids.includes('m2'), 5000, 'm2');
    expect(ids).toEqual(['m1', 'm2']);
    expect(ctx.metrics.snapshot().dropped.duplicate?.count).toBe(1);
  });
});
