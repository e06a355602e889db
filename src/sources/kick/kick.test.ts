import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SourceDisconnectedError, SourceFatalError } from '../../core/errors.js';
import type { ChatEvent, PlatformEvent } from '../../core/events.js';
import { NodeMetrics, type SourceHealth } from '../../core/metrics.js';
import { KickConfig, kickChat, kickComponent } from './index.js';
import type { KickConnector, KickLookup, KickLookupResult, KickSocketHandlers } from './client.js';
import { createKickNodeState, type KickNodeState } from './session.js';

/** Wall clock at virtual time 0. */
const EPOCH = Date.parse('2025-07-17T08:44:56Z');

describe('KickConfig', () => {
  it('fills in the defaults: the current app key and cluster, kick.com, Pusher-like timeouts', () => {
    expect(KickConfig.parse({ channel: 'XQC' })).toEqual({
      channel: 'xqc',
      app_key: '32cbd69e4b950bf97679',
      cluster: 'us2',
      api_base_url: 'https://kick.com',
      activity_timeout: 120_000,
      pong_timeout: 30_000,
      connect_timeout: 10_000,
      reconnect_initial: 1000,
      reconnect_max: 30_000,
    });
  });

  it('takes ids as numbers or strings, and empty values (an unset variable with an empty default) as not given', () => {
    expect(KickConfig.parse({ chatroom_id: 668, channel_id: '676' })).toMatchObject({ chatroom_id: '668', channel_id: '676' });
    const empty = KickConfig.parse({ channel: '', chatroom_id: '', channel_id: null });
    expect(empty.channel).toBeUndefined();
    expect(empty.chatroom_id).toBeUndefined();
    expect(empty.channel_id).toBeUndefined();
  });

  it('refuses a bad slug, a bad id, a bad origin, unknown keys', () => {
    const problems = (input: unknown) => {
      const result = KickConfig.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ channel: 'not a slug' })[0]).toMatch(/^channel: Expected a Kick channel slug/);
    expect(problems({ chatroom_id: 'abc' })[0]).toMatch(/^chatroom_id: /);
    expect(problems({ channel: 'a', ws_url: 'http://x' })).toEqual(['ws_url: Expected a ws:// or wss:// URL, not http://']);
    expect(problems({ channel: 'a', reconnect_initial: '5s', reconnect_max: '1s' })).toEqual(['reconnect_max: Must not be shorter than reconnect_initial']);
    expect(problems({ channel: 'a', chatroom: 1 })[0]).toMatch(/Unrecognized key/);
  });

  it('reads an empty ws_url as the cluster socket', () => {
    const config = KickConfig.parse({ channel: 'a', ws_url: '', cluster: 'eu1' });
    expect(config.ws_url).toBeUndefined();
    expect(config.cluster).toBe('eu1');
  });

  it('parses every example of the component', () => {
    for (const example of kickComponent.examples) expect(() => KickConfig.parse(parseYaml(example))).not.toThrow();
  });
});

/** A socket the test drives: frames in, what the source sent out. */
interface FakeSocket {
  readonly url: string;
  readonly handlers: KickSocketHandlers;
  readonly sent: string[];
  /** Virtual time the source opened it. */
  readonly openedAt: number;
  closed: boolean;
}

function harness(input: Record<string, unknown> = {}, extra: { state?: KickNodeState; lookup?: KickLookup } = {}) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 10_000_000);
  const sockets: FakeSocket[] = [];
  const connector: KickConnector = (url, handlers) => {
    const socket: FakeSocket = { url, handlers, sent: [], openedAt: scheduler.now(), closed: false };
    sockets.push(socket);
    return {
      send: (frame) => {
        socket.sent.push(frame);
        return true;
      },
      close: () => {
        socket.closed = true;
      },
    };
  };
  const healths: SourceHealth[] = [];
  /** `health@virtual ms`, in order. */
  const timeline: string[] = [];
  const metrics = new NodeMetrics('k', 'source', 'kick');
  const config = KickConfig.parse({ channel: 'xqc', chatroom_id: 668, ...input });
  const lookups: string[] = [];
  const lookup: KickLookup = async (url, timeoutMs) => {
    lookups.push(url);
    return (extra.lookup ?? (async () => ({ ok: true, body: {} }) as KickLookupResult))(url, timeoutMs);
  };
  const source$ = kickChat(config, {
    id: 'k',
    scheduler,
    clock: () => scheduler.now(),
    now: () => EPOCH + scheduler.now(),
    metrics,
    setHealth: (h) => {
      healths.push(h);
      timeline.push(`${h}@${scheduler.now()}`);
    },
    connector,
    lookup,
    random: () => 0.5,
    state: extra.state ?? createKickNodeState(),
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
  const socket = (n: number) => sockets[n] as FakeSocket;
  /** Feeds frames to socket `n` at virtual time `ms`. */
  const at = (ms: number, n: number, ...frames: string[]) =>
    scheduler.schedule(() => {
      for (const frame of frames) socket(n).handlers.message(frame);
    }, ms);
  const closeAt = (ms: number, n: number, code: number, reason = '') => scheduler.schedule(() => socket(n).handlers.closed(code, reason), ms);
  const established = (activity = 120) =>
    JSON.stringify({ event: 'pusher:connection_established', data: JSON.stringify({ socket_id: '1.2', activity_timeout: activity }) });
  const succeeded = (channel = 'chatrooms.668.v2') => JSON.stringify({ event: 'pusher_internal:subscription_succeeded', data: '{}', channel });
  const message = (id: string, content = 'hi', createdAt = '2025-07-17T08:44:56+00:00') =>
    JSON.stringify({
      event: 'App\\Events\\ChatMessageEvent',
      channel: 'chatrooms.668.v2',
      data: JSON.stringify({ id, chatroom_id: 668, content, type: 'message', created_at: createdAt, sender: { id: 1, username: 'Viewer', slug: 'viewer', identity: { color: '#FFFFFF', badges: [] } } }),
    });
  /** Connection `n` established and subscribed at `ms`. */
  const live = (n: number, ms: number, activity = 120) => {
    at(ms, n, established(activity));
    at(ms + 5, n, succeeded());
  };
  /** Runs virtual time up to `ms`. */
  const runTo = (ms: number) => {
    const stop = scheduler.schedule(() => undefined, ms);
    scheduler.maxFrames = ms;
    scheduler.flush();
    stop.unsubscribe();
  };
  const texts = () => events.filter((e): e is ChatEvent => e.kind === 'chat').map((e) => e.text);
  return { scheduler, sockets, socket, healths, timeline, metrics, events, texts, error: () => error, subscribe, at, closeAt, established, succeeded, message, live, runTo, lookups };
}

const sentEvents = (socket: { sent: string[] }) => socket.sent.map((f) => (JSON.parse(f) as { event: string }).event);

describe('kickChat (fake socket, virtual time)', () => {
  it('subscribes after connection_established, is live after subscription_succeeded, then emits chat', () => {
    const h = harness({ channel_id: 676 });
    h.subscribe();
    expect(h.sockets).toHaveLength(1);
    expect(h.socket(0).url).toBe('wss://ws-us2.pusher.com/app/32cbd69e4b950bf97679?protocol=7&client=js&version=8.4.0&flash=false');
    h.at(10, 0, h.established());
    h.scheduler.schedule(() => expect(h.healths).toEqual(['connecting']), 12);
    h.at(20, 0, h.succeeded('channel.676'));
    h.scheduler.schedule(() => expect(h.healths).toEqual(['connecting']), 22);
    h.at(30, 0, h.succeeded(), h.message('m1', 'hello [emote:37226:KEKW]', '2025-07-17T08:44:55+00:00'));
    h.runTo(1000);
    expect(h.healths).toEqual(['connecting', 'live']);
    expect(h.socket(0).sent.map((f) => JSON.parse(f))).toEqual([
      { event: 'pusher:subscribe', data: { auth: '', channel: 'chatrooms.668.v2' } },
      { event: 'pusher:subscribe', data: { auth: '', channel: 'channel.676' } },
    ]);
    expect(h.events).toEqual([
      expect.objectContaining({ kind: 'chat', id: 'm1', platform: 'kick', channel: 'xqc', text: 'hello KEKW', receivedAt: 30 }),
    ]);
    // Received 30 ms after 08:44:56, created at 08:44:55.
    expect(h.metrics.snapshot().gauges).toEqual({ lag_ms: 1030 });
  });

  it("marks the bot's own messages (bot_login) as self", () => {
    const h = harness({ bot_login: 'viewer' });
    h.subscribe();
    h.live(0, 10);
    h.at(30, 0, h.message('m1', '!discord'));
    h.runTo(1000);
    expect(h.events).toEqual([expect.objectContaining({ kind: 'chat', id: 'm1', self: true })]);
  });

  it('answers the server pusher:ping with pusher:pong', () => {
    const h = harness();
    h.subscribe();
    h.live(0, 0);
    h.at(50, 0, '{"event":"pusher:ping","data":"{}"}');
    h.runTo(100);
    expect(sentEvents(h.socket(0))).toEqual(['pusher:subscribe', 'pusher:pong']);
  });

  it("pings after the activity timeout of silence (the server's when shorter); a pong keeps it live", () => {
    const h = harness({ activity_timeout: '120s' });
    h.subscribe();
    h.live(0, 0, 60);
    h.at(60_005 + 200, 0, '{"event":"pusher:pong","data":"{}"}');
    h.runTo(100_000);
    expect(sentEvents(h.socket(0))).toEqual(['pusher:subscribe', 'pusher:ping']);
    expect(h.healths).toEqual(['connecting', 'live']);
    expect(h.sockets).toHaveLength(1);
    expect(h.error()).toBeUndefined();
  });

  it('a chatty connection sends no ping', () => {
    const h = harness({ activity_timeout: '10s' });
    h.subscribe();
    h.live(0, 0);
    for (let t = 5000; t < 60_000; t += 5000) h.at(t, 0, h.message(`m${t}`));
    h.runTo(60_000);
    expect(sentEvents(h.socket(0))).toEqual(['pusher:subscribe']);
    expect(h.texts()).toHaveLength(11);
  });

  it('no pong: stale at half of pong_timeout, replaced at all of it (at once), every channel subscribed again', () => {
    const h = harness({ activity_timeout: '10s', pong_timeout: '4s', channel_id: 676 });
    h.subscribe();
    h.live(0, 0);
    h.live(1, 14_100);
    h.runTo(20_000);
    // Live at 5 ms, ping at 10 005, stale at 12 005, dead at 14 005, reconnected at once.
    expect(h.timeline).toEqual(['connecting@0', 'live@5', 'stale@12005', 'reconnecting@14005', 'live@14105']);
    expect(h.sockets.map((s) => s.openedAt)).toEqual([0, 14_005]);
    expect(h.socket(0).closed).toBe(true);
    expect(sentEvents(h.socket(0))).toEqual(['pusher:subscribe', 'pusher:subscribe', 'pusher:ping']);
    expect(h.socket(1).sent.map((f) => JSON.parse(f).data.channel)).toEqual(['chatrooms.668.v2', 'channel.676']);
    expect(h.error()).toBeUndefined();
  });

  it('4000–4099: fails for good with the reason and what to fix, no reconnect', () => {
    const h = harness();
    h.subscribe();
    h.live(0, 0);
    h.closeAt(100, 0, 4001, 'App key 32cbd69e4b950bf97679 not in this cluster. Did you forget to specify the cluster?');
    h.runTo(60_000);
    const err = h.error() as SourceFatalError;
    expect(err).toBeInstanceOf(SourceFatalError);
    expect(err.message).toBe(
      'Kick\'s Pusher server refused the connection with code 4001 ("App key 32cbd69e4b950bf97679 not in this cluster. Did you forget to specify the cluster?"): the app key is unknown to this cluster: Kick may have changed its Pusher key; set `app_key` (and `cluster`) to the current one (see docs/kick.md). Not reconnecting.',
    );
    expect(h.sockets).toHaveLength(1);
    expect(h.healths).toEqual(['connecting', 'live', 'failed']);
  });

  it('a pusher:error with a 40xx code fails the same way, before the close arrives', () => {
    const h = harness();
    h.subscribe();
    h.at(0, 0, '{"event":"pusher:error","data":{"code":4007,"message":"Unsupported protocol version"}}');
    h.runTo(60_000);
    expect(h.error()).toBeInstanceOf(SourceFatalError);
    expect((h.error() as Error).message).toContain('code 4007 ("Unsupported protocol version"): the protocol version is not supported');
    expect(h.socket(0).closed).toBe(true);
    expect(h.sockets).toHaveLength(1);
  });

  it('4100–4199: reconnects after at least a second, even with a shorter reconnect_initial', () => {
    const h = harness({ reconnect_initial: '100ms' });
    h.subscribe();
    h.live(0, 0);
    h.closeAt(100, 0, 4100, 'Over capacity');
    h.live(1, 1200);
    h.runTo(5000);
    expect(h.sockets.map((s) => s.openedAt)).toEqual([0, 1100]);
    expect(h.healths).toEqual(['connecting', 'live', 'reconnecting', 'live']);
  });

  it('4200–4299: reconnects at once, then with backoff when it keeps happening', () => {
    const h = harness({ reconnect_initial: '500ms' });
    h.subscribe();
    h.live(0, 0);
    h.closeAt(100, 0, 4200, 'Generic reconnect immediately');
    h.closeAt(150, 1, 4201, 'Pong reply not received');
    h.runTo(3000);
    expect(h.sockets.map((s) => s.openedAt)).toEqual([0, 100, 650]);
  });

  it('1006 and other codes: capped exponential backoff, started over once a connection was stable', () => {
    const h = harness({ reconnect_initial: '1s', reconnect_max: '4s' });
    h.subscribe();
    h.live(0, 0);
    // Five refused attempts in a row: 1 s, 2 s, 4 s, 4 s, 4 s.
    h.closeAt(100, 0, 1006);
    h.closeAt(1200, 1, 1006);
    h.closeAt(3300, 2, 1006);
    h.closeAt(7400, 3, 1006);
    h.closeAt(11_500, 4, 1000);
    // The sixth is live and stays so for 20 s: the next close starts over at 1 s.
    h.live(5, 15_600);
    h.closeAt(36_000, 5, 1006);
    h.runTo(40_000);
    expect(h.sockets.map((s) => s.openedAt)).toEqual([0, 1100, 3200, 7300, 11_400, 15_500, 37_000]);
    expect(h.error()).toBeUndefined();
  });

  it('connect_timeout: a socket that never confirms the subscription is replaced', () => {
    const h = harness({ connect_timeout: '2s', reconnect_initial: '1s' });
    h.subscribe();
    h.at(10, 0, h.established());
    h.runTo(3500);
    expect(h.sockets).toHaveLength(2);
    expect(h.socket(0).closed).toBe(true);
    expect(h.healths).toEqual(['connecting', 'reconnecting']);
  });

  it('a message delivered again after a reconnect, or twice, is emitted once', () => {
    const h = harness({ reconnect_initial: '100ms' });
    h.subscribe();
    h.live(0, 0);
    h.at(50, 0, h.message('m1', 'one'), h.message('m2', 'two'), h.message('m2', 'two'));
    h.closeAt(60, 0, 1006);
    h.live(1, 200);
    h.at(300, 1, h.message('m2', 'two'), h.message('m3', 'three'));
    h.runTo(1000);
    expect(h.texts()).toEqual(['one', 'two', 'three']);
    expect(h.metrics.snapshot().dropped).toEqual({ duplicate: { count: 2, intentional: true } });
  });

  it('counts malformed frames, unknown and unsupported events, binary frames, and keeps going', () => {
    const h = harness();
    h.subscribe();
    h.live(0, 0);
    h.at(
      50,
      0,
      'not json',
      '{"event":"App\\\\Events\\\\ChatMessageEvent","data":"{broken","channel":"chatrooms.668.v2"}',
      '{"event":"App\\\\Events\\\\ChatMessageEvent","data":"{}","channel":"chatrooms.668.v2"}',
      '{"event":"App\\\\Events\\\\BrandNewEvent","data":"{}","channel":"chatrooms.668.v2"}',
      '{"event":"App\\\\Events\\\\PollUpdateEvent","data":"{}","channel":"chatrooms.668.v2"}',
      '{"event":"pusher_internal:member_added","data":"{}"}',
    );
    h.scheduler.schedule(() => h.socket(0).handlers.binary(), 60);
    h.at(70, 0, h.message('ok', 'still here'));
    h.runTo(1000);
    expect(h.texts()).toEqual(['still here']);
    expect(h.metrics.snapshot().dropped).toEqual({
      malformed_frame: { count: 4, intentional: false },
      unknown_event: { count: 1, intentional: false },
      unsupported_event: { count: 1, intentional: true },
    });
    expect(h.error()).toBeUndefined();
  });

  it('unsubscribing closes the socket and cancels every timer', () => {
    const h = harness();
    const sub = h.subscribe();
    h.live(0, 0);
    h.scheduler.schedule(() => sub.unsubscribe(), 100);
    h.runTo(1000);
    expect(h.socket(0).closed).toBe(true);
    expect(h.scheduler.actions.filter((a) => !a.closed)).toHaveLength(0);
  });

  it('fails at once without a channel or a chatroom id', () => {
    const h = harness({ channel: '', chatroom_id: '' });
    h.subscribe();
    expect(h.error()).toBeInstanceOf(SourceFatalError);
    expect((h.error() as Error).message).toMatch(/^No Kick channel to read: set `channel`/);
    expect(h.sockets).toHaveLength(0);
  });
});

describe('kickChat: the chatroom id lookup', () => {
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('looks the slug up once per node and subscribes to the chatroom and the channel it names', async () => {
    const state = createKickNodeState();
    const lookup: KickLookup = async () => ({ ok: true, body: { id: 90876, slug: 'averagedad', chatroom: { id: 90874 } } });
    const h = harness({ channel: 'AverageDad', chatroom_id: undefined, api_base_url: 'http://127.0.0.1:9/' }, { state, lookup });
    h.subscribe();
    await settle();
    expect(h.lookups).toEqual(['http://127.0.0.1:9/api/v2/channels/averagedad']);
    h.at(0, 0, h.established());
    h.runTo(100);
    expect(h.socket(0).sent.map((f) => JSON.parse(f).data.channel)).toEqual(['chatrooms.90874.v2', 'channel.90876']);
    // A second subscription (the runtime restarting the node) does not ask again.
    const again = harness({ channel: 'averagedad', chatroom_id: undefined }, { state, lookup });
    again.subscribe();
    expect(again.sockets).toHaveLength(1);
    expect(again.lookups).toEqual([]);
  });

  it('HTTP 403 (Cloudflare): fails for good, saying to set chatroom_id and where to find it', async () => {
    const h = harness({ chatroom_id: undefined }, { lookup: async () => ({ ok: false, status: 403, cloudflare: true }) });
    h.subscribe();
    await settle();
    const err = h.error() as SourceFatalError;
    expect(err).toBeInstanceOf(SourceFatalError);
    expect(err.message).toBe(
      'Kick\'s channel API refused to look up "xqc" (HTTP 403, Cloudflare): it blocks most programs. Set `chatroom_id` in this node instead: open https://kick.com/api/v2/channels/xqc in a web browser and copy the number at "chatroom":{"id":…} (the top-level "id" is `channel_id`). See docs/kick.md.',
    );
    expect(h.healths).toEqual(['connecting', 'failed']);
    expect(h.sockets).toHaveLength(0);
  });

  it('HTTP 404 names the channel; a server error, a rate limit or a network failure is retried by the runtime', async () => {
    const notFound = harness({ chatroom_id: undefined }, { lookup: async () => ({ ok: false, status: 404, cloudflare: false }) });
    notFound.subscribe();
    const down = harness({ chatroom_id: undefined }, { lookup: async () => ({ ok: false, status: 503, cloudflare: false }) });
    down.subscribe();
    const limited = harness({ chatroom_id: undefined }, { lookup: async () => ({ ok: false, status: 429, cloudflare: true }) });
    limited.subscribe();
    const offline = harness(
      { chatroom_id: undefined },
      {
        lookup: async () => {
          throw new Error('ECONNREFUSED');
        },
      },
    );
    offline.subscribe();
    await settle();
    expect(notFound.error()).toBeInstanceOf(SourceFatalError);
    expect((notFound.error() as Error).message).toMatch(/^There is no Kick channel "xqc" \(HTTP 404/);
    expect(down.error()).toBeInstanceOf(SourceDisconnectedError);
    expect(limited.error()).toBeInstanceOf(SourceDisconnectedError);
    expect(offline.error()).toBeInstanceOf(SourceDisconnectedError);
    expect(String((offline.error() as Error).cause)).toContain('ECONNREFUSED');
  });

  it('an answer without a chatroom id fails, saying to set chatroom_id', async () => {
    const h = harness({ chatroom_id: undefined }, { lookup: async () => ({ ok: true, body: { id: 1 } }) });
    h.subscribe();
    await settle();
    expect((h.error() as Error).message).toMatch(/without a chatroom id .* Set `chatroom_id` instead/);
  });
});
