// /api/v1/engine: is the engine up, which version, since when, and has it applied the
// control plane's latest configuration revision.
import { Elysia, t } from 'elysia';
import { assertAdmin, requireAuth } from './auth.ts';
import { Int, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { fromEngine, secondsSince } from './live.ts';
import { problemResponses } from './problem.ts';

const EngineStateSchema = t.Object(
  {
    up: t.Boolean(),
    reason: t.Nullable(t.String({ description: 'why the engine could not be asked, when down' })),
    configRevision: Int({ description: "the control plane's configuration revision" }),
    engine: t.Nullable(
      t.Object({
        version: t.String(),
        startedAtMs: TimestampMs,
        uptimeSec: Int({ minimum: 0 }),
        ready: t.Boolean(),
        configRevision: Int({ description: 'the revision the engine runs' }),
        configCurrent: t.Boolean({ description: 'the engine runs the latest revision and applied all of it' }),
        configErrors: t.Array(
          t.Object({
            setting: t.String({ description: "the setting, e.g. 'listen.http'" }),
            value: t.String({ description: 'the value the engine could not apply' }),
            reason: t.String(),
          }),
          { description: 'settings of the latest revision the engine could not apply; it keeps their previous values' },
        ),
        streams: Int(),
        clients: Int(),
        bytesIn: t.Number(),
        bytesOut: t.Number(),
        snapshotDecoder: t.Optional(
          t.Nullable(t.String(), {
            description: 'the ffmpeg the engine decodes snapshots with; null: none on its PATH, so apps with snapshots on get none (absent from engines without snapshots)',
          }),
        ),
        recording: t.Optional(
          t.Object(
            {
              minFreeBytes: t.Number({ description: 'the engine flag --record-min-free-mb, in bytes' }),
              paths: t.Array(
                t.Object({
                  path: t.String(),
                  freeBytes: t.Number({ description: 'free space at the last check' }),
                  paused: t.Boolean({ description: 'recording to this path is paused: free space is below the floor; live streaming goes on' }),
                  apps: t.Array(t.String()),
                }),
              ),
              recorders: Int({ description: 'streams being recorded now' }),
              segmentsWritten: t.Number(),
              segmentsDropped: t.Number({ description: 'whole segments dropped because the disk could not keep up or refused the write' }),
              segmentsDeleted: t.Number({ description: 'segments deleted by retention or quota' }),
            },
            { description: 'recording state (absent from engines without recording)' },
          ),
        ),
        listeners: t.Optional(
          t.Object(
            {
              srt: t.Object({
                enabled: t.Boolean({ description: 'the engine flag --srt-port (0 = off)' }),
                port: t.Nullable(Int({ description: 'the UDP port it listens on; null when off or not bound' })),
                encrypted: t.Boolean({ description: 'callers must bring the passphrase (--srt-passphrase), which is never shown here' }),
              }),
              rtsp: t.Object({
                enabled: t.Boolean({ description: 'the engine flags --rtsp-port / --no-rtsp' }),
                port: t.Nullable(Int({ description: 'the TCP port it listens on; null when off or not bound' })),
              }),
              webrtc: t.Optional(
                t.Object({
                  enabled: t.Boolean({ description: 'the engine flag --webrtc-port (0 = off); WHEP and WHIP are signalled on the HTTP port' }),
                  port: t.Nullable(Int({ description: 'the UDP port every WebRTC session shares; null when off or not bound' })),
                }),
              ),
            },
            { description: 'the SRT, RTSP and WebRTC listeners, set by engine flags (absent from older engines; webrtc absent from engines before WebRTC)' },
          ),
        ),
      }),
    ),
  },
  { description: 'Engine status' },
);

const tags = ['engine'];

export const engineRoutes = (deps: ApiDeps) =>
  new Elysia({ prefix: '/engine' })
    .use(requireAuth(deps))
    .get(
      '',
      async () => {
        const configRevision = deps.services.config.revision();
        const status = await deps.engine.status();
        if (!status.ok) return { up: false, reason: status.reason, configRevision, engine: null };
        const s = status.value;
        return {
          up: true,
          reason: null,
          configRevision,
          engine: {
            version: s.version,
            startedAtMs: s.startedAtMs,
            uptimeSec: secondsSince(deps.now(), s.startedAtMs),
            ready: s.ready,
            configRevision: s.configRevision,
            configCurrent: s.configRevision >= configRevision && (s.configErrors ?? []).length === 0,
            configErrors: [...(s.configErrors ?? [])],
            streams: s.streams,
            clients: s.clients,
            bytesIn: s.bytesIn,
            bytesOut: s.bytesOut,
            ...(s.snapshotDecoder !== undefined ? { snapshotDecoder: s.snapshotDecoder } : {}),
            ...(s.recording ? { recording: { ...s.recording, paths: s.recording.paths.map((p) => ({ ...p, apps: [...p.apps] })) } } : {}),
            ...(s.listeners ? { listeners: { srt: { ...s.listeners.srt }, rtsp: { ...s.listeners.rtsp }, ...(s.listeners.webrtc ? { webrtc: { ...s.listeners.webrtc } } : {}) } } : {}),
          },
        };
      },
      {
        response: { 200: EngineStateSchema, ...problemResponses(401) },
        detail: { tags, summary: 'Engine status', description: 'Answers 200 with up=false when the engine cannot be reached.' },
      },
    )
    .post(
      '/reload',
      async ({ auth, set }) => {
        assertAdmin(auth);
        await fromEngine(deps.engine.reload());
        set.status = 202;
        return { accepted: true as const };
      },
      {
        response: { 202: t.Object({ accepted: t.Literal(true) }), ...problemResponses(401, 403, 503) },
        detail: {
          tags,
          summary: 'Make the engine fetch its configuration now',
          description: 'Changes made through this API already do this.',
        },
      },
    );
