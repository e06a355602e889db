/**
 * A fake Twitch OAuth (`id.twitch.tv/oauth2`) and Helix (`api.twitch.tv/helix`) on one random
 * port, answering with the shapes of test/fixtures/twitch-helix-oauth-samples.json (a copy of
 * reference/twitch-helix-oauth-samples.json) and enforcing the rules of
 * reference/twitch-eventsub.md §4, §5 and §8:
 *
 * - OAuth: `POST /oauth2/device`, `POST /oauth2/token` (device code: `authorization_pending`,
 *   `slow_down`, `invalid device code` for expired, denied or used codes; refresh: a new refresh
 *   token each time, a used or revoked one refused), `GET /oauth2/validate` (200 or 401),
 *   `POST /oauth2/revoke`. Parameters from the query string or a form body.
 * - Helix under `/helix/…` and twurple's mock prefix `/mock/…` (plus `/eventsub/subscriptions`
 *   unprefixed, as twurple's `mockServerPort` sends it): `Authorization: Bearer` and `Client-Id`
 *   checked (401 for a revoked, expired or unknown token), `Ratelimit-*` headers on every answer,
 *   and a scripted 429 with `Ratelimit-Remaining: 0` and `Ratelimit-Reset` in unix seconds.
 *   `GET /users`, EventSub subscriptions (`POST` 202/400/403/409, `GET`, `DELETE` 204/404),
 *   redemption status `PATCH` (200, 404 when not UNFULFILLED, 403 for a foreign reward),
 *   `POST /chat/messages` (ids from the body or the query, 422 over 500 characters, a scripted
 *   `is_sent: false`; Twitch's chat limits: 20 messages per 30 s per channel, 100 for its
 *   moderators and broadcaster, the previous text again within 30 s refused, each as
 *   `is_sent: false` with `msg_ratelimit` / `msg_duplicate`), `GET /moderation/channels`.
 *
 * The EventSub WebSocket is not here: a fake EventSub server attaches to {@link FakeTwitchHelix.server}
 * (`upgrade` on `/ws`, the URL twurple's `mockServerPort` forces) and tells this one which
 * sessions are connected through `eventSub`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';

export const TWITCH_HELIX_SAMPLES_FILE = new URL('../fixtures/twitch-helix-oauth-samples.json', import.meta.url);

interface Sample {
  readonly id: string;
  readonly response: { readonly status: number; readonly headers?: Record<string, string>; readonly body: unknown };
}

function loadSamples(): ReadonlyMap<string, Sample> {
  const file = JSON.parse(readFileSync(TWITCH_HELIX_SAMPLES_FILE, 'utf8')) as { samples: Sample[] };
  return new Map(file.samples.map((s) => [s.id, s]));
}

/** A Twitch user the fake knows (`GET /users`, the account a device code signs in). */
export interface FakeTwitchUser {
  readonly id: string;
  readonly login: string;
  readonly display_name: string;
  readonly broadcaster_type?: string;
}

/** The two users of the samples: the broadcaster and the bot. */
export const FAKE_STREAMER: FakeTwitchUser = { id: '1971641', login: 'streamer', display_name: 'Streamer', broadcaster_type: 'affiliate' };
export const FAKE_BOT: FakeTwitchUser = { id: '2914196', login: 'chatflow_bot', display_name: 'ChatFlow_Bot' };
export const FAKE_CLIENT_ID = 'hof5gwx0su6owfnys0nyan9c87zr6t';

/** The fake's clock (epoch ms): token lifetimes and `Ratelimit-Reset` are real time, as on Twitch. */
export const fakeTwitchNow = (): number => Date.now();

/** What the user does with the next device code. */
export interface DeviceScript {
  /** The account that approves; default the streamer. */
  readonly user?: FakeTwitchUser;
  /** Polls answered `authorization_pending` before the outcome. */
  readonly pending?: number;
  /** Of those, which poll numbers (1-based) answer `slow_down` instead. */
  readonly slowDownAt?: readonly number[];
  /**
   * approve (tokens), deny (the user clicked Decline), expire (the code ran out); `wait`: pending
   * until the test approves the code it was shown ({@link FakeTwitchHelix.approve}).
   */
  readonly outcome?: 'approve' | 'deny' | 'expire' | 'wait';
  /** Seconds, in the device response; default 5 (Twitch's). */
  readonly interval?: number;
  /** Seconds, in the device response; default 1800. */
  readonly expiresIn?: number;
}

interface DeviceCode {
  readonly code: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly script: Required<Omit<DeviceScript, 'slowDownAt'>> & { slowDownAt: readonly number[] };
  polls: number;
  used: boolean;
  /** Who approved it on the activation page (outcome `wait`). */
  approvedBy?: FakeTwitchUser;
}

interface AccessRecord {
  readonly user: FakeTwitchUser;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** Epoch ms. */
  expiresAt: number;
  revoked: boolean;
  readonly refreshToken: string;
}

interface RefreshRecord {
  readonly user: FakeTwitchUser;
  readonly clientId: string;
  readonly scopes: readonly string[];
  used: boolean;
  revoked: boolean;
}

/** An EventSub subscription as the fake stores it (the `data[0]` of the 202). */
export interface FakeSubscription {
  readonly id: string;
  status: string;
  readonly type: string;
  readonly version: string;
  readonly condition: Record<string, string>;
  readonly created_at: string;
  /** Moved to the new session by a `session_reconnect` handover. */
  transport: { method: 'websocket'; session_id: string; connected_at: string; disconnected_at?: string };
  readonly cost: number;
  /** Who created it (not on the wire). */
  readonly clientId: string;
  readonly userId: string;
}

/** How a fake EventSub server tells this one about its sessions. */
export interface FakeEventSubHooks {
  /** True when `sessionId` is a connected session (POST needs one). */
  isConnected(sessionId: string): boolean;
  /** When a subscription was created (to send its notifications to the session). */
  subscribed?(subscription: FakeSubscription): void;
  /** When a redemption's status changed (to send the `…redemption.update` notification). */
  redemptionUpdated?(redemption: FakeRedemption): void;
}

/** A channel points redemption the fake knows. */
export interface FakeRedemption {
  readonly id: string;
  readonly broadcaster_id: string;
  readonly user_id: string;
  readonly user_login: string;
  readonly user_name: string;
  readonly user_input: string;
  status: 'UNFULFILLED' | 'FULFILLED' | 'CANCELED';
  readonly redeemed_at: string;
  readonly reward: { id: string; title: string; prompt: string; cost: number };
  /** The client id that created the reward (only it may update the redemption). */
  readonly rewardOwner: string;
}

/** One request the fake received. */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly status: number;
}

/** The scopes each EventSub type needs on the token, any one of (reference §2), as the fake checks them. */
export const SUBSCRIPTION_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'channel.chat.message': ['user:read:chat'],
  'channel.chat.message_delete': ['user:read:chat'],
  'channel.chat.clear': ['user:read:chat'],
  'channel.chat.clear_user_messages': ['user:read:chat'],
  'channel.chat.notification': ['user:read:chat'],
  'channel.channel_points_custom_reward_redemption.add': ['channel:read:redemptions', 'channel:manage:redemptions'],
  'channel.channel_points_custom_reward_redemption.update': ['channel:read:redemptions', 'channel:manage:redemptions'],
  'channel.follow': ['moderator:read:followers'],
  'channel.subscribe': ['channel:read:subscriptions'],
  'channel.subscription.gift': ['channel:read:subscriptions'],
  'channel.subscription.message': ['channel:read:subscriptions'],
  'channel.cheer': ['bits:read'],
  'channel.poll.begin': ['channel:read:polls', 'channel:manage:polls'],
  'channel.poll.progress': ['channel:read:polls', 'channel:manage:polls'],
  'channel.poll.end': ['channel:read:polls', 'channel:manage:polls'],
  'channel.prediction.begin': ['channel:read:predictions', 'channel:manage:predictions'],
  'channel.prediction.progress': ['channel:read:predictions', 'channel:manage:predictions'],
  'channel.prediction.lock': ['channel:read:predictions', 'channel:manage:predictions'],
  'channel.prediction.end': ['channel:read:predictions', 'channel:manage:predictions'],
  'channel.hype_train.begin': ['channel:read:hype_train'],
  'channel.hype_train.progress': ['channel:read:hype_train'],
  'channel.hype_train.end': ['channel:read:hype_train'],
  'channel.ad_break.begin': ['channel:read:ads'],
};

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const RATE_LIMIT = 800;

function token(length = 30): string {
  return randomBytes(length).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, length).padEnd(length, '0');
}

export class FakeTwitchHelix {
  readonly #samples = loadSamples();
  readonly #users: FakeTwitchUser[];
  readonly #clientIds: Set<string>;
  readonly #devices = new Map<string, DeviceCode>();
  readonly #access = new Map<string, AccessRecord>();
  readonly #refresh = new Map<string, RefreshRecord>();
  readonly #scripts: DeviceScript[] = [];
  readonly #extraServers: NetServer[] = [];
  /** Every request, in order (no tokens: they are never part of `path` or `params`). */
  readonly requests: FakeRequest[] = [];
  /** EventSub subscriptions, by id. */
  readonly subscriptions = new Map<string, FakeSubscription>();
  /** Channel points redemptions, by id. */
  readonly redemptions = new Map<string, FakeRedemption>();
  /** Redemption status updates asked for (`PATCH …/redemptions`): ids, reward, status and the answer. */
  readonly patches: { ids: string[]; rewardId: string; status: string; answer: number }[] = [];
  /** Chat messages sent through `POST /chat/messages` (`at`: {@link chatNow} when it was posted). */
  readonly chatMessages: {
    broadcaster_id: string;
    sender_id: string;
    message: string;
    reply_parent_message_id?: string;
    at: number;
  }[] = [];
  /**
   * Channel (broadcaster id) → the users moderating it: `GET /moderation/channels` lists them,
   * and they (and the broadcaster) may send 100 messages per 30 s instead of 20.
   */
  readonly moderators = new Map<string, Set<string>>();
  /** The clock of the chat limits, ms: real time by default, a test's virtual clock in a flood test. */
  chatNow: () => number = () => Date.now();
  /** `drop_reason` codes answered by `POST /chat/messages`, in order (Twitch's chat limits). */
  readonly chatRefusals: string[] = [];
  /** Per `<channel>/<sender>`: times of the messages posted, and the last text with its time. */
  readonly #chatLog = new Map<string, { times: number[]; last?: { text: string; at: number } }>();
  /** Set by a fake EventSub server; without it any `session_id` counts as connected. */
  eventSub: FakeEventSubHooks | undefined;
  /** Seconds an access token lives (`expires_in`). */
  accessTtlS = 14124;
  /** Forgets the chat sent and refused, and the moderators: a fresh channel for the next test. */
  resetChat(): void {
    this.chatMessages.length = 0;
    this.chatRefusals.length = 0;
    this.#chatLog.clear();
    this.moderators.clear();
    this.dropChat = 0;
  }

  /** The next Helix calls answer 429 this many times. */
  #rateLimited = 0;
  #rateLimitReset = 0;
  /** The next `POST /chat/messages` answer `is_sent: false` this many times. */
  dropChat = 0;

  private constructor(
    readonly server: Server,
    readonly port: number,
    options: FakeTwitchOptions,
  ) {
    this.#users = [...(options.users ?? [FAKE_STREAMER, FAKE_BOT])];
    this.#clientIds = new Set(options.clientIds ?? [FAKE_CLIENT_ID]);
  }

  /** Starts on a random port of localhost (127.0.0.1, and ::1 when the host has it). */
  static async start(options: FakeTwitchOptions = {}): Promise<FakeTwitchHelix> {
    let fake: FakeTwitchHelix | undefined;
    const server = createServer((req, res) => {
      void (fake as FakeTwitchHelix).#handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const created = new FakeTwitchHelix(server, port, options);
    fake = created;
    // twurple calls `http://localhost:<port>`, which may resolve to ::1.
    const v6 = createNetServer((socket) => server.emit('connection', socket));
    await new Promise<void>((resolve) => {
      v6.once('error', () => resolve());
      v6.listen(port, '::1', () => {
        created.#extraServers.push(v6);
        resolve();
      });
    });
    return created;
  }

  /** The base URLs to hand to chatflow (`resources.twitch`). */
  get endpoints(): { helix: string; auth: string; eventsubWs: string } {
    return {
      helix: `http://localhost:${this.port}`,
      auth: `http://localhost:${this.port}/oauth2`,
      eventsubWs: `ws://127.0.0.1:${this.port}/ws`,
    };
  }

  /** How the next device code ends (queued; without a script the streamer approves at once). */
  scriptDevice(script: DeviceScript): void {
    this.#scripts.push(script);
  }

  /**
   * The user opens the activation page, enters `userCode` and clicks Authorize (a code whose
   * script is `outcome: 'wait'`); false when no such code is waiting.
   */
  approve(userCode: string, user: FakeTwitchUser = FAKE_STREAMER): boolean {
    const device = [...this.#devices.values()].find((d) => d.userCode === userCode && !d.used);
    if (device === undefined) return false;
    device.approvedBy = user;
    return true;
  }

  /** Gives `user` a token pair as if they had signed in, for tests that start signed in. */
  signIn(user: FakeTwitchUser, scopes: readonly string[], clientId = FAKE_CLIENT_ID): TokenPair {
    return this.#issue(user, clientId, scopes);
  }

  /** The user revokes the app (Twitch settings → Connections): every token of theirs dies. */
  revokeUser(userId: string): void {
    for (const record of this.#access.values()) if (record.user.id === userId) record.revoked = true;
    for (const record of this.#refresh.values()) if (record.user.id === userId) record.revoked = true;
  }

  /** An access token runs out (its refresh token still works). */
  expireAccess(accessToken: string): void {
    const record = this.#access.get(accessToken);
    if (record) record.expiresAt = 0;
  }

  /** The next `count` Helix calls answer 429 with `Ratelimit-Reset` = `resetEpochS` (default: in a second). */
  rateLimit(count: number, resetEpochS = Math.ceil(fakeTwitchNow() / 1000) + 1): void {
    this.#rateLimited = count;
    this.#rateLimitReset = resetEpochS;
  }

  /** True while `accessToken` is accepted. */
  isValid(accessToken: string): boolean {
    const record = this.#access.get(accessToken);
    return record !== undefined && !record.revoked && record.expiresAt > Date.now();
  }

  /** Requests whose path ends with `suffix`. */
  count(method: string, suffix: string): number {
    return this.requests.filter((r) => r.method === method && r.path.endsWith(suffix)).length;
  }

  /** Adds a redemption (as if a viewer redeemed). */
  addRedemption(redemption: Omit<FakeRedemption, 'status'> & { status?: FakeRedemption['status'] }): FakeRedemption {
    const stored: FakeRedemption = { status: 'UNFULFILLED', ...redemption };
    this.redemptions.set(stored.id, stored);
    return stored;
  }

  async close(): Promise<void> {
    for (const extra of this.#extraServers) extra.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #issue(user: FakeTwitchUser, clientId: string, scopes: readonly string[]): TokenPair {
    const accessToken = token(30);
    const refreshToken = token(48);
    this.#access.set(accessToken, {
      user,
      clientId,
      scopes: [...scopes],
      expiresAt: Date.now() + this.accessTtlS * 1000,
      revoked: false,
      refreshToken,
    });
    this.#refresh.set(refreshToken, { user, clientId, scopes: [...scopes], used: false, revoked: false });
    return { accessToken, refreshToken };
  }

  #sample(id: string): { status: number; body: unknown } {
    const sample = this.#samples.get(id);
    if (!sample) throw new Error(`No sample ${id}`);
    return { status: sample.response.status, body: structuredClone(sample.response.body) };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await new Promise<string>((resolve) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        text += c;
      });
      req.on('end', () => resolve(text));
    });
    const params: Record<string, string> = {};
    const repeated: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) {
      params[k] = v;
      repeated[k] = [...(repeated[k] ?? []), v];
    }
    let json: Record<string, unknown> | undefined;
    const type = String(req.headers['content-type'] ?? '');
    if (raw !== '' && type.includes('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(raw)) params[k] = v;
    } else if (raw !== '') {
      try {
        json = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
    }
    const method = req.method ?? 'GET';
    let path = url.pathname;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): Sent => {
      const safe = { ...params };
      for (const secret of ['refresh_token', 'device_code', 'token', 'client_secret']) delete safe[secret];
      this.requests.push({ method, path, params: safe, status });
      res.writeHead(status, body === undefined ? headers : { 'Content-Type': 'application/json', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
      return true;
    };

    if (path.startsWith('/oauth2/') || path.startsWith('/auth/')) {
      path = path.replace(/^\/(oauth2|auth)\//, '/oauth2/');
      this.#oauth(method, path, params, req, send);
      return;
    }
    const helix = path.match(/^\/(?:helix|mock)(\/.*)$/)?.[1] ?? (path === '/eventsub/subscriptions' ? path : undefined);
    if (helix === undefined) {
      send(404, { error: 'Not Found', status: 404, message: 'no such endpoint' });
      return;
    }
    this.#helix(method, helix, params, repeated, json, req, send);
  }

  #oauth(
    method: string,
    path: string,
    params: Record<string, string>,
    req: IncomingMessage,
    send: (status: number, body: unknown, headers?: Record<string, string>) => Sent,
  ): Sent {
    const error = (status: number, message: string) => send(status, { status, message });
    if (method === 'POST' && path === '/oauth2/device') {
      const clientId = params.client_id ?? '';
      if (!this.#clientIds.has(clientId)) return error(400, 'invalid client');
      const script = this.#scripts.shift() ?? {};
      const userCode = token(8).toUpperCase().replace(/[^A-Z]/g, 'X');
      const code = token(40);
      const device: DeviceCode = {
        code,
        userCode,
        clientId,
        scopes: (params.scopes ?? params.scope ?? '').split(' ').filter((s) => s !== ''),
        script: {
          user: script.user ?? FAKE_STREAMER,
          pending: script.pending ?? 0,
          slowDownAt: script.slowDownAt ?? [],
          outcome: script.outcome ?? 'approve',
          interval: script.interval ?? 5,
          expiresIn: script.expiresIn ?? 1800,
        },
        polls: 0,
        used: false,
      };
      this.#devices.set(code, device);
      const sample = this.#sample('oauth-device-start');
      const body = sample.body as Record<string, unknown>;
      body.device_code = code;
      body.user_code = userCode;
      body.interval = device.script.interval;
      body.expires_in = device.script.expiresIn;
      body.verification_uri = `https://www.twitch.tv/activate?public=true&device-code=${userCode}`;
      return send(200, body);
    }
    if (method === 'POST' && path === '/oauth2/token') {
      if (params.grant_type === DEVICE_GRANT) {
        const device = this.#devices.get(params.device_code ?? '');
        if (!device || device.used || device.clientId !== params.client_id) {
          const s = this.#sample('oauth-device-poll-invalid');
          return send(s.status, s.body);
        }
        device.polls += 1;
        if (device.script.slowDownAt.includes(device.polls)) return error(400, 'slow_down');
        if (device.polls <= device.script.pending) {
          const s = this.#sample('oauth-device-poll-pending');
          return send(s.status, s.body);
        }
        if (device.script.outcome === 'wait' && device.approvedBy === undefined) {
          const s = this.#sample('oauth-device-poll-pending');
          return send(s.status, s.body);
        }
        if (device.script.outcome === 'deny' || device.script.outcome === 'expire') {
          device.used = true;
          const s = this.#sample('oauth-device-poll-invalid');
          return send(s.status, s.body);
        }
        device.used = true;
        const pair = this.#issue(device.approvedBy ?? device.script.user, device.clientId, device.scopes);
        const s = this.#sample('oauth-device-poll-success');
        return send(s.status, {
          ...(s.body as object),
          access_token: pair.accessToken,
          refresh_token: pair.refreshToken,
          expires_in: this.accessTtlS,
          scope: device.scopes,
        });
      }
      if (params.grant_type === 'refresh_token') {
        const record = this.#refresh.get(params.refresh_token ?? '');
        if (!record || record.used || record.revoked || record.clientId !== params.client_id) {
          const s = this.#sample('oauth-refresh-invalid');
          return send(s.status, s.body);
        }
        // One-time use (public clients): the old refresh token dies, a new pair is issued.
        record.used = true;
        const pair = this.#issue(record.user, record.clientId, record.scopes);
        const s = this.#sample('oauth-refresh');
        return send(s.status, {
          ...(s.body as object),
          access_token: pair.accessToken,
          refresh_token: pair.refreshToken,
          expires_in: this.accessTtlS,
          scope: record.scopes,
        });
      }
      return error(400, 'unsupported grant type');
    }
    if (method === 'GET' && path === '/oauth2/validate') {
      const auth = String(req.headers.authorization ?? '');
      const accessToken = auth.replace(/^(OAuth|Bearer) /i, '');
      const record = this.#access.get(accessToken);
      if (!record || !this.isValid(accessToken)) {
        const s = this.#sample('oauth-validate-401');
        return send(s.status, s.body);
      }
      const s = this.#sample('oauth-validate');
      return send(s.status, {
        ...(s.body as object),
        client_id: record.clientId,
        login: record.user.login,
        user_id: record.user.id,
        scopes: record.scopes,
        expires_in: Math.max(0, Math.floor((record.expiresAt - Date.now()) / 1000)),
      });
    }
    if (method === 'POST' && path === '/oauth2/revoke') {
      const record = this.#access.get(params.token ?? '');
      if (!record || record.clientId !== params.client_id) return error(400, 'Invalid token');
      record.revoked = true;
      const refresh = this.#refresh.get(record.refreshToken);
      if (refresh) refresh.revoked = true;
      return send(200, undefined);
    }
    return error(404, 'no such endpoint');
  }

  #helix(
    method: string,
    path: string,
    params: Record<string, string>,
    repeated: Record<string, string[]>,
    json: Record<string, unknown> | undefined,
    req: IncomingMessage,
    send: (status: number, body: unknown, headers?: Record<string, string>) => Sent,
  ): Sent {
    const resetS = Math.ceil(Date.now() / 1000) + 60;
    const limits = (remaining: number, reset = resetS): Record<string, string> => ({
      'Ratelimit-Limit': String(RATE_LIMIT),
      'Ratelimit-Remaining': String(remaining),
      'Ratelimit-Reset': String(reset),
    });
    const fail = (status: number, error: string, message: string) =>
      send(status, { error, status, message }, limits(RATE_LIMIT - 1));
    const clientId = String(req.headers['client-id'] ?? '');
    const auth = String(req.headers.authorization ?? '');
    const accessToken = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
    if (clientId === '' || accessToken === '') return fail(401, 'Unauthorized', 'Missing Client ID or OAuth token');
    const record = this.#access.get(accessToken);
    if (!record || record.revoked || record.clientId !== clientId) {
      const s = this.#sample('helix-send-chat-message-401');
      return send(s.status, s.body, limits(RATE_LIMIT - 1));
    }
    if (record.expiresAt <= Date.now()) return fail(401, 'Unauthorized', 'Token expired');
    if (this.#rateLimited > 0) {
      this.#rateLimited -= 1;
      const s = this.#sample('helix-429');
      return send(s.status, s.body, limits(0, this.#rateLimitReset));
    }
    const ok = (status: number, body: unknown) => send(status, body, limits(RATE_LIMIT - 1));
    const hasScope = (anyOf: readonly string[]) => anyOf.some((s) => record.scopes.includes(s));

    if (method === 'GET' && path === '/users') {
      const ids = repeated.id ?? [];
      const logins = (repeated.login ?? []).map((l) => l.toLowerCase());
      if (ids.length + logins.length > 100) return fail(400, 'Bad Request', 'too many ids or logins');
      const found =
        ids.length + logins.length === 0
          ? [record.user]
          : this.#users.filter((u) => ids.includes(u.id) || logins.includes(u.login));
      const template = (this.#sample('helix-get-users').body as { data: Record<string, unknown>[] }).data[0];
      return ok(200, {
        data: found.map((u) => ({ ...template, broadcaster_type: '', description: '', ...u })),
      });
    }
    if (path === '/eventsub/subscriptions') return this.#subscriptions(method, params, json, record, ok, fail);
    if (method === 'PATCH' && path === '/channel_points/custom_rewards/redemptions') {
      // Every answer of this route is also kept in `patches` (after the auth and 429 checks).
      const answer = (status: number, body: unknown, headers: Record<string, string>) => {
        this.patches.push({ ids: repeated.id ?? [], rewardId: params.reward_id ?? '', status: String(json?.status ?? ''), answer: status });
        return send(status, body, headers);
      };
      const refuse = (status: number, error: string, message: string) => answer(status, { error, status, message }, limits(RATE_LIMIT - 1));
      if (!hasScope(['channel:manage:redemptions'])) return refuse(401, 'Unauthorized', 'Missing scope: channel:manage:redemptions');
      if (params.broadcaster_id !== record.user.id) {
        return refuse(403, 'Forbidden', 'The broadcaster_id must match the user in the OAuth token.');
      }
      const status = json?.status;
      if (status !== 'FULFILLED' && status !== 'CANCELED') return refuse(400, 'Bad Request', 'status must be FULFILLED or CANCELED');
      const ids = repeated.id ?? [];
      if (ids.length === 0 || ids.length > 50 || !params.reward_id) return refuse(400, 'Bad Request', 'reward_id and 1 to 50 id are required');
      const found = ids.map((id) => this.redemptions.get(id));
      const foreign = found.find((r) => r !== undefined && r.rewardOwner !== clientId);
      if (foreign) {
        const s = this.#sample('helix-update-redemption-status-403');
        return answer(s.status, s.body, limits(RATE_LIMIT - 1));
      }
      const updatable = found.filter(
        (r): r is FakeRedemption => r !== undefined && r.status === 'UNFULFILLED' && r.reward.id === params.reward_id,
      );
      if (updatable.length === 0) {
        const s = this.#sample('helix-update-redemption-status-404');
        return answer(s.status, s.body, limits(RATE_LIMIT - 1));
      }
      for (const r of updatable) {
        r.status = status;
        this.eventSub?.redemptionUpdated?.(r);
      }
      return answer(200, {
        data: updatable.map(({ rewardOwner: _owner, ...r }) => ({
          broadcaster_name: record.user.display_name,
          broadcaster_login: record.user.login,
          ...r,
        })),
      }, limits(RATE_LIMIT - 1));
    }
    if (method === 'POST' && path === '/chat/messages') {
      const body = json ?? {};
      const broadcasterId = String(body.broadcaster_id ?? params.broadcaster_id ?? '');
      const senderId = String(body.sender_id ?? params.sender_id ?? '');
      const message = String(body.message ?? '');
      if (!hasScope(['user:write:chat'])) return fail(401, 'Unauthorized', 'Missing scope: user:write:chat');
      if (broadcasterId === '' || senderId === '' || message === '') {
        return fail(400, 'Bad Request', 'broadcaster_id, sender_id and message are required');
      }
      if (senderId !== record.user.id) return fail(403, 'Forbidden', 'The sender must be the user in the OAuth token.');
      if ([...message].length > 500) return fail(422, 'Unprocessable Entity', 'message is too long');
      if (this.dropChat > 0) {
        this.dropChat -= 1;
        const s = this.#sample('helix-send-chat-message-dropped');
        return ok(200, s.body);
      }
      // Twitch's chat limits (reference/platform-protocols.md §1.7): 20 per 30 s, 100 for the
      // channel's moderators and broadcaster; the previous text again within 30 s is refused.
      const now = this.chatNow();
      const key = `${broadcasterId}/${senderId}`;
      const log = this.#chatLog.get(key) ?? { times: [] };
      this.#chatLog.set(key, log);
      log.times = log.times.filter((t) => t + 30_000 > now);
      const privileged = senderId === broadcasterId || this.moderators.get(broadcasterId)?.has(senderId) === true;
      const refuse = (code: string, text: string) => {
        this.chatRefusals.push(code);
        return ok(200, { data: [{ message_id: '', is_sent: false, drop_reason: { code, message: text } }] });
      };
      if (log.times.length >= (privileged ? 100 : 20)) {
        return refuse('msg_ratelimit', 'Your message was not sent because you are sending messages too quickly.');
      }
      if (log.last !== undefined && log.last.text === message && log.last.at + 30_000 > now) {
        return refuse('msg_duplicate', 'Your message was not sent because it is identical to the previous one you sent, less than 30 seconds ago.');
      }
      log.times.push(now);
      log.last = { text: message, at: now };
      const parent = body.reply_parent_message_id;
      this.chatMessages.push({
        broadcaster_id: broadcasterId,
        sender_id: senderId,
        message,
        ...(typeof parent === 'string' ? { reply_parent_message_id: parent } : {}),
        at: now,
      });
      return ok(200, { data: [{ message_id: randomUUID(), is_sent: true }] });
    }
    if (method === 'GET' && path === '/moderation/channels') {
      if (!hasScope(['user:read:moderated_channels'])) return fail(401, 'Unauthorized', 'Missing scope: user:read:moderated_channels');
      if (params.user_id !== record.user.id) return fail(400, 'Bad Request', 'user_id must be the user in the OAuth token.');
      const channels = [...this.moderators].filter(([, mods]) => mods.has(record.user.id)).map(([id]) => id);
      return ok(200, {
        data: channels.map((id) => {
          const user = this.#users.find((u) => u.id === id);
          return { broadcaster_id: id, broadcaster_login: user?.login ?? id, broadcaster_name: user?.display_name ?? id };
        }),
        pagination: {},
      });
    }
    return fail(404, 'Not Found', 'no such endpoint');
  }

  #subscriptions(
    method: string,
    params: Record<string, string>,
    json: Record<string, unknown> | undefined,
    record: AccessRecord,
    ok: (status: number, body: unknown) => Sent,
    fail: (status: number, error: string, message: string) => Sent,
  ): Sent {
    const mine = () => [...this.subscriptions.values()].filter((s) => s.clientId === record.clientId && s.userId === record.user.id);
    const wire = ({ clientId: _c, userId: _u, ...s }: FakeSubscription) => s;
    const totals = () => {
      const list = mine();
      return { total: list.length, total_cost: list.reduce((n, s) => n + s.cost, 0), max_total_cost: 10 };
    };
    if (method === 'GET') {
      const list = mine().filter((s) => (params.status ? s.status === params.status : true) && (params.type ? s.type === params.type : true));
      return ok(200, { data: list.map(wire), ...totals(), pagination: {} });
    }
    if (method === 'DELETE') {
      const sub = this.subscriptions.get(params.id ?? '');
      if (!sub || sub.clientId !== record.clientId) return fail(404, 'Not Found', 'subscription not found');
      this.subscriptions.delete(sub.id);
      return ok(204, undefined);
    }
    if (method !== 'POST') return fail(404, 'Not Found', 'no such endpoint');
    const body = json;
    const transport = body?.transport as { method?: unknown; session_id?: unknown } | undefined;
    const type = typeof body?.type === 'string' ? body.type : '';
    const version = typeof body?.version === 'string' ? body.version : '';
    const condition = (body?.condition ?? {}) as Record<string, string>;
    if (!body || type === '' || version === '') return fail(400, 'Bad Request', 'type and version are required');
    if (transport?.method !== 'websocket' || typeof transport.session_id !== 'string') {
      return fail(400, 'Bad Request', 'transport.method must be websocket with a session_id');
    }
    const sessionId = transport.session_id;
    if (this.eventSub && !this.eventSub.isConnected(sessionId)) {
      const s = this.#sample('helix-create-eventsub-subscription-400-session');
      return ok(s.status, s.body);
    }
    const needs = SUBSCRIPTION_SCOPES[type];
    if (needs && !needs.some((scope) => record.scopes.includes(scope))) {
      const s = this.#sample('helix-create-eventsub-subscription-403');
      return ok(s.status, s.body);
    }
    const key = JSON.stringify([type, version, condition, sessionId]);
    if (mine().some((s) => JSON.stringify([s.type, s.version, s.condition, s.transport.session_id]) === key && s.status === 'enabled')) {
      const s = this.#sample('helix-create-eventsub-subscription-409');
      return ok(s.status, s.body);
    }
    const now = new Date().toISOString();
    const sub: FakeSubscription = {
      id: randomUUID(),
      status: 'enabled',
      type,
      version,
      condition,
      created_at: now,
      transport: { method: 'websocket', session_id: sessionId, connected_at: now },
      cost: 0,
      clientId: record.clientId,
      userId: record.user.id,
    };
    this.subscriptions.set(sub.id, sub);
    this.eventSub?.subscribed?.(sub);
    return ok(202, { data: [wire(sub)], ...totals() });
  }
}

export interface FakeTwitchOptions {
  /** Users `GET /users` and the device flow know; default the streamer and the bot of the samples. */
  readonly users?: readonly FakeTwitchUser[];
  /** Client ids the fake accepts; default the samples' one. */
  readonly clientIds?: readonly string[];
}

/** A request answered (what every route returns). */
type Sent = true;

export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
}
