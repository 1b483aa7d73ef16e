// /api/v1/apps/{app}/keys: per-stream publish secrets for apps whose publish policy is
// 'stream-key'. The plain key is in the create answer only; the store keeps a hash.
import { Elysia, t } from 'elysia';
import type { StreamKey } from '../services/types.ts';
import { assertAdmin, requireAuth } from './auth.ts';
import { AppIdParams, AppParams, Empty, items, ListOf, StreamName, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { endpointsFrom, publishUrlSet, requestHost } from './media-urls.ts';
import { ApiProblem, problemResponses } from './problem.ts';

const StreamKeyFields = {
  id: t.String(),
  app: t.String(),
  stream: t.Nullable(t.String({ description: 'null: the key admits any stream of the app' })),
  prefix: t.String({ description: 'first characters of the key, for telling keys apart' }),
  label: t.String(),
  createdAtMs: TimestampMs,
  revokedAtMs: t.Nullable(TimestampMs),
};
export const StreamKeySchema = t.Object(StreamKeyFields, { description: 'A stream key (without its secret)' });

const CreatedStreamKeySchema = t.Object(
  {
    ...StreamKeyFields,
    key: t.String({ description: 'the plain key: shown in this answer only' }),
    publishUrl: t.Nullable(t.String({ description: 'rtmp URL with ?key=..., when the key is for one stream' })),
    publishUrls: t.Nullable(
      t.Object(
        {
          rtmp: t.String(),
          srt: t.Nullable(t.String({ description: 'srt://host:port?streamid=#!::r={app}/{stream},m=publish,key=...; null when the engine runs no SRT listener or cannot be asked' })),
          rtsp: t.Nullable(t.String({ description: 'rtsp://host:port/{app}/{stream}?key=...; null when the engine runs no RTSP server or cannot be asked' })),
        },
        { description: 'the same key in every protocol Weir takes publishes in, when the key is for one stream' },
      ),
    ),
  },
  { description: 'A new stream key with its secret (shown once)' },
);

const StreamKeyCreate = t.Object({
  stream: t.Optional(t.Nullable(StreamName)),
  label: t.Optional(t.String({ maxLength: 100 })),
});

const tags = ['stream keys'];

export const streamKeyRoutes = (deps: ApiDeps) => {
  const { apps, streamKeys, settings } = deps.services;
  const keyOfApp = (app: string, id: string): StreamKey => {
    apps.get(app);
    const key = streamKeys.get(id);
    if (key.app !== app) throw new ApiProblem('not-found', `stream key '${id}' not found in app '${app}'`);
    return key;
  };
  return new Elysia({ prefix: '/apps/:app/keys' })
    .use(requireAuth(deps))
    .get(
      '',
      ({ params }) => {
        apps.get(params.app);
        return items(streamKeys.list(params.app));
      },
      {
        params: AppParams,
        response: { 200: ListOf(StreamKeySchema), ...problemResponses(401, 404) },
        detail: {
          tags,
          summary: "List an app's stream keys",
          description: 'Revoked keys stay listed with revokedAtMs set; secrets are never listed.',
        },
      },
    )
    .post(
      '',
      async ({ auth, params, body, request, set }) => {
        assertAdmin(auth);
        const created = streamKeys.create({ app: params.app, stream: body.stream ?? null, label: body.label ?? '' });
        const { streamKey, key } = created;
        set.status = 201;
        const urls =
          streamKey.stream === null
            ? null
            : publishUrlSet(requestHost(request), settings.get(), endpointsFrom(await deps.engine.status()), streamKey.app, streamKey.stream, `key=${encodeURIComponent(key)}`);
        return { ...streamKey, key, publishUrl: urls?.rtmp ?? null, publishUrls: urls };
      },
      {
        params: AppParams,
        body: StreamKeyCreate,
        parse: 'json',
        response: { 201: CreatedStreamKeySchema, ...problemResponses(400, 401, 403, 404) },
        detail: {
          tags,
          summary: 'Create a stream key',
          description: 'The answer holds the plain key, once. Publish with rtmp://host/{app}/{stream}?key={key}.',
        },
      },
    )
    .get('/:id', ({ params }) => keyOfApp(params.app, params.id), {
      params: AppIdParams,
      response: { 200: StreamKeySchema, ...problemResponses(401, 404) },
      detail: { tags, summary: 'Get a stream key' },
    })
    // Alike in shape to the delete routes of apps.ts, forwards.ts and pulls.ts; this one revokes (idempotent) a key
    // that must belong to the app in the path.
    .delete(
      '/:id',
      ({ auth, params, set }) => {
        assertAdmin(auth);
        keyOfApp(params.app, params.id);
        streamKeys.revoke(params.id);
        set.status = 204;
      },
      {
        params: AppIdParams,
        response: { 204: Empty, ...problemResponses(401, 403, 404) },
        detail: { tags, summary: 'Revoke a stream key', description: 'Idempotent; the key is refused from then on.' },
      },
    );
};
