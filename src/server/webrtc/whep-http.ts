// WHEP signalling (and the router for WHIP's) on the engine's HTTP port (draft-ietf-wish-whep §4, with RFC 9725 WHIP's resource rules):
// POST /{app}/{stream}/whep takes an SDP offer and answers 201 with the SDP answer and the session's Location;
// PATCH on it takes trickled candidates (204: an ICE-lite server learns the browser's addresses from its checks,
// so they are accepted and not needed); DELETE ends the session. Admission is the play admission of every other
// protocol: the URL's query, or a bearer token that is either a query string (a signed URL's `expires=…&sign=…`)
// or a key (`key=<token>`).
import { randomBytes } from 'node:crypto';
import type { LiveStream } from '../../hub/live-stream.ts';
import { parseAvcDecoderConfig } from '../../media/h264.ts';
import { AudioCodec, VideoCodec } from '../../media/types.ts';
import { planStreamTracks } from '../../outputs/rtp-output.ts';
import { MAX_SDP_BYTES } from '../../rtsp/sdp.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';
import type { AnsweredMedia } from '../../webrtc/sdp-answer.ts';
import { chooseH264, chooseOpus, parseWebRtcOffer, type OfferedMedia, type WebRtcOffer } from '../../webrtc/sdp-offer.ts';
import type { EngineContext } from '../engine-context.ts';
import type { WebRtcListener } from './webrtc-listener.ts';
import type { WhepTrack } from './webrtc-viewer.ts';
import { WhipHttp } from './whip-http.ts';
import type { WhepRoute } from './webrtc-route.ts';
import { admitSession, capRefused, sessionCreated, type Reply } from './webrtc-signalling.ts';

export const WHEP_CORS_HEADERS = {
  'Access-Control-Allow-Methods': 'POST, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match',
  'Access-Control-Expose-Headers': 'Location, ETag, Content-Type, X-Weir-Audio',
} as const;


/** The offer of a POST: application/sdp, at most MAX_SDP_BYTES, parsed; or the 4xx that says why not. */
export async function readOffer(req: Request): Promise<WebRtcOffer | Response> {
  if (!/^application\/sdp\s*(;|$)/i.test(req.headers.get('content-type') ?? '')) return new Response('the offer must be application/sdp\n', { status: 415 });
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_SDP_BYTES) return new Response(`offer over ${MAX_SDP_BYTES} bytes\n`, { status: 413 });
  const body = await req.arrayBuffer();
  if (body.byteLength > MAX_SDP_BYTES) return new Response(`offer over ${MAX_SDP_BYTES} bytes\n`, { status: 413 });
  try {
    return parseWebRtcOffer(new TextDecoder().decode(body));
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    return new Response(`${err.message}\n`, { status: 400 });
  }
}

export class WhepHttp {
  private readonly whip: WhipHttp;

  constructor(
    private readonly ctx: EngineContext,
    private readonly listener: () => WebRtcListener | null,
  ) {
    this.whip = new WhipHttp(ctx);
  }

  async handle(req: Request, route: WhepRoute, url: URL, clientAddress: string, reply: Reply): Promise<Response> {
    const listener = this.listener();
    if (!listener?.running) return reply(404, 'WebRTC is not enabled on this server (--webrtc-port)\n');
    if (route.kind === 'session') return this.session(req, route, listener, reply);
    if (req.method !== 'POST') return reply(405, 'method not allowed\n', { Allow: 'POST, OPTIONS' });
    const offer = await readOffer(req);
    if (offer instanceof Response) return reply(offer.status, await offer.text());
    if (route.protocol === 'whip') return this.whip.publish(req, route, url, clientAddress, offer, listener, reply);
    const clientId = this.ctx.nextConnectionId();
    const refused = await admitSession(this.ctx, 'play', req, route, url, clientAddress, clientId, reply);
    if (refused) return refused;
    const stream = await this.ctx.streams.waitUntilLive(route.app, route.stream, req.signal);
    if (!stream) return reply(404, `stream '${route.app}/${route.stream}' is not live\n`);
    const plan = planAnswer(stream, offer, listener.transcoders?.ffmpeg != null);
    if (plan.tracks.length === 0) return reply(406, `${plan.notes.join('; ') || 'nothing in the offer can carry this stream'}\n`);
    const opened = listener.openWhep({
      stream, clientAddress, clientId, remoteUfrag: offer.iceUfrag, peerFingerprint: offer.fingerprint, tracks: plan.tracks, transcodeAudio: plan.transcodeAudio,
    });
    if ('ok' in opened) return capRefused(opened, reply);
    return sessionCreated(listener, route, opened, plan.media, reply, {
      ...(plan.notes.length > 0 ? { information: plan.notes.join('; ') } : {}),
      ...(plan.audioNote ? { headers: { 'X-Weir-Audio': plan.audioNote } } : {}),
    });
  }

  private async session(req: Request, route: Extract<WhepRoute, { kind: 'session' }>, listener: WebRtcListener, reply: Reply): Promise<Response> {
    const viewer = listener.sessions.byResourceId(route.id);
    if (!viewer || viewer.kind !== route.protocol) return reply(404, `no such ${route.protocol.toUpperCase()} session\n`);
    if (req.method === 'DELETE') {
      listener.sessions.remove(viewer, 'the client ended the session (DELETE)');
      return reply(200, null);
    }
    if (req.method === 'PATCH') {
      if (!/^application\/trickle-ice-sdpfrag\s*(;|$)/i.test(req.headers.get('content-type') ?? '')) return reply(415, 'PATCH takes application/trickle-ice-sdpfrag\n');
      const body = await req.arrayBuffer();
      if (body.byteLength > MAX_SDP_BYTES) return reply(413, 'fragment too large\n');
      return reply(204, null);
    }
    return reply(405, 'method not allowed\n', { Allow: 'PATCH, DELETE, OPTIONS' });
  }
}

type AnswerPlan = { media: AnsweredMedia[]; tracks: WhepTrack[]; notes: string[]; audioNote: string | null; transcodeAudio: boolean };

/**
 * What each offered m= section gets: the stream's H.264 video, its Opus audio (or its AAC transcoded to Opus when
 * `canTranscodeAac`: ffmpeg is present), or a rejection.
 */
export function planAnswer(stream: LiveStream, offer: WebRtcOffer, canTranscodeAac = false): AnswerPlan {
  const plans = planStreamTracks(stream);
  const video = plans.find((p) => p.kind === 'video')?.plan;
  const audio = plans.find((p) => p.kind === 'audio')?.plan;
  const out: AnswerPlan = { media: [], tracks: [], notes: [], audioNote: null, transcodeAudio: false };
  const receives = (m: OfferedMedia) => m.direction === 'recvonly' || m.direction === 'sendrecv';
  let videoDone = false;
  let audioDone = false;
  for (const m of offer.media) {
    if (m.kind === 'video' && !videoDone && video && receives(m)) {
      videoDone = true;
      if (video.track.codec !== VideoCodec.H264) {
        out.notes.push(`video is ${video.track.codec}: only H.264 is sent over WebRTC`);
      } else {
        const profileIdc = parseAvcDecoderConfig(video.track.config).sps[0]?.[1] ?? 0x42;
        const codec = chooseH264(m, profileIdc);
        if (codec) {
          const ssrc = randomBytes(4).readUInt32BE(0);
          const feedback = codec.feedback.filter((f) => f === 'nack' || f === 'nack pli' || f === 'ccm fir' || f === 'goog-remb');
          out.media.push({ media: m, accept: true, codec, direction: 'sendonly', ssrc, feedback });
          out.tracks.push({ kind: 'video', codec: video.track.codec, payloadType: codec.payloadType, clockRate: 90_000, ssrc });
          continue;
        }
        out.notes.push('the offer has no H.264 with packetization-mode=1');
      }
    } else if (m.kind === 'audio' && !audioDone && receives(m)) {
      audioDone = true;
      const opus = chooseOpus(m);
      const transcode = audio?.track.codec === AudioCodec.AAC && canTranscodeAac;
      if ((audio?.track.codec === AudioCodec.Opus || transcode) && opus) {
        out.transcodeAudio = transcode;
        const ssrc = randomBytes(4).readUInt32BE(0);
        out.media.push({ media: m, accept: true, codec: opus, direction: 'sendonly', ssrc, feedback: [] });
        out.tracks.push({ kind: 'audio', codec: AudioCodec.Opus, payloadType: opus.payloadType, clockRate: 48_000, ssrc });
        continue;
      }
      if (audio) {
        // AAC is transcoded only with ffmpeg present; G.711 and MP3 never: the viewer gets video only and is told why
        out.audioNote = audio.track.codec === AudioCodec.AAC
          ? 'aac audio is not sent over WebRTC (Opus only, and no ffmpeg to transcode it): video only'
          : `${audio.track.codec} audio is not sent over WebRTC (Opus only): video only`;
        out.notes.push(out.audioNote);
        if (opus) {
          out.media.push({ media: m, accept: true, codec: opus, direction: 'inactive', feedback: [] });
          continue;
        }
      }
    }
    out.media.push({ media: m, accept: false });
  }
  return out;
}
