import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { silentLogger } from '../core/logger.js';
import { type HttpServer, createHttpServer } from './httpServer.js';
import { presentedToken, requestAuthorized, tokenMatches } from './token.js';

describe('tokenMatches', () => {
  it('matches the same token and nothing else, whatever the lengths', () => {
    expect(tokenMatches('s3cret', 's3cret')).toBe(true);
    expect(tokenMatches('s3cret', 's3creT')).toBe(false);
    expect(tokenMatches('s3cret', 's3cre')).toBe(false);
    expect(tokenMatches('s3cret', 's3cret-and-more')).toBe(false);
    expect(tokenMatches('s3cret', '')).toBe(false);
    expect(tokenMatches('s3cret', undefined)).toBe(false);
  });

  it('lets everything through when no token is configured', () => {
    expect(tokenMatches('', undefined)).toBe(true);
    expect(tokenMatches('', 'anything')).toBe(true);
  });
});

describe('presentedToken', () => {
  it('reads a Bearer header, then x-chatflow-token, then ?token=', () => {
    expect(presentedToken({ headers: { authorization: 'Bearer abc' }, query: { token: 'q' } })).toBe('abc');
    expect(presentedToken({ headers: { authorization: 'bearer  abc ' }, query: {} })).toBe('abc');
    expect(presentedToken({ headers: { 'x-chatflow-token': 'hdr' }, query: { token: 'q' } })).toBe('hdr');
    expect(presentedToken({ headers: {}, query: { token: 'q' } })).toBe('q');
    expect(presentedToken({ headers: { authorization: 'Basic abc' }, query: {} })).toBeUndefined();
    expect(presentedToken({ headers: {}, query: { token: ['a', 'b'] } })).toBeUndefined();
    expect(presentedToken({ headers: {}, query: undefined })).toBeUndefined();
  });

  it('authorizes a request only with the configured token', () => {
    expect(requestAuthorized('t', { headers: { authorization: 'Bearer t' }, query: {} })).toBe(true);
    expect(requestAuthorized('t', { headers: { authorization: 'Bearer u' }, query: {} })).toBe(false);
    expect(requestAuthorized('t', { headers: {}, query: {} })).toBe(false);
  });
});

describe('server.token on a real server', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(token: string): Promise<string> {
    server = createHttpServer({ listen: '127.0.0.1:0', token }, silentLogger());
    server.register((app) => {
      app.get('/api/ping', async () => ({ pong: true }));
      app.get('/overlay/ws', { websocket: true, config: { public: true } }, (socket) => socket.send('hello'));
      app.get('/api/ws', { websocket: true }, (socket) => socket.send('private'));
    });
    await server.listen();
    return server.url('') as string;
  }

  it('requires the token on every route but the overlay page and the overlay WebSocket', async () => {
    const base = await start('s3cret');
    expect((await fetch(`${base}/api/ping`)).status).toBe(401);
    expect((await fetch(`${base}/api/ping`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/api/ping`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect((await fetch(`${base}/api/ping`, { headers: { 'x-chatflow-token': 's3cret' } })).status).toBe(200);
    expect(await (await fetch(`${base}/api/ping?token=s3cret`)).json()).toEqual({ pong: true });
    // Unknown routes are not an oracle: without the token they are 401 too.
    expect((await fetch(`${base}/nothing-here`)).status).toBe(401);
    expect((await fetch(`${base}/overlay`)).status).toBe(200);

    const overlay = new WebSocket(`${base.replace('http', 'ws')}/overlay/ws`);
    const first = await new Promise<string>((resolve, reject) => {
      overlay.once('message', (data: Buffer) => resolve(data.toString()));
      overlay.once('error', reject);
    });
    expect(first).toBe('hello');
    overlay.close();

    const refused = new WebSocket(`${base.replace('http', 'ws')}/api/ws`);
    const status = await new Promise<number>((resolve) => {
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    expect(status).toBe(401);
  });

  it('requires nothing when no token is configured', async () => {
    const base = await start('');
    expect((await fetch(`${base}/api/ping`)).status).toBe(200);
  });
});
