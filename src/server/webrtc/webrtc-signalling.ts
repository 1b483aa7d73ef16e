// The steps WHEP playback (whep-http.ts) and WHIP ingest (whip-http.ts) take alike: admission of the POST (the URL's
// query or the bearer token, refused with 404 for an unknown app and 403 otherwise), the session caps' refusal
// (429 per address, 503 in all), and the 201 that carries our SDP answer, the session's Location and its ETag.
import { randomBytes } from 'node:crypto';
import { buildAnswer, type AnsweredMedia } from '../../webrtc/sdp-answer.ts';
import type { SlotRefusal } from '../address-slots.ts';
import type { EngineContext } from '../engine-context.ts';
import type { WebRtcListener } from './webrtc-listener.ts';
import { admissionQuery, type WhepRoute } from './webrtc-route.ts';

export type Reply = (status: number, body: string | null, headers?: Record<string, string>) => Response;

type Endpoint = Extract<WhepRoute, { kind: 'endpoint' }>;

/** Asks admission about this POST; the refusal to send, or null when it may go on. */
export async function admitSession(
  ctx: EngineContext,
  action: 'play' | 'publish',
  req: Request,
  route: Endpoint,
  url: URL,
  clientAddress: string,
  clientId: string,
  reply: Reply,
): Promise<Response | null> {
  const decision = await ctx.admission.decide({
    action, protocol: 'webrtc', app: route.app, stream: route.stream,
    query: admissionQuery(url.search.slice(1), req.headers.get('authorization')), clientAddress, clientId,
  });
  if (decision.allow) return null;
  ctx.logger.info(`${action} refused`, { conn: clientId, peer: clientAddress, stream: `${route.app}/${route.stream}`, protocol: 'webrtc', reason: decision.reason });
  return reply(decision.reason.startsWith('unknown app') ? 404 : 403, `${decision.reason}\n`);
}

export function capRefused(refusal: SlotRefusal, reply: Reply): Response {
  const perAddress = refusal.limit === 'per-address';
  return reply(perAddress ? 429 : 503, perAddress ? `too many WebRTC sessions from this address (at most ${refusal.max})\n` : 'too many WebRTC sessions\n');
}

/** 201 with our answer for an opened session: its ICE credentials, our certificate's fingerprint and candidates. */
export function sessionCreated(
  listener: WebRtcListener,
  route: Endpoint,
  opened: Readonly<{ session: { id: string }; localUfrag: string; localPwd: string }>,
  media: readonly AnsweredMedia[],
  reply: Reply,
  extra: Readonly<{ information?: string; headers?: Record<string, string> }> = {},
): Response {
  const answer = buildAnswer({
    sessionId: String(randomBytes(6).readUIntBE(0, 6)),
    iceUfrag: opened.localUfrag,
    icePwd: opened.localPwd,
    fingerprint: listener.certificate.fingerprint,
    candidates: listener.candidates(),
    media,
    streamId: 'weir',
    ...(extra.information !== undefined ? { information: extra.information } : {}),
  });
  return reply(201, answer, {
    'Content-Type': 'application/sdp',
    Location: `/${encodeURIComponent(route.app)}/${encodeURIComponent(route.stream)}/${route.protocol}/${opened.session.id}`,
    ETag: `"${opened.localUfrag}"`,
    ...extra.headers,
  });
}
