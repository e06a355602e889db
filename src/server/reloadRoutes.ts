/**
 * `GET /api/reload` (the last reload's result, for a dashboard banner) and `POST /api/reload`
 * (reload the pipeline file now): docs/api.md. Behind the token like the rest of `/api`.
 */
import type { FastifyInstance } from 'fastify';
import type { ReloadOutcome, ReloadState, ReloadTrigger } from '../pipelines/reloadState.js';

export interface ReloadTarget {
  readonly state: ReloadState;
  request(trigger: ReloadTrigger): Promise<ReloadOutcome>;
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
