import { describe, expect, it } from 'vitest';
import {
  classifyClose,
  connectionEstablished,
  decodePusherFrame,
  originProblem,
  pusherError,
  pusherUrl,
  reconnectDelay,
  subscribeFrame,
} from './pusher.js';

describe('pusherUrl', () => {
  it("builds Pusher's URL from key and cluster, or on another origin", () => {
    expect(pusherUrl('32cbd69e4b950bf97679', 'us2')).toBe(
      'wss://ws-us2.pusher.com/app/32cbd69e4b950bf97679?protocol=7&client=js&version=8.4.0&flash=false',
    );
    expect(pusherUrl('key', 'us2', 'ws://127.0.0.1:6001/')).toBe('ws://127.0.0.1:6001/app/key?protocol=7&client=js&version=8.4.0&flash=false');
  });

  it('accepts only a bare ws:// or wss:// origin', () => {
    expect(originProblem('ws://127.0.0.1:6001')).toBeUndefined();
    expect(originProblem('wss://ws-eu.pusher.com/')).toBeUndefined();
    expect(originProblem('http://x')).toBe('Expected a ws:// or wss:// URL, not http://');
    expect(originProblem('ws://x/app/key')).toMatch(/only the scheme, host and port/);
    expect(originProblem('nonsense')).toMatch(/^Expected a WebSocket origin/);
  });
});

describe('decodePusherFrame', () => {
  it('decodes the JSON string inside data a second time', () => {
    expect(decodePusherFrame('{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"1.2\\",\\"activity_timeout\\":120}"}')).toEqual({
      event: 'pusher:connection_established',
      data: { socket_id: '1.2', activity_timeout: 120 },
    });
    expect(decodePusherFrame('{"event":"x","data":"{}","channel":"chatrooms.1.v2"}')).toEqual({ event: 'x', channel: 'chatrooms.1.v2', data: {} });
  });

  it('takes data that is already an object, or missing', () => {
    expect(decodePusherFrame('{"event":"pusher:error","data":{"code":4001,"message":"m"}}')?.data).toEqual({ code: 4001, message: 'm' });
    expect(decodePusherFrame('{"event":"pusher:pong"}')).toEqual({ event: 'pusher:pong', data: undefined });
  });

  it('refuses what is not a frame', () => {
    for (const raw of ['', 'not json', '[]', 'null', '{"data":"{}"}', '{"event":5}', '{"event":"x","data":"{broken"}', '{"event":"x","channel":3}']) {
      expect(decodePusherFrame(raw), raw).toBeUndefined();
    }
  });
});

describe('frames and their data', () => {
  it('subscribes with an object data and an empty auth', () => {
    expect(JSON.parse(subscribeFrame('chatrooms.668.v2'))).toEqual({ event: 'pusher:subscribe', data: { auth: '', channel: 'chatrooms.668.v2' } });
  });

  it('reads connection_established and pusher:error', () => {
    expect(connectionEstablished({ socket_id: '214617.19803', activity_timeout: 120 })).toEqual({
      socketId: '214617.19803',
      activityTimeoutMs: 120_000,
    });
    expect(connectionEstablished({ socket_id: '1.1' })).toEqual({ socketId: '1.1' });
    expect(connectionEstablished({ activity_timeout: 120 })).toBeUndefined();
    expect(pusherError({ code: 4001, message: 'App key x not in this cluster.' })).toEqual({ code: 4001, message: 'App key x not in this cluster.' });
    expect(pusherError({ code: null, message: 'no' })).toEqual({ code: undefined, message: 'no' });
    expect(pusherError('odd')).toEqual({ code: undefined, message: 'odd' });
  });
});

describe('classifyClose', () => {
  it('maps the Pusher close-code ranges', () => {
    expect([4000, 4001, 4007, 4099].map(classifyClose)).toEqual(['fatal', 'fatal', 'fatal', 'fatal']);
    expect([4100, 4150, 4199].map(classifyClose)).toEqual(['backoff', 'backoff', 'backoff']);
    expect([4200, 4201, 4299].map(classifyClose)).toEqual(['immediate', 'immediate', 'immediate']);
    expect([1000, 1001, 1006, 1011, 3999, 4300, 0].map(classifyClose)).toEqual(Array(7).fill('abnormal'));
  });
});

describe('reconnectDelay', () => {
  const policy = { initialMs: 500, maxMs: 4000, jitter: 0.2 };
  const none = () => 0.5;

  it('abnormal: capped exponential backoff', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => reconnectDelay('abnormal', n, policy, none))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
  });

  it('immediate: at once the first time, then the backoff one step behind', () => {
    expect([1, 2, 3].map((n) => reconnectDelay('immediate', n, policy, none))).toEqual([0, 500, 1000]);
  });

  it('backoff (41xx): never under a second', () => {
    expect([1, 2, 3].map((n) => reconnectDelay('backoff', n, policy, none))).toEqual([1000, 1000, 2000]);
  });

  it('spreads by ±jitter', () => {
    expect(reconnectDelay('abnormal', 3, policy, () => 0)).toBe(1600);
    expect(reconnectDelay('abnormal', 3, policy, () => 1)).toBe(2400);
  });
});
