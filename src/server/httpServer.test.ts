import { afterEach, describe, expect, it } from 'vitest';
import { PipelineError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { type HttpServer, createHttpServer, parseListen } from './httpServer.js';

const servers: HttpServer[] = [];
function server(listen = '127.0.0.1:0', options: { always?: boolean } = {}): HttpServer {
  const s = createHttpServer({ listen, token: '' }, silentLogger(), options);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const hello = (s: HttpServer) =>
  s.register((app) => {
    app.get('/hello', async () => 'hi');
  });

describe('HttpServer', () => {
  it('mounts registered routes and the overlay page, and listens on a free port', async () => {
    const s = server();
    hello(s);
    const address = await s.listen();
    expect(address?.host).toBe('127.0.0.1');
    expect(address?.port).toBeGreaterThan(0);
    expect(s.url('/overlay')).toBe(`http://127.0.0.1:${address?.port}/overlay`);
    expect(await (await fetch(s.url('/hello') as string)).text()).toBe('hi');
    const page = await fetch(s.url('/overlay') as string);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/overlay/overlay.js');
    const script = await fetch(s.url('/overlay/overlay.js') as string);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain('WebSocket');
  });

  it('sends the bare address to the dashboard page', async () => {
    const s = server();
    hello(s);
    await s.listen();
    const root = await fetch(s.url('/') as string, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/dashboard');
  });

  it('opens no port when no component needs it, unless told to', async () => {
    const idle = server();
    expect(idle.needed).toBe(false);
    expect(await idle.listen()).toBeUndefined();
    expect(idle.url('/overlay')).toBeUndefined();
    const always = server('127.0.0.1:0', { always: true });
    expect((await always.listen())?.port).toBeGreaterThan(0);
  });

  it('fails with an error naming server.listen when the port is taken', async () => {
    const first = server();
    hello(first);
    const { port } = (await first.listen()) as { port: number };
    const second = server(`127.0.0.1:${port}`);
    hello(second);
    const err = await second.listen().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toMatchObject({ code: 'ERR_RESOURCE', stage: 'config' });
    expect((err as Error).message).toContain(`server.listen 127.0.0.1:${port}: the address is already in use`);
    expect(((err as Error).cause as { code?: string }).code).toBe('EADDRINUSE');
    // The first one still serves.
    expect((await fetch(first.url('/hello') as string)).status).toBe(200);
  });

  it('refuses routes after listening, and a path claimed twice', async () => {
    const s = server();
    s.claimPath('/overlay/ws', 'a');
    expect(() => s.claimPath('/overlay/ws', 'b')).toThrow(/already served by another node/);
    hello(s);
    await s.listen();
    expect(() => hello(s)).toThrow(PipelineError);
  });

  it('closes idempotently and frees the port for a new server', async () => {
    const s = server();
    hello(s);
    const { port } = (await s.listen()) as { port: number };
    await Promise.all([s.close(), s.close()]);
    await expect(fetch(`http://127.0.0.1:${port}/hello`)).rejects.toThrow();
    const again = server(`127.0.0.1:${port}`);
    hello(again);
    expect((await again.listen())?.port).toBe(port);
  });
});

describe('parseListen', () => {
  it('splits host:port and rejects what is not', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseListen('')).toEqual({ host: '127.0.0.1', port: 8080 });
    for (const bad of ['127.0.0.1', ':8080', '127.0.0.1:', '127.0.0.1:99999', 'host:x']) {
      expect(() => parseListen(bad), bad).toThrow(/server\.listen/);
    }
  });
});
