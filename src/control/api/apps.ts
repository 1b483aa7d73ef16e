// /api/v1/apps: applications (the first path segment of every stream URL) and their policies.
import { Elysia, t } from 'elysia';
import { OUTAGE_POLICIES, PLAY_POLICIES, PUBLISH_POLICIES, SNAPSHOT_LIMITS, SOURCE_TYPES } from '../../shared/config-protocol.ts';
import { assertAdmin, isAdmin, requireAuth } from './auth.ts';
import { AppName, AppParams, Empty, items, ListOf, OneOf, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { problemResponses } from './problem.ts';
import { redactApp, REDACTED_FOR_VIEWERS } from './redaction.ts';

export const SourceType = OneOf(SOURCE_TYPES, { description: "'pull' apps get their streams from pull sources" });
export const PublishPolicy = OneOf(PUBLISH_POLICIES, { description: 'who may publish' });
export const PlayPolicy = OneOf(PLAY_POLICIES, { description: 'who may play' });
export const OutagePolicy = OneOf(OUTAGE_POLICIES, {
  description:
    "what the engine decides alone while it cannot reach the control plane: 'admitted' (default) reuses an allow it was given within the last 10 minutes for the same request and refuses anything new; 'closed' refuses everything that needs a check; 'open' admits everyone",
});
const HookUrl = t.Nullable(
  t.String({
    maxLength: 2048,
    description: `SRS-compatible on_publish/on_play callback (http or https); needed by the hook policies. ${REDACTED_FOR_VIEWERS}`,
  }),
);

const OriginUrl = t.Nullable(
  t.String({
    maxLength: 2048,
    description:
      'edge mode: origin URL template, e.g. rtmp://origin/{app}/{stream} (rtmp, rtmps, http or https; {app} and {stream} are filled in); a viewer of a stream that is not live makes the engine pull it from there. null: the engine-wide --edge-origin, if any. ' + REDACTED_FOR_VIEWERS,
  }),
);

const SrtPort = t.Nullable(
  t.Integer({
    minimum: 1,
    maximum: 65535,
    description:
      "a UDP port where the engine also listens for SRT callers of this app only: srt://host:PORT?streamid=cam (the app is implied; the full forms #!::r=APP/cam,m=publish and APP/cam naming this app work too). Unique among apps; not the engine's main SRT port (10080) nor its RTSP RTP range (30000-30999). The engine opens and closes it on config reload without touching its other listeners. null or absent: none",
  }),
);

const RecordingFormat = OneOf(['fmp4', 'ts'], {
  description: "'fmp4' (default): every file is a self-contained fragmented MP4 (init + one fragment) that any MP4 player opens alone; 'ts': MPEG-TS",
});
const RecordingFields = {
  enabled: t.Boolean({ description: 'record every live stream of the app (default false); needs a path' }),
  format: RecordingFormat,
  segmentDurationSec: t.Integer({ minimum: 1, maximum: 3600, description: 'files are cut at the first keyframe at or after this many seconds (default 6)' }),
  path: t.Nullable(
    t.String({
      maxLength: 1024,
      description:
        "absolute storage directory on the engine's host, without '..'; files go to {path}/{app}/{stream}/{startMs}-{durationMs}.mp4|ts (start in UTC ms). null until set",
    }),
  ),
  retentionDays: t.Integer({ minimum: 0, maximum: 36500, description: 'files older than this many days are deleted; 0 (default): kept' }),
  quotaMb: t.Integer({ minimum: 0, description: "the app's files together stay under this many MiB, oldest deleted first; 0 (default): no quota" }),
};
const Recording = t.Object(RecordingFields, {
  description:
    'Recording of the live streams (fMP4 or MPEG-TS segment files). Retention and quota keep applying while recording is off. Recording pauses on a path with less free space than the engine flag --record-min-free-mb (default 1024); live streaming is not affected.',
});
const RecordingPatch = t.Partial(t.Object(RecordingFields), { description: 'recording settings; only the fields sent change' });

const SnapshotFields = {
  enabled: t.Boolean({ description: 'take JPEG snapshots of every live stream of the app (default false)' }),
  intervalSec: t.Integer({
    minimum: SNAPSHOT_LIMITS.intervalSec.min,
    maximum: SNAPSHOT_LIMITS.intervalSec.max,
    description: 'a snapshot of each live stream every this many seconds, of its latest keyframe (default 10)',
  }),
  keep: t.Integer({
    minimum: SNAPSHOT_LIMITS.keep.min,
    maximum: SNAPSHOT_LIMITS.keep.max,
    description: "1 (default): keep the latest snapshot only; N: the latest N, in the engine's memory (snapshot.jpg?n=0..N-1, 0 the newest)",
  }),
};
const Snapshot = t.Object(SnapshotFields, {
  description:
    "JPEG snapshots served at /{app}/{stream}/snapshot.jpg on the engine's HTTP port (play admission applies) and at /api/v1/streams/{app}/{stream}/snapshot. " +
    'Decoding needs ffmpeg on the engine host: GET /api/v1/engine reports snapshotDecoder null when there is none, and then no snapshots are taken. ' +
    'At most one decoder per CPU core runs at once; a stream whose previous snapshot is still waiting skips its turn.',
});
const SnapshotPatch = t.Partial(t.Object(SnapshotFields), { description: 'snapshot settings; only the fields sent change' });

export const AppSchema = t.Object(
  {
    name: AppName,
    sourceType: SourceType,
    hls: t.Boolean(),
    llHls: t.Boolean(),
    publishPolicy: PublishPolicy,
    playPolicy: PlayPolicy,
    hookUrl: HookUrl,
    originUrl: t.Optional(OriginUrl),
    srtPort: t.Optional(SrtPort),
    outagePolicy: OutagePolicy,
    recording: Recording,
    snapshot: Snapshot,
    createdAtMs: TimestampMs,
  },
  { description: 'An application' },
);

/** the fields after hls/llHls that a create and a patch both take, fresh schema objects per call */
const appPolicyFields = () => ({
  publishPolicy: t.Optional(PublishPolicy),
  playPolicy: t.Optional(PlayPolicy),
  hookUrl: t.Optional(HookUrl),
  originUrl: t.Optional(OriginUrl),
  srtPort: t.Optional(SrtPort),
  outagePolicy: t.Optional(OutagePolicy),
  recording: t.Optional(RecordingPatch),
  snapshot: t.Optional(SnapshotPatch),
});

const AppCreate = t.Object({
  name: AppName,
  sourceType: t.Optional(SourceType),
  hls: t.Optional(t.Boolean({ description: 'classic HLS on (default true)' })),
  llHls: t.Optional(t.Boolean({ description: 'LL-HLS on (default true)' })),
  ...appPolicyFields(),
});

// AppCreate's fields without the name; hls/llHls spelled out (not t.Omit) so the create schema's descriptions stay its own
const AppUpdate = t.Object({
  sourceType: t.Optional(SourceType),
  hls: t.Optional(t.Boolean()),
  llHls: t.Optional(t.Boolean()),
  ...appPolicyFields(),
});

const tags = ['apps'];

// Alike in shape to the other resources' create/get/patch/delete routes (forwards.ts, pulls.ts, users.ts, settings.ts):
// each declares its own schemas and admin checks for Elysia to type and document; only the route layout is shared.
export const appsRoutes = (deps: ApiDeps) => {
  const apps = deps.services.apps;
  return new Elysia({ prefix: '/apps' })
    .use(requireAuth(deps))
    .get('', ({ auth }) => items(isAdmin(auth) ? apps.list() : apps.list().map(redactApp)), {
      response: { 200: ListOf(AppSchema), ...problemResponses(401) },
      detail: { tags, summary: 'List apps' },
    })
    .post(
      '',
      ({ auth, body, set }) => {
        assertAdmin(auth);
        set.status = 201;
        return apps.create(body);
      },
      {
        body: AppCreate,
        parse: 'json',
        response: { 201: AppSchema, ...problemResponses(400, 401, 403, 409) },
        detail: { tags, summary: 'Create an app' },
      },
    )
    .get('/:app', ({ auth, params }) => (isAdmin(auth) ? apps.get(params.app) : redactApp(apps.get(params.app))), {
      params: AppParams,
      response: { 200: AppSchema, ...problemResponses(401, 404) },
      detail: { tags, summary: 'Get an app' },
    })
    .patch(
      '/:app',
      ({ auth, params, body }) => {
        assertAdmin(auth);
        return apps.update(params.app, body);
      },
      {
        params: AppParams,
        body: AppUpdate,
        parse: 'json',
        response: { 200: AppSchema, ...problemResponses(400, 401, 403, 404) },
        detail: { tags, summary: 'Change an app', description: 'Only the fields sent change.' },
      },
    )
    .delete(
      '/:app',
      ({ auth, params, set }) => {
        assertAdmin(auth);
        apps.delete(params.app);
        set.status = 204;
      },
      {
        params: AppParams,
        response: { 204: Empty, ...problemResponses(401, 403, 404) },
        detail: {
          tags,
          summary: 'Delete an app',
          description: "Also deletes its stream keys, pull sources and forward targets; the engine kicks the app's streams.",
        },
      },
    );
};
