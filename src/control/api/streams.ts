// /api/v1/streams: what is live now, asked from the engine (GET /v1/streams) on every call.
import { Elysia, t } from 'elysia';
import type { LiveStreamState, TrackState } from '../../shared/config-protocol.ts';
import { assertAdmin, isAdmin, requireAuth } from './auth.ts';
import type { AuthContext } from '../services/types.ts';
import { AppFilterQuery, Empty, Int, items, ListOf, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { fromEngine, secondsSince } from './live.ts';
import { endpointsFrom, playUrls, publishUrlSet, requestHost } from './media-urls.ts';
import { ApiProblem, problemResponses } from './problem.ts';

const Track = t.Object({
  kind: t.Union([t.Literal('video'), t.Literal('audio')]),
  codec: t.String(),
  width: t.Optional(Int()),
  height: t.Optional(Int()),
  sampleRateHz: t.Optional(t.Number()),
  channels: t.Optional(Int()),
  fps: t.Optional(t.Number({ description: 'video frames per second received over the last few seconds' })),
});

export const LiveStreamSchema = t.Object(
  {
    app: t.String(),
    stream: t.String(),
    publisher: t.Nullable(t.Object({ id: t.String(), address: t.Nullable(t.String()) })),
    startedAtMs: TimestampMs,
    uptimeSec: Int({ minimum: 0 }),
    video: t.Nullable(
      t.Object({
        codec: t.String(),
        width: t.Nullable(Int()),
        height: t.Nullable(Int()),
        fps: t.Optional(t.Number({ description: 'frames per second received over the last few seconds (or from the SPS until measured)' })),
      }),
    ),
    audio: t.Nullable(t.Object({ codec: t.String(), sampleRateHz: t.Nullable(t.Number()), channels: t.Nullable(Int()) })),
    tracks: t.Array(Track),
    bitrateInBps: t.Number(),
    bitrateOutBps: t.Number(),
    viewers: t.Record(t.String(), t.Number(), { description: 'viewers per protocol (rtmp, http-flv, ws-flv, hls, ll-hls, srt)' }),
    viewerCount: Int({ minimum: 0 }),
  },
  { description: 'A live stream' },
);
type LiveStream = typeof LiveStreamSchema.static;

const Url = t.String();
const OneStreamSchema = t.Composite([
  LiveStreamSchema,
  t.Object({
    urls: t.Object(
      {
        play: t.Nullable(
          t.Object({ rtmp: Url, httpFlv: Url, wsFlv: Url, hls: t.Nullable(Url), llHls: t.Nullable(Url), srt: t.Nullable(Url), rtsp: t.Nullable(Url), whep: t.Nullable(Url) }),
          { description: 'null when the app plays only signed URLs (POST /apps/{app}/signed-urls makes them) or is unknown here' },
        ),
        publish: t.Nullable(t.Object({ rtmp: Url, srt: t.Nullable(Url), rtsp: t.Nullable(Url) }), {
          description:
            'admins only, for apps whose publish URL holds no secret (open, hook); stream-key apps: the key create answer, signed-url apps: POST /apps/{app}/signed-urls',
        }),
      },
      { description: 'srt, rtsp and whep are null when the engine runs no such listener or cannot be asked (their ports are engine flags)' },
    ),
  }),
]);

const StreamParams = t.Object({ app: t.String(), stream: t.String() });

function toLiveStream(s: LiveStreamState, nowMs: number): LiveStream {
  const video = s.tracks.find((tr: TrackState) => tr.kind === 'video');
  const audio = s.tracks.find((tr: TrackState) => tr.kind === 'audio');
  const viewers: Record<string, number> = { ...s.viewers };
  return {
    app: s.app,
    stream: s.stream,
    publisher: s.publisherId === null ? null : { id: s.publisherId, address: s.publisherAddress },
    startedAtMs: s.startedAtMs,
    uptimeSec: secondsSince(nowMs, s.startedAtMs),
    video: video
      ? { codec: video.codec, width: video.width ?? null, height: video.height ?? null, ...(video.fps !== undefined ? { fps: video.fps } : {}) }
      : null,
    audio: audio ? { codec: audio.codec, sampleRateHz: audio.sampleRateHz ?? null, channels: audio.channels ?? null } : null,
    tracks: s.tracks.map((tr) => ({ ...tr })),
    bitrateInBps: s.bitrateInBps,
    bitrateOutBps: s.bitrateOutBps,
    viewers,
    viewerCount: Object.values(viewers).reduce((sum, n) => sum + n, 0),
  };
}

const tags = ['streams'];

export const streamRoutes = (deps: ApiDeps) => {
  /** the same URLs the console's stream page shows this user, without signing anything */
  const streamUrls = (auth: AuthContext, request: Request, endpoints: ReturnType<typeof endpointsFrom>, s: LiveStreamState) => {
    const app = deps.services.apps.list().find((a) => a.name === s.app);
    if (!app) return { play: null, publish: null };
    const host = requestHost(request);
    const settings = deps.services.settings.get();
    const unsignedPublish = app.publishPolicy === 'open' || app.publishPolicy === 'hook';
    return {
      play: app.playPolicy === 'signed-url' ? null : playUrls(host, settings, endpoints, app, s.stream, ''),
      publish: isAdmin(auth) && unsignedPublish ? publishUrlSet(host, settings, endpoints, app.name, s.stream, '') : null,
    };
  };
  const find = async (app: string, stream: string): Promise<LiveStreamState> => {
    const live = await fromEngine(deps.engine.streams());
    const found = live.find((s) => s.app === app && s.stream === stream);
    if (!found) throw new ApiProblem('not-found', `stream '${app}/${stream}' is not live`);
    return found;
  };
  return new Elysia({ prefix: '/streams' })
    .use(requireAuth(deps))
    .get(
      '',
      async ({ query }) => {
        const live = await fromEngine(deps.engine.streams());
        const now = deps.now();
        return items(live.filter((s) => query.app === undefined || s.app === query.app).map((s) => toLiveStream(s, now)));
      },
      {
        query: AppFilterQuery,
        response: { 200: ListOf(LiveStreamSchema), ...problemResponses(401, 503) },
        detail: {
          tags,
          summary: 'List live streams',
          description: 'Codecs, resolution, bitrates, viewers per protocol and uptime, from the engine.',
        },
      },
    )
    .get('/:app/:stream', async ({ auth, params, request }) => {
      const [found, status] = await Promise.all([find(params.app, params.stream), deps.engine.status()]);
      return { ...toLiveStream(found, deps.now()), urls: streamUrls(auth, request, endpointsFrom(status), found) };
    }, {
      params: StreamParams,
      response: { 200: OneStreamSchema, ...problemResponses(401, 404, 503) },
      detail: { tags, summary: 'Get a live stream' },
    })
    .get(
      '/:app/:stream/snapshot',
      async ({ params, query }) => {
        if (!deps.engine.snapshot) throw new ApiProblem('not-found', 'this engine takes no snapshots');
        const index = query.n === undefined ? 0 : Number(query.n);
        const answer = await fromEngine(deps.engine.snapshot(params.app, params.stream, index));
        if (!answer.found) throw new ApiProblem(answer.status === 503 ? 'engine-unavailable' : answer.status === 400 ? 'invalid' : 'not-found', answer.reason);
        return new Response(answer.jpeg, {
          headers: { 'content-type': 'image/jpeg', 'cache-control': 'no-store', 'x-snapshot-time-ms': String(answer.takenAtMs) },
        });
      },
      {
        params: StreamParams,
        query: t.Object({ n: t.Optional(t.String({ pattern: '^[0-9]{1,2}$', description: '0 (default): the newest snapshot; k: the k-th newest the app keeps (up to 99)' })) }),
        response: { 200: t.Any({ description: 'the JPEG (image/jpeg)' }), ...problemResponses(400, 401, 404, 503) },
        detail: {
          tags,
          summary: "A live stream's latest JPEG snapshot",
          description:
            "From the engine, for apps with snapshots on (the app's snapshot settings). 404 with the reason when there is none yet; " +
            '503 when the engine has no decoder (ffmpeg is not installed on its host) or cannot be reached.',
        },
      },
    )
    .delete(
      '/:app/:stream',
      async ({ auth, params, set }) => {
        assertAdmin(auth);
        const stream = await find(params.app, params.stream);
        if (stream.publisherId === null) throw new ApiProblem('not-found', `stream '${params.app}/${params.stream}' has no publisher`);
        const kicked = await fromEngine(deps.engine.kick(stream.publisherId));
        if (!kicked) throw new ApiProblem('not-found', `stream '${params.app}/${params.stream}' already ended`);
        set.status = 204;
      },
      {
        params: StreamParams,
        response: { 204: Empty, ...problemResponses(401, 403, 404, 503) },
        detail: {
          tags,
          summary: "End a live stream (kick its publisher)",
          description: 'The encoder may reconnect unless its key is revoked.',
        },
      },
    );
};
