/**
 * Serves one page of `dashboard/`: its HTML file, and its TypeScript entry bundled by esbuild
 * (with what it imports, CSS included) on first use and kept in memory, so `npm start` needs no
 * build step. The overlay page and the dashboard page are both made with {@link bundledPage}.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PipelineError } from '../core/errors.js';
import { buildThenStop } from '../core/esbuildBuild.js';
import type { Logger } from '../core/logger.js';

/** Where the pages' sources live. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

/**
 * A page may run only its own script and talk only to its own server; chat text is never
 * markup, but if a bug ever made it so, this stops it from running or loading anything.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** What a page is made of and where it is served. */
export interface BundledPageSpec {
  /** For messages: "overlay", "dashboard". */
  readonly name: string;
  /** The HTML file in `dashboard/`. */
  readonly html: string;
  /** The script's entry in `dashboard/` (TypeScript). */
  readonly entry: string;
  /** The page's URL path; `<path>/` serves it too. */
  readonly path: string;
  /** The bundled script's URL path, as the HTML refers to it. */
  readonly scriptPath: string;
  /** The bundled CSS's URL path, when the entry imports CSS (as the HTML refers to it). */
  readonly stylePath?: string;
  /** esbuild targets: the oldest browsers that must run the page. */
  readonly target: readonly string[];
}

/** The bundle: one minified ES module, and the CSS its imports brought (empty when none). */
export interface PageBundle {
  readonly script: string;
  readonly css: string;
}

export interface BundledPage {
  /** The bundle, built once per process on first use; a failed build is retried next time. */
  bundle(): Promise<PageBundle>;
  /**
   * The page's routes (all public: a page holds no data; what it fetches is checked). Starts
   * bundling at once, logging a failure.
   */
  routes(logger: Logger): (app: FastifyInstance) => Promise<void>;
}

/** Creates the routes and the lazily built bundle of one page. */
export function bundledPage(spec: BundledPageSpec): BundledPage {
  let html: Promise<string> | undefined;
  let bundle: Promise<PageBundle> | undefined;

  const readHtml = (): Promise<string> => {
    html ??= readFile(`${DASHBOARD_DIR}${spec.html}`, 'utf8').catch((err: unknown) => {
      html = undefined;
      throw new PipelineError('ERR_RESOURCE', 'processing', `The ${spec.name} page could not be read.`, { cause: err });
    });
    return html;
  };

  const getBundle = (): Promise<PageBundle> => {
    bundle ??= build(spec).catch((err: unknown) => {
      bundle = undefined;
      throw err;
    });
    return bundle;
  };

  return {
    bundle: getBundle,
    routes: (logger) => async (app) => {
      getBundle().catch((err: unknown) => logger.error({ err, page: spec.name }, 'Page script failed to bundle.'));
      const page = async (_request: unknown, reply: FastifyReply) =>
        secure(reply, 'text/html; charset=utf-8').send(await readHtml());
      app.get(spec.path, { config: { public: true } }, page);
      app.get(`${spec.path}/`, { config: { public: true } }, page);
      app.get(spec.scriptPath, { config: { public: true } }, async (_request, reply) =>
        secure(reply, 'text/javascript; charset=utf-8').send((await getBundle()).script),
      );
      if (spec.stylePath !== undefined) {
        app.get(spec.stylePath, { config: { public: true } }, async (_request, reply) =>
          secure(reply, 'text/css; charset=utf-8').send((await getBundle()).css),
        );
      }
    },
  };
}

async function build(spec: BundledPageSpec): Promise<PageBundle> {
  try {
    const result = await buildThenStop({
      entryPoints: [`${DASHBOARD_DIR}${spec.entry}`],
      bundle: true,
      write: false,
      outdir: DASHBOARD_DIR,
      format: 'esm',
      platform: 'browser',
      target: [...spec.target],
      minify: true,
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'silent',
    });
    const script = result.outputFiles?.find((f) => f.path.endsWith('.js'));
    if (!script) throw new Error('esbuild produced no script');
    const css = result.outputFiles?.find((f) => f.path.endsWith('.css'));
    return { script: script.text, css: css?.text ?? '' };
  } catch (err) {
    throw new PipelineError('ERR_RESOURCE', 'processing', `The ${spec.name} script could not be bundled.`, {
      cause: err,
    });
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
