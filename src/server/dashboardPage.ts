/**
 * The dashboard page: `GET /dashboard` (dashboard/dashboard.html), `GET /dashboard/dashboard.js`
 * (dashboard/dashboard.ts with uPlot, bundled on first use) and `GET /dashboard/dashboard.css`
 * (uPlot's stylesheet, from the same bundle). The page itself is public and holds no data: it
 * asks for `server.token` and sends it with every `/api` request and on the stream, which
 * answer 401 without it.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.js';
import { bundledPage } from './bundledPage.js';
import { DASHBOARD_PAGE_PATH } from './dashboardWire.js';

/** The bundled script's URL path (as the page refers to it). */
export const DASHBOARD_SCRIPT_PATH = `${DASHBOARD_PAGE_PATH}/dashboard.js`;
/** The bundled stylesheet's URL path (as the page refers to it). */
export const DASHBOARD_STYLE_PATH = `${DASHBOARD_PAGE_PATH}/dashboard.css`;

const page = bundledPage({
  name: 'dashboard',
  html: 'dashboard.html',
  entry: 'dashboard.ts',
  path: DASHBOARD_PAGE_PATH,
  scriptPath: DASHBOARD_SCRIPT_PATH,
  stylePath: DASHBOARD_STYLE_PATH,
  // Current desktop and phone browsers (about two years back).
  target: ['chrome109', 'firefox115', 'safari16'],
});

/** The dashboard's script and CSS, built once per process. */
export function dashboardBundle(): ReturnType<typeof page.bundle> {
  return page.bundle();
}

/** Routes of the dashboard page; registered by the HTTP server itself. Starts bundling at once. */
export function dashboardPageRoutes(logger: Logger): (app: FastifyInstance) => Promise<void> {
  return page.routes(logger);
}
