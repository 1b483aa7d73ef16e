// /api/v1/settings: the engine's listen addresses and HLS timings. A change bumps the
// configuration revision; the engine is told to reload (see ../api/engine-notify.ts).
import { Elysia, t } from 'elysia';
import { assertAdmin, requireAuth } from './auth.ts';
import { Int } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { problemResponses } from './problem.ts';

const Host = t.String({ minLength: 1, maxLength: 253, description: 'IP address or host name to listen on', examples: ['0.0.0.0'] });
const Port = Int({ minimum: 1, maximum: 65535 });
const TargetDurationMs = Int({ minimum: 500, maximum: 60_000, description: 'HLS segment target duration' });
const PartTargetMs = Int({ minimum: 50, maximum: 60_000, description: 'LL-HLS part target; at most a third of the segment target' });
const WindowSegments = Int({ minimum: 2, maximum: 100, description: 'segments kept in a classic HLS playlist' });
const AlwaysRemux = t.Boolean({
  description: 'mux HLS for every live stream from its start; false: a stream is muxed once a player asks for a playlist (from its current GOP)',
});
const MuxerCloseAfterMs = Int({ minimum: 1000, maximum: 86_400_000, description: 'an on-demand HLS output no player asked anything of for this long is stopped' });

export const SettingsSchema = t.Object(
  {
    listen: t.Object({ rtmpHost: Host, rtmpPort: Port, httpHost: Host, httpPort: Port }),
    hls: t.Object({
      targetDurationMs: TargetDurationMs,
      partTargetMs: PartTargetMs,
      windowSegments: WindowSegments,
      alwaysRemux: AlwaysRemux,
      muxerCloseAfterMs: MuxerCloseAfterMs,
    }),
  },
  { description: 'Engine settings' },
);

const SettingsPatch = t.Object({
  listen: t.Optional(
    t.Object({ rtmpHost: t.Optional(Host), rtmpPort: t.Optional(Port), httpHost: t.Optional(Host), httpPort: t.Optional(Port) }),
  ),
  hls: t.Optional(
    t.Object({
      targetDurationMs: t.Optional(TargetDurationMs),
      partTargetMs: t.Optional(PartTargetMs),
      windowSegments: t.Optional(WindowSegments),
      alwaysRemux: t.Optional(AlwaysRemux),
      muxerCloseAfterMs: t.Optional(MuxerCloseAfterMs),
    }),
  ),
});

const tags = ['settings'];

export const settingsRoutes = (deps: ApiDeps) => {
  const settings = deps.services.settings;
  return new Elysia({ prefix: '/settings' })
    .use(requireAuth(deps))
    .get('', () => settings.get(), {
      response: { 200: SettingsSchema, ...problemResponses(401) },
      detail: { tags, summary: 'Get the engine settings' },
    })
    .patch(
      '',
      ({ auth, body }) => {
        assertAdmin(auth);
        return settings.update(body);
      },
      {
        body: SettingsPatch,
        parse: 'json',
        response: { 200: SettingsSchema, ...problemResponses(400, 401, 403) },
        detail: {
          tags,
          summary: 'Change engine settings',
          description:
            'Only the fields sent change; the result is validated as a whole. ' +
            'The running engine applies it without a restart (changed ports rebind).',
        },
      },
    );
};
