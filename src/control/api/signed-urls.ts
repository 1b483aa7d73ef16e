// /api/v1/apps/{app}/signed-urls: builds expiring play or publish URLs signed with the app's
// secret (HMAC-SHA256 over app, stream and expiry; see services/signed-url-service.ts).
import { Elysia, t } from 'elysia';
import { SIGNED_URL_MAX_TTL_SEC } from '../services/signed-url-service.ts';
import { assertAdmin, requireAuth } from './auth.ts';
import { AppParams, Empty, Int, OneOf, StreamName, TimestampMs } from './common.ts';
import type { ApiDeps } from './deps.ts';
import { endpointsFrom, playUrls, publishUrlSet, requestHost } from './media-urls.ts';
import { problemResponses } from './problem.ts';

const Action = OneOf(['play', 'publish'], { description: 'a play URL cannot be used to publish, nor the reverse' });

const SignedUrlRequest = t.Object({
  stream: StreamName,
  action: t.Optional(Action),
  expiresInSec: Int({ minimum: 1, maximum: SIGNED_URL_MAX_TTL_SEC, description: 'validity from now, in seconds' }),
});

const Url = t.String();
const SignedUrlSchema = t.Object(
  {
    app: t.String(),
    stream: t.String(),
    action: Action,
    expires: Int({ description: 'unix seconds' }),
    expiresAtMs: TimestampMs,
    sign: t.String({ description: 'hex HMAC-SHA256' }),
    query: t.String({ description: 'expires=...&sign=..., to append after ?' }),
    path: t.String({ description: '{app}/{stream}?{query}' }),
    urls: t.Object({
      rtmp: Url,
      httpFlv: t.Nullable(Url),
      wsFlv: t.Nullable(Url),
      hls: t.Nullable(Url),
      llHls: t.Nullable(Url),
      srt: t.Nullable(Url, { description: 'srt://host:port?streamid=#!::r={app}/{stream},m=publish|request,expires=...,sign=...; null when the engine runs no SRT listener or cannot be asked' }),
      rtsp: t.Nullable(Url, { description: 'null when the engine runs no RTSP server or cannot be asked' }),
      whep: t.Nullable(Url, { description: 'WHEP endpoint (POST an SDP offer; the query may go as Authorization: Bearer instead); null for publish, or when the engine runs no WebRTC or cannot be asked' }),
    }),
  },
  { description: 'A signed URL' },
);

const tags = ['signed URLs'];

export const signedUrlRoutes = (deps: ApiDeps) => {
  const { apps, signedUrls, settings } = deps.services;
  return new Elysia({ prefix: '/apps/:app' })
    .use(requireAuth(deps))
    .post(
      '/signed-urls',
      async ({ auth, params, body, request }) => {
        assertAdmin(auth);
        const app = apps.get(params.app);
        const action = body.action ?? 'play';
        const signed = signedUrls.build(app.name, body.stream, body.expiresInSec, action);
        const host = requestHost(request);
        const current = settings.get();
        const endpoints = endpointsFrom(await deps.engine.status());
        const urls =
          action === 'publish'
            ? { ...publishUrlSet(host, current, endpoints, app.name, signed.stream, signed.query), httpFlv: null, wsFlv: null, hls: null, llHls: null, whep: null }
            : playUrls(host, current, endpoints, app, signed.stream, signed.query);
        return { ...signed, expiresAtMs: signed.expires * 1000, urls };
      },
      {
        params: AppParams,
        body: SignedUrlRequest,
        parse: 'json',
        response: { 200: SignedUrlSchema, ...problemResponses(400, 401, 403, 404) },
        detail: {
          tags,
          summary: 'Build a signed URL',
          description: "Nothing is stored: the URL is checked against the app's signing secret when it is used.",
        },
      },
    )
    // Alike in shape to the admin-only 204 routes of apps.ts, forwards.ts and pulls.ts (assertAdmin, act, 204); a
    // different action on a different resource, declared in full so Elysia documents it.
    .post(
      '/signing-secret',
      ({ auth, params, set }) => {
        assertAdmin(auth);
        apps.rotateSigningSecret(params.app);
        set.status = 204;
      },
      {
        params: AppParams,
        response: { 204: Empty, ...problemResponses(401, 403, 404) },
        detail: { tags, summary: "Replace the app's signing secret", description: 'Every URL signed before stops working.' },
      },
    );
};
