// /api/v1/pulls: pull sources (a stream of an app fetched from a remote URL; the relay runs them).
import { Elysia, t } from 'elysia';
import type { RelayStatus } from '../../shared/config-protocol.ts';
import type { PullSource } from '../services/types.ts';
import { assertAdmin, isAdmin, requireAuth } from './auth.ts';
import { AppFilterQuery, AppName, Empty, IdParams, items, ListOf, StreamName } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { problemResponses } from './problem.ts';
import { redactRelay, redactStatus, REDACTED_FOR_VIEWERS } from './redaction.ts';
import { relaysById, RelayStatusSchema } from './relay-status.ts';

const PullUrl = t.String({
  minLength: 1,
  maxLength: 2048,
  description:
    "rtmp://, rtmps://, http(s):// (HTTP-FLV, or HLS for .m3u8) or rtsp://, rtsps:// source. Credentials go in the userinfo " +
    '(rtsp://user:password@camera/stream, Basic or Digest as the server asks); the password is stored and never returned ' +
    '(reads show ***; sending *** back keeps it). RTSP takes TCP interleaved by default; add ?transport=udp for UDP (falls back to TCP when no UDP arrives within 3 s). ' +
    'srt://HOST:PORT?streamid=…&passphrase=…&latency=MS calls an SRT listener for MPEG-TS (the passphrase is hidden like a password); ' +
    'udp://ADDR:PORT listens for MPEG-TS datagrams on a local address, udp://GROUP:PORT?interface=ADDR joins a multicast group.',
  examples: ['rtmp://origin.example.com/live/cam1', 'rtsp://viewer:secret@192.0.2.10:554/Streaming/Channels/101', 'srt://192.0.2.20:9000?streamid=feed&latency=200', 'udp://239.1.1.1:5000?interface=192.0.2.1'],
});

export const PullSourceSchema = t.Object(
  {
    id: t.String(), app: t.String(), stream: t.String(), url: t.String({ description: `${REDACTED_FOR_VIEWERS} Admins get it with a userinfo password and an SRT passphrase replaced by *** as well.` }), enabled: t.Boolean(),
    status: t.Optional(t.Nullable(RelayStatusSchema, { description: 'the engine running this pull now; null: not running; absent: engine down' })),
  },
  { description: 'A pull source' },
);
const PullCreate = t.Object({ app: AppName, stream: StreamName, url: PullUrl, enabled: t.Optional(t.Boolean()) });
const PullUpdate = t.Object({ stream: t.Optional(StreamName), url: t.Optional(PullUrl), enabled: t.Optional(t.Boolean()) });

const tags = ['pull sources'];

type Relays = ReadonlyMap<string, readonly RelayStatus[]> | null;

/** a pull source with the engine's status, as this caller may see it */
function shown(p: PullSource, relays: Relays, admin: boolean) {
  if (!relays) return admin ? p : redactRelay(p);
  const status = relays.get(p.id)?.[0] ?? null;
  if (admin) return { ...p, status };
  return { ...redactRelay(p), status: status === null ? null : redactStatus(status) };
}

// Alike in shape to forwards.ts's routes (list/create/get/patch/delete); kept apart because Elysia types and validates
// each route from concrete body and answer schemas, which a generic CRUD factory would erase.
export const pullRoutes = (deps: ApiDeps) => {
  const pulls = deps.services.pulls;
  return new Elysia({ prefix: '/pulls' })
    .use(requireAuth(deps))
    .get('', async ({ auth, query }) => {
      const relays = await relaysById(deps.engine);
      return items(pulls.list(query.app).map((p) => shown(p, relays, isAdmin(auth))));
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
    .get('/:id', async ({ auth, params }) => {
      const pull = pulls.get(params.id);
      return shown(pull, await relaysById(deps.engine), isAdmin(auth));
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
