/** `kick`'s configuration: channel slug or ids, Pusher endpoint and keepalive. */
import { z } from 'zod';
import { botLoginField } from '../shared/ownMessages.js';
import { duration } from '../../core/units.js';
import { KICK_API_BASE } from './lookup.js';
import { KICK_APP_KEY, KICK_CLUSTER, originProblem } from './pusher.js';

export const SLUG = /^[A-Za-z0-9_-]{1,64}$/;

/** A numeric id given as a number or a string; empty (an unset `${VAR:-}`) means not given. */
const optionalId = (example: string) =>
  z
    .union([z.number().int().nonnegative(), z.string().regex(/^\d*$/, `Expected a number such as ${example}`)])
    .nullish()
    .transform((value) => (value === null || value === undefined || value === '' ? undefined : String(value)));

export const KickConfig = z
  .strictObject({
    channel: z
      .string()
      .regex(/^([A-Za-z0-9_-]{1,64})?$/, 'Expected a Kick channel slug such as "xqc" (the name in kick.com/<slug>)')
      .nullish()
      .transform((slug) => (slug ? slug.toLowerCase() : undefined))
      .describe(
        `The channel to read, by its slug (the name in \`kick.com/<slug>\`). Its chatroom id is looked up from Kick's channel API unless \`chatroom_id\` is set; it also names the channel in events. Empty is allowed while the node is disabled (\`"\${KICK_CHANNEL:-}"\`).`,
      ),
    bot_login: botLoginField('its Kick username'),
    chatroom_id: optionalId('668')
      .describe(
        "The channel's chatroom id (`chatroom.id` in `kick.com/api/v2/channels/<slug>`). Set it when the lookup is blocked (HTTP 403 from Cloudflare): then no lookup is made. See docs/kick.md for how to find it.",
      ),
    channel_id: optionalId('90876')
      .describe(
        "The channel's own id (top-level `id` in `kick.com/api/v2/channels/<slug>`), to also subscribe to `channel.<id>` (gift lists). Taken from the lookup when there is one; optional.",
      ),
    app_key: z
      .string()
      .regex(/^[A-Za-z0-9]{8,64}$/, 'Expected a Pusher app key such as 32cbd69e4b950bf97679')
      .default(KICK_APP_KEY)
      .describe(
        "Kick's public Pusher app key. Kick has changed it before (2023–2024: `eb1d5f283081a78b932c`); a close with code 4001 means it changed again.",
      ),
    cluster: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/, 'Expected a Pusher cluster name such as us2')
      .default(KICK_CLUSTER)
      .describe('Pusher cluster of the app key: the socket is `wss://ws-<cluster>.pusher.com`.'),
    ws_url: z
      .preprocess(
        // Empty (`"${KICK_WS_URL:-}"` unset) means the cluster's own socket.
        (value) => (value === '' ? undefined : value),
        z
          .string()
          .superRefine((url, ctx) => {
            const problem = originProblem(url);
            if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
          })
          .optional(),
      )
      .describe(
        'WebSocket origin to use instead of `wss://ws-<cluster>.pusher.com`, e.g. `ws://127.0.0.1:6001` for a local relay or test server; `/app/<app_key>?protocol=7…` is added. Empty means the cluster’s socket.',
      ),
    api_base_url: z
      .string()
      .url()
      .default(KICK_API_BASE)
      .describe('Base URL of the channel API used to look up `chatroom_id` (`<api_base_url>/api/v2/channels/<slug>`).'),
    activity_timeout: duration()
      .prefault('120s')
      .describe(
        "After this long without any frame, send `pusher:ping` to check the connection is alive (the server's own `activity_timeout` wins when shorter).",
      ),
    pong_timeout: duration()
      .prefault('30s')
      .describe(
        'How long a `pusher:ping` may go unanswered before the connection counts as dead and is replaced. Health is `stale` from half of it.',
      ),
    connect_timeout: duration()
      .prefault('10s')
      .describe('Longest wait for the channel lookup, and from opening the socket to the chatroom subscription succeeding.'),
    reconnect_initial: duration()
      .prefault('1s')
      .describe('First reconnect delay after an abnormal close; it doubles per failed attempt up to `reconnect_max`.'),
    reconnect_max: duration().prefault('30s').describe('Longest reconnect delay.'),
  })
  .superRefine((config, ctx) => {
    if (config.pong_timeout < 100) {
      ctx.addIssue({ code: 'custom', path: ['pong_timeout'], message: 'A ping needs at least 100ms to be answered' });
    }
    if (config.reconnect_max < config.reconnect_initial) {
      ctx.addIssue({ code: 'custom', path: ['reconnect_max'], message: 'Must not be shorter than reconnect_initial' });
    }
  })
  .describe('Kick chat.');
export type KickConfig = z.output<typeof KickConfig>;
