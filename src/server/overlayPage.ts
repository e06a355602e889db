/**
 * The overlay page for an OBS browser source: `GET /overlay` (dashboard/overlay.html) and
 * `GET /overlay/overlay.js` (dashboard/overlay.ts, bundled by esbuild on first use and kept in
 * memory, so `npm start` needs no build step). Both are public: OBS cannot send a token.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PipelineError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** Where the page's sources live. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));
/** The page's URL path. */
export const OVERLAY_PAGE_PATH = '/overlay';
/** The bundled script's URL path (absolute, as the page refers to it). */
export const OVERLAY_SCRIPT_PATH = '/overlay/overlay.js';

/**
 * The page may run only its own script and talk only to its own server; chat text is never
 * markup, but if a bug ever made it so, this stops it from running or loading anything.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Browsers that run the page: OBS's CEF (Chromium 103 in OBS 28–30) and anything newer. */
const SCRIPT_TARGET = ['chrome103'];

let html: Promise<string> | undefined;
let script: Promise<string> | undefined;

/** The page's HTML, read once. */
function overlayHtml(): Promise<string> {
  html ??= readFile(`${DASHBOARD_DIR}overlay.html`, 'utf8').catch((err: unknown) => {
    html = undefined;
    throw new PipelineError('ERR_RESOURCE', 'processing', 'The overlay page could not be read.', { cause: err });
  });
  return html;
}

/**
 * dashboard/overlay.ts bundled (with what it imports) to one minified ES module, built once per
 * process on first use; a failed build is retried on the next request.
 */
export function overlayScript(): Promise<string> {
  script ??= bundleOverlay().catch((err: unknown) => {
    script = undefined;
    throw err;
  });
  return script;
}

async function bundleOverlay(): Promise<string> {
  try {
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [`${DASHBOARD_DIR}overlay.ts`],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: SCRIPT_TARGET,
      minify: true,
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'silent',
    });
    const out = result.outputFiles[0];
    if (!out) throw new Error('esbuild produced no output');
    return out.text;
  } catch (err) {
    throw new PipelineError('ERR_RESOURCE', 'processing', 'The overlay script could not be bundled.', { cause: err });
  }
}

function secure(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .type(type)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', CONTENT_SECURITY_POLICY);
}

/** Routes of the overlay page; registered by the HTTP server itself. Starts bundling at once. */
export function overlayPageRoutes(logger: Logger) {
  return async (app: FastifyInstance): Promise<void> => {
    overlayScript().catch((err: unknown) => logger.error({ err }, 'Overlay script failed to bundle.'));
    const page = async (_request: unknown, reply: FastifyReply) => secure(reply, 'text/html; charset=utf-8').send(await overlayHtml());
    app.get(OVERLAY_PAGE_PATH, { config: { public: true } }, page);
    app.get(`${OVERLAY_PAGE_PATH}/`, { config: { public: true } }, page);
    app.get(OVERLAY_SCRIPT_PATH, { config: { public: true } }, async (_request, reply) =>
      secure(reply, 'text/javascript; charset=utf-8').send(await overlayScript()),
    );
  };
}
