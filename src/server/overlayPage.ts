/**
 * The overlay page for an OBS browser source: `GET /overlay` (dashboard/overlay.html) and
 * `GET /overlay/overlay.js` (dashboard/overlay.ts, bundled on first use). Both are public: OBS
 * cannot send a token.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.js';
import { bundledPage } from './bundledPage.js';

export { DASHBOARD_DIR } from './bundledPage.js';

/** The page's URL path. */
export const OVERLAY_PAGE_PATH = '/overlay';
/** The bundled script's URL path (absolute, as the page refers to it). */
export const OVERLAY_SCRIPT_PATH = '/overlay/overlay.js';

const page = bundledPage({
  name: 'overlay',
  html: 'overlay.html',
  entry: 'overlay.ts',
  path: OVERLAY_PAGE_PATH,
  scriptPath: OVERLAY_SCRIPT_PATH,
  // Browsers that run the page: OBS's CEF (Chromium 103 in OBS 28–30) and anything newer.
  target: ['chrome103'],
});

/** dashboard/overlay.ts bundled to one minified ES module, built once per process. */
export async function overlayScript(): Promise<string> {
  return (await page.bundle()).script;
}

/** Routes of the overlay page; registered by the HTTP server itself. Starts bundling at once. */
export function overlayPageRoutes(logger: Logger): (app: FastifyInstance) => Promise<void> {
  return page.routes(logger);
}
