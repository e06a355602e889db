/** Where Twitch lives, and how twurple is pointed at a local server instead (tests, a relay). */
import type { TwitchEndpoints } from '../../core/twitchAuth.js';

export const TWITCH_ENDPOINTS: TwitchEndpoints = {
  helix: 'https://api.twitch.tv/helix',
  auth: 'https://id.twitch.tv/oauth2',
  eventsubWs: 'wss://eventsub.wss.twitch.tv/ws',
};

/**
 * The port twurple's `mockServerPort` needs for a Helix base URL other than Twitch's, or
 * undefined for Twitch's. twurple 7 has no base URL option: `mockServerPort` sends Helix calls
 * to `http://localhost:<port>/mock/…` (`/eventsub/subscriptions` unprefixed) and EventSub to
 * `ws://127.0.0.1:<port>/ws`, so a local Helix must be `http://localhost:<port>` (or 127.0.0.1).
 * Returns a message for any other URL.
 */
export function helixMockPort(helix: string): number | undefined | string {
  if (helix.replace(/\/+$/, '') === TWITCH_ENDPOINTS.helix) return undefined;
  let url: URL;
  try {
    url = new URL(helix);
  } catch {
    return `"${helix}" is not a URL`;
  }
  const local = url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
  if (!local || url.port === '' || (url.pathname !== '/' && url.pathname !== '')) {
    return `Expected Twitch's Helix URL (${TWITCH_ENDPOINTS.helix}) or a local test server as http://localhost:<port> (twurple reaches one only there), not "${helix}"`;
  }
  return Number(url.port);
}
