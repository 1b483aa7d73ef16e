// /api/v1/pulls: pull sources (a stream of an app fetched from a remote URL; the relay runs them).
import { Elysia, t } from 'elysia';
import { assertAdmin, requireAuth } from './auth.ts';
import { AppFilterQuery, AppName, Empty, IdParams, items, ListOf, StreamName } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { problemResponses } from './problem.ts';
import { relaysById, RelayStatusSchema } from './relay-status.ts';

const PullUrl = t.String({
  minLength: 1,
  maxLength: 2048,
  description: 'rtmp://, rtmps://, http:// or https:// source',
  examples: ['rtmp://origin.example.com/live/cam1'],
});

export const PullSourceSchema = t.Object(
  {
    id: t.String(), app: t.String(), stream: t.String(), url: t.String(), enabled: t.Boolean(),
    status: t.Optional(t.Nullable(RelayStatusSchema, { description: 'the engine running this pull now; null: not running; absent: engine down' })),
  },
  { description: 'A pull source' },
);
const PullCreate = t.Object({ app: AppName, stream: StreamName, url: PullUrl, enabled: t.Optional(t.Boolean()) });
const PullUpdate = t.Object({ stream: t.Optional(StreamName), url: t.Optional(PullUrl), enabled: t.Optional(t.Boolean()) });

const tags = ['pull sources'];

export const pullRoutes = (deps: ApiDeps) => {
  const pulls = deps.services.pulls;
  return new Elysia({ prefix: '/pulls' })
    .use(requireAuth(deps))
    .get('', async ({ query }) => {
      const relays = await relaysById(deps.engine);
      return items(pulls.list(query.app).map((p) => (relays ? { ...p, status: relays.get(p.id)?.[0] ?? null } : p)));
    }, {
      query: AppFilterQuery,
      response: { 200: ListOf(PullSourceSchema), ...problemResponses(401) },
      detail: { tags, summary: 'List pull sources' },
    })
    .post(
      '',
      ({ auth, body, set }) => {
        assertAdmin(auth);
        set.status = 201;
        return pulls.create(body);
      },
      {
        body: PullCreate,
        parse: 'json',
        response: { 201: PullSourceSchema, ...problemResponses(400, 401, 403, 404, 409) },
        detail: { tags, summary: 'Create a pull source' },
      },
    )
    .get('/:id', async ({ params }) => {
      const pull = pulls.get(params.id);
      const relays = await relaysById(deps.engine);
      return relays ? { ...pull, status: relays.get(pull.id)?.[0] ?? null } : pull;
    }, {
      params: IdParams,
      response: { 200: PullSourceSchema, ...problemResponses(401, 404) },
      detail: { tags, summary: 'Get a pull source' },
    })
    .patch(
      '/:id',
      ({ auth, params, body }) => {
        assertAdmin(auth);
        return pulls.update(params.id, body);
      },
      {
        params: IdParams,
        body: PullUpdate,
        parse: 'json',
        response: { 200: PullSourceSchema, ...problemResponses(400, 401, 403, 404, 409) },
        detail: { tags, summary: 'Change a pull source' },
      },
    )
    .delete(
      '/:id',
      ({ auth, params, set }) => {
        assertAdmin(auth);
        pulls.delete(params.id);
        set.status = 204;
      },
      {
        params: IdParams,
        response: { 204: Empty, ...problemResponses(401, 403, 404) },
        detail: { tags, summary: 'Delete a pull source' },
      },
    );
};
