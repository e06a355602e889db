/**
 * examples/all-platforms.yaml run for real: Twitch, YouTube and Kick read from their fake
 * servers (captured traffic), through the example's normalize → dedupe → parse_command →
 * throttle → control chain, onto the overlay (read by a real WebSocket client) and OSC (read
 * by a real UDP socket).
 */
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { defaultRegistry } from '../../src/components.js';
import { silentLogger } from '../../src/core/logger.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadFile } from '../../src/pipelines/load.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { createHttpServer } from '../../src/server/httpServer.js';
import type { WireControl, WireFrame, WireMessage, WireSnapshot } from '../../src/sinks/overlay/wire.js';
import { FakeKickServer } from '../fakes/kickServer.js';
import { loadTwitchSamples } from '../fakes/twitchSamples.js';
import { FakeTwitchServer } from '../fakes/twitchServer.js';
import { apiChatItems, SUPER_CHAT_SAMPLE_ID } from '../fakes/youtubeSamples.js';
import { FakeYoutubeServer } from '../fakes/youtubeServer.js';
import { udpReceiver } from './oscSupport.js';

const EXAMPLE = new URL('../../examples/all-platforms.yaml', import.meta.url).pathname;
const VIDEO_ID = 'vid00000040';
/** The chatroom the fake Kick's channel lookup gives for `samplechannel`. */
const KICK_CHATROOM = 'chatrooms.668.v2';
const SOURCES = ['twitch', 'youtube', 'kick'] as const;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what} not met within ${ms}ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A real WebSocket client of the overlay, keeping every message of every frame in order. */
async function overlayClient(url: string) {
  const ws = new WebSocket(url);
  const messages: WireMessage[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as WireFrame;
    messages.push(...(Array.isArray(frame) ? frame : [frame as WireMessage]));
  });
  const gone = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  cleanups.push(() => {
    ws.terminate();
    return gone;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { messages, gone };
}

/** The chat messages (`m`) of one platform, in the order the overlay sent them. */
const chatOf = (messages: readonly WireMessage[], platform: string) =>
  messages.filter((m) => m.t === 'm' && m.p === platform);

// What the overlay must show of the captured samples: every chat message once (Twitch's repeated
// id 7be87072… is deduplicated), normalized (line 83's U+E0000 tag removed, line 94's double space
// collapsed), with display name, login, colour and `/me`.

/** The PRIVMSG lines of #pajlada in test/fixtures/twitch-irc-samples.txt. */
const TWITCH_CHAT = [
  { t: 'm', i: 'e9d998c3-36f1-430f-89ec-6b887c28af36', u: 'JuN1oRRRR', l: 'jun1orrrr', p: 'twitch', x: 'dank cam', c: '#0000FF' },
  { t: 'm', i: 'd831d848-b7c7-4559-ae3a-2cb88f4dbfed', u: 'randers', l: 'randers', p: 'twitch', x: '-tags', c: '#19E6E6', a: 1 },
  { t: 'm', i: 'bdfa278e-11c4-484f-9491-0a61b16fab60', u: '테스트계정420', l: 'testaccount_420', p: 'twitch', x: '@asd', c: '#FF0000' },
  {
    t: 'm',
    i: 'f9c5774b-faa7-4378-b1af-c4e08b532dc2',
    u: 'randers',
    l: 'randers',
    p: 'twitch',
    x: 'Kappa Keepo Kappa Kappa test Keepo Keepo 123 :) :) :P',
    c: '#19E6E6',
  },
  { t: 'm', i: '21194e0d-f0fa-4a8f-a14f-3cbe89366ad9', u: 'AvianArtworks', l: 'avianartworks', p: 'twitch', x: 'pajaM_TK', c: '#FF144A' },
  { t: 'm', i: '3695cb46-f70a-4d6f-a71b-159d434c45b5', u: 'randers', l: 'randers', p: 'twitch', x: '👉 <3 👉 <3 👉 <3', c: '#19E6E6' },
  { t: 'm', i: 'd7f03a35-f339-41ca-b4d4-7c0721438570', u: 'TETYYS', l: 'tetyys', p: 'twitch', x: 'trihard1', c: '#004B49' },
  { t: 'm', i: 'privmsg:11148817:11148817:1522855191000', u: 'pajlada', l: 'pajlada', p: 'twitch', x: '', a: 1 },
  { t: 'm', i: '1ec936d3-7853-4113-9984-664ac5c42694', u: 'pajbot', l: 'pajbot', p: 'twitch', x: '-tags pajaW_/3.0', c: '#2E8B57' },
  { t: 'm', i: '44f85d39-b5fb-475d-8555-f4244f2f7e82', u: 'pajlada', l: 'pajlada', p: 'twitch', x: 'Kappa 😂 Kappa', c: '#CC44FF' },
  { t: 'm', i: '7be87072-bf24-4fa3-b3df-0ea6fa5f1474', u: 'Mm2PL', l: 'mm2pl', p: 'twitch', x: 'Kappa', c: '#DAA520' },
  { t: 'm', i: 'dddbcb38-5c8e-4381-8050-d687ff9564ef', u: 'brian6932', l: 'brian6932', p: 'twitch', x: '@xgspidermonkey b', c: '#0096CC' },
  { t: 'm', i: '8779a9e5-cf1b-47b3-b9fe-67a5b1b605f6', u: 'SnoopyTheBot', l: 'snoopythebot', p: 'twitch', x: '-$5', c: '#0000FF' },
];

/** The chat messages of test/fixtures/kick-samples.json. */
const KICK_CHAT = [
  { t: 'm', i: 'cb4cd57d-926c-4f28-859d-abccca87e119', u: 'Imtoolazytoputaname', l: 'imtoolazytoputaname', p: 'kick', x: 'mhm', c: '#E9113C' },
  {
    t: 'm',
    i: 'bbcdbcfd-8619-40c2-a0d0-ae7cf4c7a932',
    u: 'OhLookItsMax',
    l: 'ohlookitsmax',
    p: 'kick',
    x: 'litneyspears4Maxon my way to show you love',
    c: '#FF9D00',
  },
  { t: 'm', i: 'b776e9d4-a30e-4154-8747-f8f02c2818a6', u: 'TheStaticMage', l: 'thestaticmage', p: 'kick', x: 'Test 7', c: '#DEB2FF' },
  {
    t: 'm',
    i: 'fe3a5338-e6be-4af7-a1f5-5c94b14d8570',
    u: 'kittencataubrey',
    l: 'kittencataubrey',
    p: 'kick',
    x: 'only if you can take a lot of hate and bullshit',
    c: '#DEB2FF',
  },
  { t: 'm', i: '87a33f41-eff9-4815-9620-27db4584b149', u: 'Mirko15', l: 'mirko15', p: 'kick', x: 'emote_37244', c: '#1475E1' },
  { t: 'm', i: '044ef81d-8e4a-4e60-b7cb-9364ebcbf389', u: 'untalpablogod', l: 'untalpablogod', p: 'kick', x: 'whaa . \\', c: '#D399FF' },
];

/** The live YouTube items (the captured Super Chat, the documented ones): two chat messages. */
const YOUTUBE_CHAT = [
  { t: 'm', i: SUPER_CHAT_SAMPLE_ID, u: 'Brian Lough', l: 'UCezJOfu7OtqGzd5xrP3q6WA', p: 'youtube', x: 'test' },
  { t: 'm', i: 'LCC.doc-owner-text-1', u: 'The Streamer', l: 'UCdocOwner00000000000001', p: 'youtube', x: '!cv cutoff 0.7' },
];

/** Removals: Kick's deletion and bans, YouTube's deletion and bans (in any order across platforms). */
const REMOVALS = [
  { t: 'd', i: '8a5db04a-149c-489b-afec-7a2d8ff4084d' },
  { t: 'd', l: 'timeoutuser', p: 'kick' },
  { t: 'd', l: 'x9584560t', p: 'kick' },
  { t: 'd', l: 're69aa', p: 'kick' },
  { t: 'd', i: apiChatItems()[0]?.id },
  { t: 'd', l: 'UCrjdRCm0gGcdrYtl8z66t6g', p: 'youtube' },
  { t: 'd', l: 'UCdocSpammer000000000001', p: 'youtube' },
];

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

describe('examples/all-platforms.yaml against the three fake platforms', () => {
  it('shows chat from Twitch, YouTube and Kick on one overlay; a YouTube command moves the cutoff on the overlay and over OSC', async () => {
    const twitch = await FakeTwitchServer.start();
    cleanups.push(() => twitch.close());
    const youtube = await FakeYoutubeServer.start({ pollingIntervalMillis: 50 });
    cleanups.push(() => youtube.close());
    const kick = await FakeKickServer.start();
    cleanups.push(() => kick.close());
    const synth = await udpReceiver();
    cleanups.push(() => synth.close());
    const chatId = youtube.addVideo(VIDEO_ID);

    const env = {
      CHATFLOW_LISTEN: '127.0.0.1:0',
      CHATFLOW_OSC_TARGET: `127.0.0.1:${synth.port}`,
      TWITCH_ENABLED: 'true',
      TWITCH_CHANNEL: 'pajlada',
      TWITCH_SERVER: twitch.url,
      YOUTUBE_ENABLED: 'true',
      YOUTUBE_VIDEO_ID: VIDEO_ID,
      YOUTUBE_API_KEY: 'test-key',
      YOUTUBE_API_URL: youtube.apiUrl,
      KICK_ENABLED: 'true',
      KICK_CHANNEL: 'SampleChannel',
      KICK_WS_URL: kick.wsUrl,
      KICK_API_URL: kick.apiUrl,
    };
    const loaded = loadFile(EXAMPLE, { env });
    // Test pacing only (the addresses come from the example's own variables): poll the fake
    // YouTube at its pace instead of spreading a day's quota over four hours.
    const root = loaded.value as { sources: { youtube: Record<string, unknown> } };
    Object.assign(root.sources.youtube, { min_poll_interval: '10ms', stream_hours: 0.0001 });
    const { graph, issues } = buildGraph(loaded, defaultRegistry());
    expect(issues).toEqual([]);
    if (!graph) throw new Error('no graph');

    // As `chatflow run` does: one HTTP server, routes added while the pipeline starts, then listen.
    const logger = silentLogger();
    const http = createHttpServer(graph.settings.server, logger);
    const runtime = await startPipeline(graph, { logger, resources: { baseDir: tmpdir(), instance: 'all-platforms', http } });
    cleanups.push(async () => {
      await runtime.stop();
      await http.close();
    });
    await http.listen();
    const overlay = await overlayClient((http.url('/overlay/ws') as string).replace(/^http:/, 'ws:'));

    const status = (id: string) => runtime.metrics.get(id)?.status;
    await until(() => SOURCES.every((id) => status(id) === 'live'), 10_000, 'every source live');
    // The Kick channel was looked up through the fake's channel API (lower-cased slug).
    expect(kick.lookups).toEqual(['/api/v2/channels/samplechannel']);
    // YouTube's history page (empty) is behind us: what is pushed now arrives live.
    expect(youtube.calls('/liveChat/messages').length).toBeGreaterThanOrEqual(1);

    twitch.broadcast(
      'pajlada',
      loadTwitchSamples()
        .filter((s) => s.raw.includes(' PRIVMSG #pajlada '))
        .map((s) => s.raw),
    );
    kick.replaySamples(KICK_CHATROOM);
    youtube.push(chatId, apiChatItems().slice(3));

    const controls = () => overlay.messages.filter((m): m is WireControl => m.t === 'c');
    const lastValue = () => controls().at(-1);
    await until(
      () =>
        chatOf(overlay.messages, 'twitch').length >= TWITCH_CHAT.length &&
        chatOf(overlay.messages, 'kick').length >= KICK_CHAT.length &&
        chatOf(overlay.messages, 'youtube').length >= YOUTUBE_CHAT.length &&
        lastValue()?.v === 0.7,
      10_000,
      'chat of every platform and the cutoff at 0.7 on the overlay',
    );
    await sleep(200);

    const [snapshot] = overlay.messages;
    expect(snapshot).toEqual({
      t: 's',
      pv: 1,
      v: [
        ['cutoff', 0.5, 0, 1],
        ['resonance', 0.2, 0, 1],
        ['pitch', 0, -2, 3],
      ],
      h: [],
      // What the control node declares: the page shows pitch as note names across [-2, 3] V.
      d: [
        { n: 'cutoff', r: [0, 1], k: 'normalized', d: 0.5, o: 1 },
        { n: 'pitch', r: [-2, 3], k: 'note', d: 0, o: 1 },
        { n: 'resonance', r: [0, 1], k: 'normalized', d: 0.2, o: 1 },
      ],
    });
    expect(chatOf(overlay.messages, 'twitch')).toEqual(TWITCH_CHAT);
    expect(chatOf(overlay.messages, 'kick')).toEqual(KICK_CHAT);
    expect(chatOf(overlay.messages, 'youtube')).toEqual(YOUTUBE_CHAT);
    expect(overlay.messages.filter((m) => m.t === 'd').sort(byJson)).toEqual([...REMOVALS].sort(byJson));
    // The streamer's `!cv cutoff 0.7` on YouTube: an accepted command, then the cutoff slews there
    // (80 ms), the first step naming who moved it.
    expect(overlay.messages.filter((m) => m.t === 'k')).toEqual([
      { t: 'k', i: 'LCC.doc-owner-text-1', u: 'The Streamer', l: 'UCdocOwner00000000000001', p: 'youtube', n: 'cv', a: 'cutoff 0.7' },
    ]);
    const cutoff = controls();
    expect(cutoff[0]).toMatchObject({ t: 'c', n: 'cutoff', o: 'command', u: 'UCdocOwner00000000000001', p: 'youtube' });
    expect(cutoff.every((m) => m.n === 'cutoff' && m.v > 0.5 && m.v <= 0.7)).toBe(true);
    expect(cutoff.slice(1).every((m) => m.o === 'slew')).toBe(true);
    // Nothing else reached the overlay (platform events it does not show were not sent).
    expect(overlay.messages.filter((m) => !['s', 'm', 'd', 'k', 'c'].includes(m.t))).toEqual([]);

    // OSC: the three defaults at start, then the cutoff slewing up to 0.7 (as float32).
    await until(() => synth.messages().at(-1)?.values[0] === Math.fround(0.7), 5000, 'cutoff 0.7 over OSC');
    const sent = synth.messages();
    expect(sent.slice(0, 3).map((m) => m.address).sort()).toEqual(['/cv/cutoff', '/cv/pitch', '/cv/resonance']);
    expect(sent.slice(3).every((m) => m.address === '/cv/cutoff' && m.types === 'f')).toBe(true);

    // A page opening now gets the state: the cutoff at 0.7, and the recent feed of all three platforms.
    const late = await overlayClient((http.url('/overlay/ws') as string).replace(/^http:/, 'ws:'));
    await until(() => late.messages.length >= 1);
    const state = late.messages[0] as WireSnapshot;
    expect(state.v).toContainEqual(['cutoff', 0.7, 0, 1]);
    expect(new Set(state.h.map((e) => e.p))).toEqual(new Set(['twitch', 'kick', 'youtube']));

    for (const id of SOURCES) expect(runtime.metrics.get(id)?.errors).toBe(0);

    // Stop: sources disconnect from the fakes, the sinks flush, the server closes the pages.
    const report = await runtime.stop();
    expect(report.lostAtShutdown).toBe(0);
    for (const id of SOURCES) expect(status(id)).toBe('stopped');
    await http.close();
    await Promise.all([overlay.gone, late.gone]);
    await until(() => twitch.live.length === 0 && kick.open.length === 0, 5000, 'sources disconnected from the fakes');
  });
});
