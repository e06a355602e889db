/**
 * `GET /api/reload` (the last reload's result, for a dashboard banner) and `POST /api/reload`
 * (reload the pipeline file now): docs/api.md. Behind the token like the rest of `/api`.
 */
import type { FastifyInstance } from 'fastify';

/**
 * What the routes need of whoever reloads (the CLI's `PipelineReloader`). Declared here, with
 * the outcome as plain JSON, so the server never imports the runtime (docs/architecture.md).
 */
export interface ReloadTarget {
  /** The last reload's result and the counts since start (sent as it is). */
  readonly state: unknown;
  request(trigger: 'api'): Promise<{ readonly status: 'ok' | 'invalid' }>;
}

export function reloadRoutes(target: ReloadTarget) {
  return (app: FastifyInstance): void => {
    app.get('/api/reload', async () => target.state);
    app.post('/api/reload', async (_request, reply) => {
      const outcome = await target.request('api');
      return reply.code(outcome.status === 'ok' ? 200 : 422).send(outcome);
    });
  };
}
