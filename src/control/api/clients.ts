// /api/v1/clients: every connection the engine holds (publishers, viewers, idle), and kicking one.
import { Elysia, t } from 'elysia';
import { CLIENT_ROLES, type ClientState } from '../../shared/config-protocol.ts';
import { assertAdmin, requireAuth } from './auth.ts';
import { Empty, IdParams, Int, items, ListOf, OneOf, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { fromEngine, secondsSince } from './live.ts';
import { ApiProblem, problemResponses } from './problem.ts';

const Role = OneOf(CLIENT_ROLES);

export const LinkSchema = t.Object(
  {
    rttMs: t.Number({ description: 'round-trip time the SRT ACK/ACKACK exchange measures' }),
    packetsLost: t.Number({ description: 'packets the receiving side found missing (before retransmission)' }),
    packetsDropped: t.Number({ description: 'packets given up as too late, on either side' }),
    packetsRetransmitted: t.Number(),
    receiveRateBps: t.Number({ description: 'payload bits per second received' }),
    sendRateBps: t.Number({ description: 'bits per second sent' }),
  },
  { description: "The transport's own link figures (SRT connections only)" },
);

export const ClientSchema = t.Object(
  {
    id: t.String(),
    role: Role,
    protocol: t.String({ description: 'rtmp, http-flv, ws-flv, hls, ll-hls, srt' }),
    address: t.String(),
    app: t.Nullable(t.String()),
    stream: t.Nullable(t.String()),
    connectedAtMs: TimestampMs,
    connectedSec: Int({ minimum: 0 }),
    bytesIn: t.Number(),
    bytesOut: t.Number(),
    link: t.Optional(LinkSchema),
  },
  { description: 'A client connection' },
);

const ClientQuery = t.Object({
  app: t.Optional(t.String()),
  stream: t.Optional(t.String()),
  role: t.Optional(Role),
});

const toClient = (c: ClientState, nowMs: number): typeof ClientSchema.static => ({
  id: c.id,
  role: c.role,
  protocol: c.protocol,
  address: c.address,
  app: c.app,
  stream: c.stream,
  connectedAtMs: c.connectedAtMs,
  connectedSec: secondsSince(nowMs, c.connectedAtMs),
  bytesIn: c.bytesIn,
  bytesOut: c.bytesOut,
  ...(c.link ? { link: { ...c.link } } : {}),
});

const tags = ['clients'];

// Alike in shape to engine.ts's and streams.ts's routes (a GET that reads the engine through fromEngine); each reads a
// different engine call into a different schema.
export const clientRoutes = (deps: ApiDeps) =>
  new Elysia({ prefix: '/clients' })
    .use(requireAuth(deps))
    .get(
      '',
      async ({ query }) => {
        const all = await fromEngine(deps.engine.clients());
        const now = deps.now();
        return items(
          all
            .filter(
              (c) =>
                (query.app === undefined || c.app === query.app) &&
                (query.stream === undefined || c.stream === query.stream) &&
                (query.role === undefined || c.role === query.role),
            )
            .map((c) => toClient(c, now)),
        );
      },
      {
        query: ClientQuery,
        response: { 200: ListOf(ClientSchema), ...problemResponses(400, 401, 503) },
        detail: { tags, summary: 'List client connections' },
      },
    )
    .delete(
      '/:id',
      async ({ auth, params, set }) => {
        assertAdmin(auth);
        const kicked = await fromEngine(deps.engine.kick(params.id));
        if (!kicked) throw new ApiProblem('not-found', `client '${params.id}' is not connected`);
        set.status = 204;
      },
      {
        params: IdParams,
        response: { 204: Empty, ...problemResponses(401, 403, 404, 503) },
        detail: { tags, summary: 'Kick a client', description: 'The engine closes the connection at once.' },
      },
    );
