import { afterEach, describe, expect, it } from 'vitest';
import { PipelineError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { bundledPage } from './bundledPage.js';
import { dashboardBundle } from './dashboardPage.js';
import { createHttpServer, type HttpServer } from './httpServer.js';

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('bundledPage', () => {
  it('bundles the dashboard with uPlot and its CSS, once', async () => {
    const first = dashboardBundle();
    expect(dashboardBundle()).toBe(first);
    const bundle = await first;
    expect(bundle.script).toContain('/api/stream');
    expect(bundle.script).toContain('uplot');
    expect(bundle.css).toContain('.uplot');
  });

  it('fails a missing entry with ERR_RESOURCE, and tries again on the next request', async () => {
    const page = bundledPage({
      name: 'missing',
      html: 'missing.html',
      entry: 'does-not-exist.ts',
      path: '/missing',
      scriptPath: '/missing/missing.js',
      target: ['chrome109'],
    });
    const first = page.bundle();
    await expect(first).rejects.toBeInstanceOf(PipelineError);
    await expect(first).rejects.toMatchObject({ code: 'ERR_RESOURCE', message: 'The missing script could not be bundled.' });
    const second = page.bundle();
    expect(second).not.toBe(first);
    await expect(second).rejects.toBeInstanceOf(PipelineError);
  });

  it('serves the dashboard page, script and CSS without the token, with the CSP; the API still needs it', async () => {
    const s = createHttpServer({ listen: '127.0.0.1:0', token: 'sekrit' }, silentLogger(), { always: true });
    servers.push(s);
    s.register((app) => {
      app.get('/api/secret', async () => 'data');
    });
    await s.listen();
    for (const path of ['/dashboard', '/dashboard/']) {
      const page = await fetch(s.url(path) as string);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await page.text();
      expect(html).toContain('/dashboard/dashboard.js');
      expect(html).toContain('/dashboard/dashboard.css');
    }
    const script = await fetch(s.url('/dashboard/dashboard.js') as string);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    const css = await fetch(s.url('/dashboard/dashboard.css') as string);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await fetch(s.url('/api/secret') as string)).status).toBe(401);
    const authorized = await fetch(s.url('/api/secret') as string, { headers: { authorization: 'Bearer sekrit' } });
    expect(await authorized.text()).toBe('data');
  });
});
