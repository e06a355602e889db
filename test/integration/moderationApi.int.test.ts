/**
 * `GET /api/moderation` against a real PostgreSQL, wired the way `chatflow run` wires it
 * (runtime + API routes on one server with `server.token`): verdicts stored by the `postgres`
 * sink come back newest first with their counts, the window and `limit` apply, hostile chat
 * round-trips byte for byte, and the route answers 401 without the token and 503 without a
 * database.
 */
import { tmpdir } from 'node:os';
import pg from 'pg';
import { Observable, Subject } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSource } from '../../src/core/component.js';
import { CONTROL_BUS, ControlBus } from '../../src/core/controlBus.js';
import { provide, Services } from '../../src/core/services.js';
import type { ChatflowEvent, ModerationEvent, Verdict } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { buildRegistry } from '../../src/core/registry.js';
import { operatorComponents } from '../../src/operators/index.js';
import { buildGraph } from '../../src/pipelines/graph.js';
import { loadText } from '../../src/pipelines/load.js';
import { startPipeline } from '../../src/pipelines/run.js';
import { apiRoutes } from '../../src/server/apiRoutes.js';
import type { ApiError, ModerationResponse } from '../../src/server/dashboardWire.js';
import { createHttpServer } from '../../src/server/httpServer.js';
import { sinkComponents } from '../../src/sinks/index.js';
import { sourceComponents } from '../../src/sources/index.js';
import { chat } from '../support/events.js';
import { startTestPostgres, type TestServer } from '../support/servers.js';

const TOKEN = 'mod-token';
const auth = { authorization: `Bearer ${TOKEN}` };
/** Hostile chat: markup, quotes, an RTL override, an astral emoji, a tab and a backslash. */
const HOSTILE = `<img src=x onerror="alert('x')"> </li><script>document.title='pwned'</script> \u202Egnp.exe 💀 & "quoted" \\ back\tslash`;

let pgServer: TestServer;
let db: pg.Client;

beforeAll(async () => {
  pgServer = await startTestPostgres();
  db = new pg.Client({ connectionString: pgServer.url });
  await db.connect();
}, 120_000);

afterAll(async () => {
  await db?.end();
  await pgServer?.destroy();
});

beforeEach(async () => {
  await db.query('DELETE FROM moderation_events');
});

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const PIPELINE = `version: 1
sources:
  mod: { type: feed }
sinks:
  history: { type: postgres, inputs: [mod], kinds: [moderation], batch: { timeout: 0ms } }
`;

interface App {
  readonly base: string;
  readonly push: (event: ChatflowEvent) => void;
}

/** The runtime and its API on 127.0.0.1:0 with a token; `postgres: false` runs without a database. */
async function startApp(options: { postgres?: boolean } = {}): Promise<App> {
  const withPostgres = options.postgres ?? true;
  const feed$ = new Subject<ChatflowEvent>();
  const feed = defineSource({
    type: 'feed',
    summary: 'Events pushed by the test.',
    config: z.strictObject({}),
    examples: [''],
    create: () => new Observable<ChatflowEvent>((subscriber) => feed$.subscribe(subscriber)),
  });
  const registry = buildRegistry([...sourceComponents, feed], operatorComponents, sinkComponents);
  const yaml = withPostgres
    ? PIPELINE
    : 'version: 1\nsources:\n  mod: { type: feed }\nsinks:\n  out: { type: blackhole, inputs: [mod] }\n';
  const result = buildGraph(loadText(yaml, { file: 'moderation.yaml', env: {} }), registry);
  if (!result.graph) throw new Error(result.issues.map((i) => i.message).join('\n'));
  const logger = silentLogger();
  const http = createHttpServer({ listen: '127.0.0.1:0', token: TOKEN }, logger);
  const controlBus = new ControlBus();
  const runtime = await startPipeline(result.graph, {
    logger,
    resources: {
      baseDir: tmpdir(),
      instance: 'alpha',
      http,
      services: new Services([provide(CONTROL_BUS, controlBus)]),
      ...(withPostgres ? { postgres: { url: pgServer.url } } : {}),
    },
  });
  http.register(
    apiRoutes({
      pipeline: runtime,
      instance: 'alpha',
      controlBus,
      ...(withPostgres ? { postgresUrl: pgServer.url } : {}),
      wallClock: Date.now,
      logger,
    }),
  );
  const address = await http.listen();
  cleanup.push(async () => {
    await runtime.stop();
    await http.close();
  });
  return { base: `http://127.0.0.1:${address?.port ?? 0}`, push: (event) => feed$.next(event) };
}

function verdict(
  id: string,
  v: Verdict,
  reasons: readonly string[],
  ts: number,
  options: { text?: string; user?: string; points?: number } = {},
): ModerationEvent {
  return {
    kind: 'moderation',
    verdict: v,
    reasons,
    points: options.points ?? 0,
    chat: chat(options.text ?? `message ${id}`, { id, user: options.user ?? 'viewer', ts, channel: 'chan' }),
    receivedAt: performance.now(),
  };
}

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: auth });
  return { status: res.status, body: (await res.json()) as T };
}

/** Polls PostgreSQL until the sink has stored `n` verdicts. */
async function stored(n: number): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM moderation_events');
    if (rows[0]?.n === n) return;
    if (performance.now() > deadline) throw new Error(`expected ${n} stored verdicts, found ${rows[0]?.n}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('GET /api/moderation', () => {
  it('lists what the postgres sink stored, newest first, with counts by verdict and reason', async () => {
    const { base, push } = await startApp();
    const t0 = Date.now() - 60_000;
    push(verdict('m1', 'flag', ['caps'], t0, { user: 'ann', points: 1 }));
    push(verdict('m2', 'delete', ['links', 'caps'], t0 + 1000, { user: 'bob', points: 2.5 }));
    push(verdict('m3', 'allow', ['symbols', 'shadow', 'would_flag'], t0 + 2000, { user: 'cid' }));
    push(verdict('m4', 'timeout', ['banned_word'], t0 + 3000, { user: 'ann', text: HOSTILE, points: 4 }));
    await stored(4);

    const { status, body } = await get<ModerationResponse>(`${base}/api/moderation?since=${t0 - 1}`);
    expect(status).toBe(200);
    const ids = body.verdicts.map((v) => v.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(body).toEqual({
      since: t0 - 1,
      truncated: false,
      verdicts: [
        {
          id: ids[0],
          platform: 'twitch',
          channel: 'chan',
          login: 'ann',
          verdict: 'timeout',
          reasons: ['banned_word'],
          points: 4,
          text: HOSTILE,
          ts: t0 + 3000,
        },
        {
          id: ids[1],
          platform: 'twitch',
          channel: 'chan',
          login: 'cid',
          verdict: 'allow',
          reasons: ['symbols', 'shadow', 'would_flag'],
          points: 0,
          text: 'message m3',
          ts: t0 + 2000,
        },
        {
          id: ids[2],
          platform: 'twitch',
          channel: 'chan',
          login: 'bob',
          verdict: 'delete',
          reasons: ['links', 'caps'],
          points: 2.5,
          text: 'message m2',
          ts: t0 + 1000,
        },
        {
          id: ids[3],
          platform: 'twitch',
          channel: 'chan',
          login: 'ann',
          verdict: 'flag',
          reasons: ['caps'],
          points: 1,
          text: 'message m1',
          ts: t0,
        },
      ],
      counts: {
        total: 4,
        byVerdict: { allow: 1, delete: 1, flag: 1, timeout: 1 },
        byReason: { banned_word: 1, caps: 2, links: 1, shadow: 1, symbols: 1, would_flag: 1 },
      },
    });
    // Byte for byte through the sink, the table and JSON.
    expect(body.verdicts[0]?.text).toBe(HOSTILE);
  });

  it('counts over the whole window while listing only `limit`; `since` narrows both', async () => {
    const { base, push } = await startApp();
    const t0 = Date.now() - 120_000;
    for (let i = 0; i < 5; i++) push(verdict(`w${i}`, i % 2 === 0 ? 'flag' : 'delete', ['caps'], t0 + i * 1000));
    await stored(5);

    const two = await get<ModerationResponse>(`${base}/api/moderation?since=${t0}&limit=2`);
    expect(two.body.verdicts.map((v) => v.text)).toEqual(['message w4', 'message w3']);
    expect(two.body.truncated).toBe(true);
    expect(two.body.counts).toEqual({ total: 5, byVerdict: { delete: 2, flag: 3 }, byReason: { caps: 5 } });

    const iso = new Date(t0 + 3000).toISOString();
    const late = await get<ModerationResponse>(`${base}/api/moderation?since=${encodeURIComponent(iso)}`);
    expect(late.body.since).toBe(t0 + 3000);
    expect(late.body.verdicts.map((v) => v.text)).toEqual(['message w4', 'message w3']);
    expect(late.body.truncated).toBe(false);
    expect(late.body.counts).toEqual({ total: 2, byVerdict: { delete: 1, flag: 1 }, byReason: { caps: 2 } });

    // The default window is the last 24 hours: an old verdict is neither listed nor counted.
    await db.query(
      `INSERT INTO moderation_events (platform, message_id, channel, author_login, verdict, reasons, points, text, ts, instance)
       VALUES ('kick', 'old', 'chan', 'zed', 'ban', '["nuke"]', 9, 'old news', now() - interval '2 days', 'alpha')`,
    );
    const recent = await get<ModerationResponse>(`${base}/api/moderation`);
    expect(recent.body.verdicts.map((v) => v.text)).not.toContain('old news');
    expect(recent.body.counts.total).toBe(5);
    const all = await get<ModerationResponse>(`${base}/api/moderation?since=0`);
    expect(all.body.verdicts[5]).toMatchObject({ platform: 'kick', login: 'zed', verdict: 'ban', reasons: ['nuke'], points: 9 });
    expect(all.body.counts).toEqual({ total: 6, byVerdict: { ban: 1, delete: 2, flag: 3 }, byReason: { caps: 5, nuke: 1 } });
  });

  it('lowers a large `limit` to 200 and refuses one that is not a positive whole number', async () => {
    const { base } = await startApp();
    const t0 = Date.now() - 600_000;
    await db.query(
      `INSERT INTO moderation_events (platform, message_id, channel, author_login, verdict, reasons, points, text, ts, instance)
       SELECT 'twitch', 'bulk' || i, 'chan', 'spam' || i, 'delete', '["repetition"]', 1, 'spam ' || i,
              to_timestamp(($1::float8 + i * 10) / 1000), 'alpha'
         FROM generate_series(1, 250) AS i`,
      [t0],
    );
    const capped = await get<ModerationResponse>(`${base}/api/moderation?limit=100000`);
    expect(capped.status).toBe(200);
    expect(capped.body.verdicts).toHaveLength(200);
    expect(capped.body.verdicts[0]?.text).toBe('spam 250');
    expect(capped.body.truncated).toBe(true);
    expect(capped.body.counts).toEqual({ total: 250, byVerdict: { delete: 250 }, byReason: { repetition: 250 } });
    expect((await get<ModerationResponse>(`${base}/api/moderation`)).body.verdicts).toHaveLength(50);

    for (const query of ['limit=0', 'limit=-3', 'limit=2.5', 'limit=ten', 'limit=', 'since=yesterday']) {
      const bad = await get<ApiError>(`${base}/api/moderation?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.error, query).toBe('bad_request');
    }
  });

  it('answers 401 without the token, with a wrong one, and 200 with it in the query', async () => {
    const { base } = await startApp();
    expect((await fetch(`${base}/api/moderation`)).status).toBe(401);
    expect((await fetch(`${base}/api/moderation`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${base}/api/moderation?token=${TOKEN}`)).status).toBe(200);
  });

  it('answers 503 postgres_unavailable when no database is configured', async () => {
    const { base } = await startApp({ postgres: false });
    const res = await get<ApiError>(`${base}/api/moderation`);
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('postgres_unavailable');
    expect(res.body.message).toContain('resources.postgres.url');
  });
});
