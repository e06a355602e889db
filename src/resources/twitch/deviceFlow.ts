/**
 * Twitch's Device Code Grant (reference/twitch-eventsub.md §5): the shared flow
 * (resources/userToken/deviceFlow.ts) over Twitch's OAuth calls, whose one refusal, `invalid
 * device code`, means declined, used or expired alike.
 */
import {
  type DeviceFlowOptions as FlowOptions,
  type DeviceFlowResult as FlowResult,
  deviceFlow,
} from '../userToken/deviceFlow.js';
import type { DeviceCodeStart, TokenGrant, TwitchOAuth } from './oauth.js';

/** How a sign-in ended. */
export type DeviceFlowResult = FlowResult<TokenGrant>;

export interface DeviceFlowOptions extends Omit<FlowOptions<TokenGrant, DeviceCodeStart>, 'client'> {
  readonly oauth: TwitchOAuth;
}

export function deviceCodeSignIn(options: DeviceFlowOptions): Promise<DeviceFlowResult> {
  const { oauth, ...flow } = options;
  return deviceFlow({
    ...flow,
    client: {
      startDevice: (scopes) => oauth.startDevice(scopes),
      pollDevice: async (deviceCode) => {
        const poll = await oauth.pollDevice(deviceCode, options.scopes);
        return poll.kind === 'invalid' ? { kind: 'denied' } : poll;
      },
    },
  });
}
