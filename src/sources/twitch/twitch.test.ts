import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type PipelineError, SourceDisconnectedError, SourceFatalError } from '../../core/errors.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { NodeMetrics, type SourceHealth } from '../../core/metrics.js';
import { TwitchConfig, twitchChat, twitchComponent } from './index.js';
import {
  parseIrcLine,
  type TwitchConnectionHandlers,
  type TwitchConnectionOptions,
  type TwitchConnector,
  twitchEndpoint,
} from './client.js';
import { createTwitchNodeState, type TwitchNodeState } from './session.js';

describe('TwitchConfig', () => {
  it('fills in the defaults: anonymous, Twitch server, keepalive bounds', () => {
    expect(TwitchConfig.parse({ channels: ['#Pajlada', 'forsen', 'pajlada', ''] })).toEqual({
      channels: ['pajlada', 'forsen'],
      token_env: 'TWITCH_TOKEN',
      server: 'wss://irc-ws.chat.twitch.tv:443',
      ping_interval: 20_000,
      ping_timeout: 10_000,
      connect_timeout: 10_000,
      join_timeout: 10_000,
      join_interval: 500,
      shared_chat: 'all',
    });
  });

  it('refuses a token where the NAME of a variable belongs, a bad channel, a bad server, unknown keys', () => {
    const problems = (input: unknown) => {
      const result = TwitchConfig.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ channels: ['a'], username: 'bot', token_env: 'oauth:abc123' })).toEqual([
      'token_env: Expected the NAME of an environment variable (such as TWITCH_TOKEN), not the token itself',
    ]);
    expect(problems({ channels: ['not a channel'] })[0]).toMatch(/^channels\.0: Expected a channel login/);
    expect(problems({ channels: ['a'], server: 'http://example.com' })).toEqual(['server: Expected a ws:// or wss:// URL, not http://']);
    expect(problems({ channels: ['a'], server: 'wss://example.com:8443' })[0]).toMatch(/can only use wss:\/\/ on port 443/);
    expect(problems({ channels: ['a'], join_interval: '100ms' })[0]).toMatch(/^join_interval:/);
    expect(problems({ channels: ['a'], channel: 'a' })[0]).toMatch(/Unrecognized key/);
  });

  it('parses every example of the component', () => {
    for (const example of twitchComponent.examples) {
      expect(() => TwitchConfig.parse(Object.fromEntries(example.split('\n').map(exampleLine)))).not.toThrow();
    }
  });
});

/** `key: value` → [key, YAML-ish value] (enough for the examples: flow lists and scalars). */
function exampleLine(line: string): [string, unknown] {
  const [key, ...rest] = line.split(': ');
  const value = rest.join(': ');
  if (value.startsWith('[')) {
    return [key as string, value.slice(1, -1).split(',').map((s) => s.trim().replace(/^"|"$/g, ''))];
  }
  return [key as string, value];
}

describe('twitchEndpoint', () => {
  it('maps URLs to what tmi.js takes', () => {
    expect(twitchEndpoint('wss://irc-ws.chat.twitch.tv:443')).toEqual({ server: 'irc-ws.chat.twitch.tv', port: 443, secure: true });
    expect(twitchEndpoint('wss://irc-ws.chat.twitch.tv')).toEqual({ server: 'irc-ws.chat.twitch.tv', port: 443, secure: true });
    expect(twitchEndpoint('ws://127.0.0.1:6667')).toEqual({ server: '127.0.0.1', port: 6667, secure: false });
    expect(twitchEndpoint('ws://relay.local/chat')).toMatch(/only the scheme, host and port/);
  });
});

/** A connection the test drives: lines in, what the source sent out. */
interface FakeConnection {
  readonly options: TwitchConnectionOptions;
  readonly handlers: TwitchConnectionHandlers;
  readonly sent: string[];
  closed: boolean;
}

function harness(
  input: Record<string, unknown> = {},
  extra: { env?: Record<string, string>; state?: TwitchNodeState } = {},
) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 120_000);
  const connections: FakeConnection[] = [];
  const connector: TwitchConnector = (options, handlers) => {
    const conn: FakeConnection = { options, handlers, sent: [], closed: false };
    connections.push(conn);
    return {
      nick: () => 'justinfan123',
      send: (line) => {
        conn.sent.push(line);
        return true;
      },
      close: () => {
        conn.closed = true;
      },
    };
  };
  const healths: SourceHealth[] = [];
  const metrics = new NodeMetrics('tw', 'source', 'twitch');
  const config = TwitchConfig.parse({ channels: ['one', 'two'], ping_interval: '10s', ping_timeout: '4s', ...input });
  const source$ = twitchChat(config, {
    id: 'tw',
    scheduler,
    clock: () => scheduler.now(),
    now: () => 1_700_000_000_000,
    metrics,
    setHealth: (h) => healths.push(h),
    env: extra.env ?? {},
    connector,
    state: extra.state ?? createTwitchNodeState(),
  });
  const events: (ChatEvent | PlatformEvent)[] = [];
  let error: unknown;
  const subscribe = () =>
    source$.subscribe({
      next: (e) => events.push(e),
      error: (e: unknown) => {
        error = e;
      },
    });
  /** Feeds raw lines to a connection at virtual time `at`. */
  const at = (ms: number, conn: () => FakeConnection, ...lines: string[]) =>
    scheduler.schedule(() => {
      for (const line of lines) conn().handlers.line(parseIrcLine(line) ?? (null as never));
    }, ms);
  const welcome = (conn: () => FakeConnection, ms: number) => at(ms, conn, ':tmi.twitch.tv 376 justinfan123 :>');
  const roomstate = (channel: string) =>
    `@emote-only=0;followers-only=-1;r9k=0;room-id=1${channel.length};slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE #${channel}`;
  const privmsg = (id: string, text = 'hi', channel = 'one') =>
    `@id=${id};user-id=5;tmi-sent-ts=1000 :viewer!viewer@viewer.tmi.twitch.tv PRIVMSG #${channel} :${text}`;
  const conn = (n: number) => () => connections[n] as FakeConnection;
  return {
    scheduler,
    connections,
    healths,
    metrics,
    events,
    error: () => error,
    subscribe,
    at,
    welcome,
    roomstate,
    privmsg,
    conn,
    /** Login and join both channels on connection `n` at `ms`. */
    join: (n: number, ms: number) => {
      welcome(conn(n), ms);
      at(ms + 5, conn(n), roomstate('one'), roomstate('two'));
    },
  };
}

describe('twitchChat (fake connection, virtual time)', () => {
  it('is connecting until logged in with every channel joined, then live', () => {
    const h = harness();
    h.subscribe();
    h.welcome(h.conn(0), 50);
    h.at(60, h.conn(0), h.roomstate('one'));
    h.scheduler.schedule(() => expect(h.healths).toEqual(['connecting']), 70);
    h.at(80, h.conn(0), h.roomstate('two'), h.privmsg('m1'));
    h.scheduler.maxFrames = 1000;
    h.scheduler.flush();
    expect(h.healths).toEqual(['connecting', 'live']);
    expect(h.events.map((e) => (e.kind === 'chat' ? e.text : e.type))).toEqual(['room_state', 'room_state', 'hi']);
    expect(h.connections[0]?.options).toMatchObject({ channels: ['one', 'two'], joinIntervalMs: 500 });
    expect(h.connections[0]?.options.identity).toBeUndefined();
  });

  it('PINGs after ping_interval of silence, is stale at half of ping_timeout, and fails at all of it', () => {
    const h = harness();
    h.subscribe();
    h.join(0, 0);
    h.scheduler.flush();
    expect(h.connections[0]?.sent).toEqual(['PING']);
    expect(h.healths).toEqual(['connecting', 'live', 'stale']);
    expect(h.error()).toBeInstanceOf(SourceDisconnectedError);
    expect((h.error() as Error).cause).toEqual(new Error('No answer to PING within 4000ms (ping_timeout)'));
    // Joined at 5 ms, PING at 10 005 ms, dead at 14 005 ms.
    expect(h.scheduler.now()).toBe(14_005);
    expect(h.connections[0]?.closed).toBe(true);
  });

  it('goes back to live when the answer comes late, and keeps a chatty connection alive without PINGs', () => {
    const h = harness();
    h.subscribe();
    h.join(0, 0);
    h.at(13_000, h.conn(0), 'PONG :tmi.twitch.tv');
    for (let t = 14_000; t < 60_000; t += 5000) h.at(t, h.conn(0), h.privmsg(`m${t}`));
    const sub = h.scheduler.schedule(() => undefined, 60_000);
    h.scheduler.maxFrames = 60_000;
    h.scheduler.flush();
    sub.unsubscribe();
    expect(h.healths).toEqual(['connecting', 'live', 'stale', 'live']);
    expect(h.connections[0]?.sent).toEqual(['PING']);
    expect(h.error()).toBeUndefined();
  });

  it('honours RECONNECT: a second connection first, the first closed after it is live, overlap deduplicated', () => {
    const h = harness();
    h.subscribe();
    h.join(0, 0);
    h.at(100, h.conn(0), h.privmsg('a'), ':tmi.twitch.tv RECONNECT', h.privmsg('b'));
    h.join(1, 150);
    // Both connections deliver c and d during the overlap.
    h.at(152, h.conn(0), h.privmsg('c'));
    h.at(153, h.conn(1), h.privmsg('c'), h.privmsg('d'));
    h.at(154, h.conn(0), h.privmsg('d'));
    h.at(200, h.conn(1), h.privmsg('e'));
    // The old connection is still read for a while (here: a late copy of e), then closed.
    h.at(300, h.conn(0), h.privmsg('e'));
    h.scheduler.schedule(() => expect(h.connections[0]?.closed).toBe(false), 2000);
    h.scheduler.maxFrames = 3000;
    h.scheduler.flush();
    expect(h.connections).toHaveLength(2);
    expect(h.connections[0]?.closed).toBe(true);
    expect(h.connections[1]?.closed).toBe(false);
    const chat = h.events.filter((e): e is ChatEvent => e.kind === 'chat').map((e) => e.id);
    expect(chat).toEqual(['a', 'b', 'c', 'd', 'e']);
    // The rejoin's identical room states are not repeated.
    expect(h.events.filter((e) => e.kind === 'platform')).toHaveLength(2);
    expect(h.healths).toEqual(['connecting', 'live']);
    expect(h.metrics.snapshot().dropped.duplicate?.count).toBe(3);
  });

  it('waits as reconnecting when the old connection closes before the new one is up', () => {
    const h = harness();
    h.subscribe();
    h.join(0, 0);
    h.at(100, h.conn(0), ':tmi.twitch.tv RECONNECT');
    h.scheduler.schedule(() => h.connections[0]?.handlers.closed('Connection closed.'), 120);
    h.join(1, 300);
    h.scheduler.maxFrames = 1000;
    h.scheduler.flush();
    expect(h.healths).toEqual(['connecting', 'live', 'reconnecting', 'live']);
    expect(h.error()).toBeUndefined();
  });

  it('errors with SourceDisconnectedError when the socket closes', () => {
    const h = harness();
    h.subscribe();
    h.join(0, 0);
    h.scheduler.schedule(() => h.connections[0]?.handlers.closed(''), 50);
    h.scheduler.flush();
    expect(h.error()).toBeInstanceOf(SourceDisconnectedError);
    expect((h.error() as PipelineError).code).toBe('ERR_SOURCE_DISCONNECTED');
  });

  it('fails for good on a refused login, naming username and the token variable', () => {
    const h = harness({ username: 'MyBot', token_env: 'BOT_TOKEN' }, { env: { BOT_TOKEN: 'oauth:nope' } });
    h.subscribe();
    h.at(10, h.conn(0), ':tmi.twitch.tv NOTICE * :Login authentication failed');
    h.scheduler.flush();
    expect(h.connections[0]?.options.identity).toEqual({ username: 'mybot', token: 'oauth:nope' });
    const err = h.error() as SourceFatalError;
    expect(err).toBeInstanceOf(SourceFatalError);
    expect(err.message).toContain('`username` "mybot"');
    expect(err.message).toContain('BOT_TOKEN (named by `token_env`)');
    expect(err.stage).toBe('receiving');
    expect(h.healths).toEqual(['connecting', 'failed']);
    expect(h.connections[0]?.closed).toBe(true);
  });

  it('fails for good, without connecting, when the token variable is unset or no channel is left', () => {
    const noToken = harness({ username: 'bot' });
    noToken.subscribe();
    expect((noToken.error() as Error).message).toBe(
      'The environment variable TWITCH_TOKEN (named by `token_env`) is not set: it must hold the OAuth token of `username` "bot".',
    );
    expect(noToken.connections).toHaveLength(0);
    const noChannel = harness({ channels: [''] });
    noChannel.subscribe();
    expect(noChannel.error()).toBeInstanceOf(SourceFatalError);
    expect((noChannel.error() as Error).message).toMatch(/set `channels`/);
  });

  it('goes live without a channel Twitch says is suspended, and fails when that is every channel', () => {
    const h = harness();
    h.subscribe();
    h.welcome(h.conn(0), 0);
    h.at(10, h.conn(0), '@msg-id=msg_channel_suspended :tmi.twitch.tv NOTICE #two :This channel has been suspended.', h.roomstate('one'));
    h.scheduler.maxFrames = 1000;
    h.scheduler.flush();
    expect(h.healths).toEqual(['connecting', 'live']);

    const all = harness({ channels: ['two'] });
    all.subscribe();
    all.welcome(all.conn(0), 0);
    all.at(10, all.conn(0), '@msg-id=msg_channel_suspended :tmi.twitch.tv NOTICE #two :This channel has been suspended.');
    all.scheduler.flush();
    expect(all.error()).toBeInstanceOf(SourceFatalError);
    expect((all.error() as Error).message).toMatch(/None of the channels in `channels` can be joined \(two\)/);
  });

  it('retries (SourceDisconnectedError) when the login or the joins do not finish in time', () => {
    const slowLogin = harness({ connect_timeout: '3s' });
    slowLogin.subscribe();
    slowLogin.scheduler.flush();
    expect(slowLogin.error()).toBeInstanceOf(SourceDisconnectedError);
    expect(slowLogin.scheduler.now()).toBe(3000);

    const noJoin = harness({ join_timeout: '2s' });
    noJoin.subscribe();
    noJoin.welcome(noJoin.conn(0), 100);
    noJoin.scheduler.flush();
    expect(noJoin.error()).toBeInstanceOf(SourceDisconnectedError);
    // join_timeout plus one join_interval for the second channel.
    expect(noJoin.scheduler.now()).toBe(100 + 2000 + 500);

    const partial = harness({ join_timeout: '2s' });
    partial.subscribe();
    partial.welcome(partial.conn(0), 0);
    partial.at(10, partial.conn(0), partial.roomstate('one'));
    partial.scheduler.maxFrames = 5000;
    partial.scheduler.flush();
    expect(partial.healths).toEqual(['connecting', 'live']);
    expect(partial.error()).toBeUndefined();
  });

  it('keeps recent ids and room states across re-subscriptions, and says reconnecting the second time', () => {
    const state = createTwitchNodeState();
    const first = harness({}, { state });
    first.subscribe();
    first.join(0, 0);
    first.at(10, first.conn(0), first.privmsg('seen'));
    first.scheduler.schedule(() => first.connections[0]?.handlers.closed(''), 20);
    first.scheduler.flush();
    expect(first.events.map((e) => e.id)).toHaveLength(3);

    const second = harness({}, { state });
    second.subscribe();
    second.join(0, 0);
    second.at(10, second.conn(0), second.privmsg('seen'), second.privmsg('new'));
    second.scheduler.maxFrames = 100;
    second.scheduler.flush();
    expect(second.events.map((e) => e.id)).toEqual(['new']);
    expect(second.healths).toEqual(['reconnecting', 'live']);
  });

  it("marks the bot's own messages (bot_login) as self, and only those", () => {
    const h = harness({ bot_login: 'TheBot' });
    h.subscribe();
    h.join(0, 0);
    h.at(
      10,
      h.conn(0),
      h.privmsg('m1', '!cv cutoff 1'),
      '@id=m2;user-id=9;tmi-sent-ts=1000 :thebot!thebot@thebot.tmi.twitch.tv PRIVMSG #one :!discord is the link',
    );
    h.scheduler.maxFrames = 100;
    h.scheduler.flush();
    const chats = h.events.filter((e) => e.kind === 'chat');
    expect(chats.map((e) => [e.author.login, e.self])).toEqual([
      ['viewer', undefined],
      ['thebot', true],
    ]);
  });

  it('counts malformed and unsupported lines instead of failing', () => {
    const h = harness();
    h.subscribe();
    h.join(0, 0);
    h.at(10, h.conn(0), ':a!a@a PRIVMSG #one', '@msg-id=ritual;id=r :tmi.twitch.tv USERNOTICE #one');
    h.scheduler.schedule(() => h.connections[0]?.handlers.malformed('@only-tags'), 11);
    h.scheduler.maxFrames = 100;
    h.scheduler.flush();
    expect(h.metrics.snapshot().dropped).toEqual({
      malformed_line: { count: 2, intentional: false },
      unsupported_line: { count: 1, intentional: true },
    });
    expect(h.error()).toBeUndefined();
  });

  it('closes every connection on unsubscribe', () => {
    const h = harness();
    const sub = h.subscribe();
    h.join(0, 0);
    h.scheduler.maxFrames = 100;
    h.scheduler.flush();
    sub.unsubscribe();
    expect(h.connections.every((c) => c.closed)).toBe(true);
  });
});
