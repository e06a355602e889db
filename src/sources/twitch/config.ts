/** `twitch`'s configuration: channels, optional login, server and keepalive. */
import { z } from 'zod';
import { botLoginField } from '../shared/ownMessages.js';
import { duration } from '../../core/units.js';
import { TWITCH_SERVER, twitchEndpoint } from './client.js';

const LOGIN = /^[A-Za-z0-9_]{1,25}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const TwitchConfig = z
  .strictObject({
    channels: z
      .array(z.string().regex(/^(#?[A-Za-z0-9_]{1,25})?$/, 'Expected a channel login such as "pajlada" or "#pajlada"'))
      .min(1)
      .transform((list) => [...new Set(list.filter((c) => c !== '').map((c) => c.replace(/^#/, '').toLowerCase()))])
      .describe(
        `Channels to read, by login (\`pajlada\` or \`#pajlada\`, any case). Empty entries are ignored, so \`"\${TWITCH_CHANNEL:-}"\` may stay unset while the node is disabled; an enabled node with no channel fails at start.`,
      ),
    username: z
      .string()
      .regex(LOGIN, 'Expected a Twitch login (letters, digits and _)')
      .transform((name) => name.toLowerCase())
      .optional()
      .describe(
        'Log in as this Twitch user, with the token from `token_env`. Left out: anonymous and read-only, which is all reading chat needs.',
      ),
    token_env: z
      .string()
      .regex(ENV_NAME, 'Expected the NAME of an environment variable (such as TWITCH_TOKEN), not the token itself')
      .default('TWITCH_TOKEN')
      .describe(
        'Name of the environment variable holding the OAuth token of `username` (with or without `oauth:`). Only read when `username` is set; the token itself never goes in the pipeline file.',
      ),
    server: z
      .string()
      .default(TWITCH_SERVER)
      .superRefine((url, ctx) => {
        const endpoint = twitchEndpoint(url);
        if (typeof endpoint === 'string') ctx.addIssue({ code: 'custom', message: endpoint });
      })
      .describe(
        "Chat server as a WebSocket URL: Twitch's by default; `ws://host:port` for a local relay or a test server (tmi.js allows `wss://` on port 443 only).",
      ),
    ping_interval: duration()
      .prefault('20s')
      .describe('After this long without any line from the server, send a PING to check the connection is alive.'),
    ping_timeout: duration()
      .prefault('10s')
      .describe(
        'How long a PING may go unanswered (with nothing else arriving either) before the connection counts as dead and is replaced. Health is `stale` from half of it.',
      ),
    connect_timeout: duration()
      .prefault('10s')
      .describe('Longest wait from opening the socket to the end of the login (`376`); longer counts as a failed connect.'),
    join_timeout: duration()
      .prefault('10s')
      .describe(
        'Longest wait for the channels to be joined after login (plus `join_interval` per further channel). If none is joined by then the connection is retried; if some are, the source goes live and names the missing ones.',
      ),
    join_interval: duration()
      .prefault('500ms')
      .refine((ms) => ms >= 300, 'tmi.js joins at most one channel per 300ms')
      .describe(
        'Pause between two JOINs. Twitch allows 20 JOINs per 10 s to a normal account, hence 500ms; at least 300ms.',
      ),
    bot_login: botLoginField('its Twitch login; default `username`'),
    shared_chat: z
      .enum(['all', 'own'])
      .default('all')
      .describe(
        'Shared Chat sessions: `all` keeps messages first sent in a partner channel (marked with `sourceRoom`), each once even when several joined channels deliver it; `own` keeps only messages sent in the joined channel itself.',
      ),
  })
  .superRefine((config, ctx) => {
    if (config.ping_timeout < 100) {
      ctx.addIssue({ code: 'custom', path: ['ping_timeout'], message: 'A PING needs at least 100ms to be answered' });
    }
  })
  .describe('Twitch chat.');
export type TwitchConfig = z.output<typeof TwitchConfig>;
