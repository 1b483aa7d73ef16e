// /api/v1/forwards: forward targets (re-publish an app's streams to another RTMP server).
import { Elysia, t } from 'elysia';
import type { ForwardTarget } from '../services/types.ts';
import type { RelayStatus } from '../../shared/config-protocol.ts';
import { assertAdmin, isAdmin, requireAuth } from './auth.ts';
import { AppFilterQuery, AppName, Empty, IdParams, items, ListOf, StreamName } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { problemResponses } from './problem.ts';
import { redactRelay, redactStatus, REDACTED_FOR_VIEWERS } from './redaction.ts';
import { relaysById, RelayStatusSchema } from './relay-status.ts';

const ForwardUrl = t.String({
  minLength: 1,
  maxLength: 2048,
  description:
    'rtmp:// or rtmps:// destination (published to), srt://HOST:PORT?streamid=…&passphrase=…&latency=MS&pbkeylen=16|24|32 (an SRT listener Weir calls ' +
    'and sends MPEG-TS to), or udp://HOST:PORT?ttl=N&pkt_size=1316&localaddr=ADDR (MPEG-TS datagrams, unicast or multicast, paced by PCR). ' +
    'An SRT passphrase is stored and never returned (reads show ***; sending *** back keeps it).',
  examples: ['rtmp://a.rtmp.youtube.com/live2/KEY'],
});
const ForwardStream = t.Nullable(StreamName, { description: 'null: every stream of the app' });

export const ForwardTargetSchema = t.Object(
  {
    id: t.String(), app: t.String(), stream: t.Nullable(t.String()), url: t.String({ description: `${REDACTED_FOR_VIEWERS} Admins get it with an SRT passphrase replaced by *** as well.` }), enabled: t.Boolean(),
    status: t.Optional(t.Array(RelayStatusSchema, { description: 'one per stream the engine forwards to this target now; absent: engine down' })),
  },
  { description: 'A forward target' },
);
const ForwardCreate = t.Object({ app: AppName, stream: t.Optional(ForwardStream), url: ForwardUrl, enabled: t.Optional(t.Boolean()) });
const ForwardUpdate = t.Object({ stream: t.Optional(ForwardStream), url: t.Optional(ForwardUrl), enabled: t.Optional(t.Boolean()) });

const tags = ['forward targets'];

type Relays = ReadonlyMap<string, readonly RelayStatus[]> | null;

/** a forward target with the engine's status, as this caller may see it */
function shown(f: ForwardTarget, relays: Relays, admin: boolean) {
  const status = relays ? (relays.get(f.id) ?? []) : null;
  if (admin) return status ? { ...f, status: [...status] } : f;
  return status ? { ...redactRelay(f), status: status.map(redactStatus) } : redactRelay(f);
}

export const forwardRoutes = (deps: ApiDeps) => {
  const forwards = deps.services.forwards;
  return new Elysia({ prefix: '/forwards' })
    .use(requireAuth(deps))
    .get('', async ({ auth, query }) => {
      const relays = await relaysById(deps.engine);
      return items(forwards.list(query.app).map((f) => shown(f, relays, isAdmin(auth))));
    }, {
      query: AppFilterQuery,
      response: { 200: ListOf(ForwardTargetSchema), ...problemResponses(401) },
      detail: { tags, summary: 'List forward targets' },
    })
    .post(
      '',
      ({ auth, body, set }) => {
        assertAdmin(auth);
        set.status = 201;
        return forwards.create(body);
      },
      {
        body: ForwardCreate,
        parse: 'json',
        response: { 201: ForwardTargetSchema, ...problemResponses(400, 401, 403, 404, 409) },
        detail: { tags, summary: 'Create a forward target' },
      },
    )
    .get('/:id', async ({ auth, params }) => {
      const forward = forwards.get(params.id);
      return shown(forward, await relaysById(deps.engine), isAdmin(auth));
    }, {
      params: IdParams,
      response: { 200: ForwardTargetSchema, ...problemResponses(401, 404) },
      detail: { tags, summary: 'Get a forward target' },
    })
    .patch(
      '/:id',
      ({ auth, params, body }) => {
        assertAdmin(auth);
        return forwards.update(params.id, body);
      },
      {
        params: IdParams,
        body: ForwardUpdate,
        parse: 'json',
        response: { 200: ForwardTargetSchema, ...problemResponses(400, 401, 403, 404, 409) },
        detail: { tags, summary: 'Change a forward target' },
      },
    )
    .delete(
      '/:id',
      ({ auth, params, set }) => {
        assertAdmin(auth);
        forwards.delete(params.id);
        set.status = 204;
      },
      {
        params: IdParams,
        response: { 204: Empty, ...problemResponses(401, 403, 404) },
        detail: { tags, summary: 'Delete a forward target' },
      },
    );
};
