/**
 * What components may use of the Twitch sign-in (the service itself is `TWITCH_AUTH` in
 * core/twitchAuth.ts): the one table of the scopes EventSub types and Helix calls need, and
 * {@link tokenFailure}, which fails a node for good once its token is missing, revoked or expired.
 */
export { EVENTSUB_SCOPES, eventSubScopeNeeds, HELIX_SCOPES } from './eventSubScopes.js';
export { tokenFailure } from './twitchAuthService.js';
