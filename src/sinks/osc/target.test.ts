import { describe, expect, it } from 'vitest';
import { parseTarget } from './target.js';

describe('parseTarget', () => {
  it('reads host:port, hostnames and bracketed IPv6', () => {
    expect(parseTarget('127.0.0.1:7400')).toEqual({ host: '127.0.0.1', port: 7400, family: 'udp4' });
    expect(parseTarget('synth.local:9000')).toEqual({ host: 'synth.local', port: 9000, family: 'udp4' });
    expect(parseTarget('[::1]:7400')).toEqual({ host: '::1', port: 7400, family: 'udp6' });
  });

  it.each(['127.0.0.1', ':7400', '127.0.0.1:0', 'host:70000', '::1:7400', '[nope]:7400', 'a b:1'])(
    'rejects %s',
    (text) => {
      expect(parseTarget(text)).toBeUndefined();
    },
  );
});
