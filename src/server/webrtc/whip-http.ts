// WHIP ingest signalling (RFC 9725 §4.2): POST /{app}/{stream}/whip takes a browser's or OBS's sendonly offer,
// admits it as a publish (protocol 'webrtc'; the bearer token is the stream key, or a signed URL's query), takes
// the stream in the hub like any publisher (same takeover rule), and answers 201 with a recvonly answer choosing
// H.264 (packetization-mode 1) and Opus. PATCH and DELETE on the Location are whep-http.ts's session handling.
import { randomBytes } from 'node:crypto';
import type { PublisherHandle } from '../../hub/live-stream.ts';
import { AudioCodec, VideoCodec } from '../../media/types.ts';
import type { RtpTrackDescription } from '../../rtsp/sdp-tracks.ts';
import { buildAnswer, type AnsweredMedia } from '../../webrtc/sdp-answer.ts';
import { chooseH264, chooseOpus, type WebRtcOffer } from '../../webrtc/sdp-offer.ts';
import type { EngineContext } from '../engine-context.ts';
import type { WebRtcListener } from './webrtc-listener.ts';
import { admissionQuery, type WhepRoute } from './webrtc-route.ts';

type Reply = (status: number, body: string | null, headers?: Record<string, string>) => Response;
/** the rtcp-fb a publisher may use with us: we send PLI and FIR, never NACK (no retransmission requests) */
const FEEDBACK = ['nack pli', 'ccm fir'];

export type WhipPlan = { media: AnsweredMedia[]; tracks: RtpTrackDescription[] };

/** Which offered sections we receive: the first sending H.264 video and the first sending Opus audio. */
export function planWhipAnswer(offer: WebRtcOffer): WhipPlan {
  const out: WhipPlan = { media: [], tracks: [] };
  let video = false;
  let audio = false;
  offer.media.forEach((m, mediaIndex) => {
    const sends = m.direction === 'sendonly' || m.direction === 'sendrecv';
    if (sends && m.kind === 'video' && !video) {
      const codec = chooseH264(m, 0x42);
      if (codec) {
        video = true;
        out.media.push({ media: m, accept: true, codec, direction: 'recvonly', feedback: codec.feedback.filter((f) => FEEDBACK.includes(f)) });
        out.tracks.push({
          kind: 'video', payloadType: codec.payloadType, clockRate: 90_000, channels: 1, control: '', mediaIndex,
          params: { codec: VideoCodec.H264, sps: [], pps: [], packetizationMode: 1 },
        });
        return;
      }
    }
    if (sends && m.kind === 'audio' && !audio) {
      const codec = chooseOpus(m);
      if (codec) {
        audio = true;
        const channels = codec.fmtp.get('stereo') === '1' || codec.fmtp.get('sprop-stereo') === '1' ? 2 : (codec.channels ?? 2);
        out.media.push({ media: m, accept: true, codec, direction: 'recvonly', feedback: [] });
        out.tracks.push({
          kind: 'audio', payloadType: codec.payloadType, clockRate: 48_000, channels, control: '', mediaIndex,
          params: { codec: AudioCodec.Opus, channels: Math.min(2, channels) },
        });
        return;
      }
    }
    out.media.push({ media: m, accept: false });
  });
  return out;
}

export class WhipHttp {
  constructor(private readonly ctx: EngineContext) {}

  async publish(
    req: Request,
    route: Extract<WhepRoute, { kind: 'endpoint' }>,
    url: URL,
    clientAddress: string,
    offer: WebRtcOffer,
    listener: WebRtcListener,
    reply: Reply,
  ): Promise<Response> {
    const ctx = this.ctx;
    const clientId = ctx.nextConnectionId();
    const path = `${route.app}/${route.stream}`;
    const decision = await ctx.admission.decide({
      action: 'publish', protocol: 'webrtc', app: route.app, stream: route.stream,
      query: admissionQuery(url.search.slice(1), req.headers.get('authorization')), clientAddress, clientId,
    });
    if (!decision.allow) {
      ctx.logger.info('publish refused', { conn: clientId, peer: clientAddress, stream: path, protocol: 'webrtc', reason: decision.reason });
      return reply(decision.reason.startsWith('unknown app') ? 404 : 403, `${decision.reason}\n`);
    }
    const plan = planWhipAnswer(offer);
    if (plan.tracks.length === 0) return reply(406, 'the offer sends neither H.264 (packetization-mode=1) video nor Opus audio\n');
    let remove: (reason: string) => void = () => {};
    const handle: PublisherHandle = { id: clientId, kick: (reason) => remove(reason) };
    const published = ctx.streams.publish(route.app, route.stream, handle);
    if (!published.ok) return reply(409, `stream '${path}' is already being published\n`);
    const opened = listener.openWhip({
      stream: published.stream, handle, clientAddress, clientId, remoteUfrag: offer.iceUfrag, peerFingerprint: offer.fingerprint, tracks: plan.tracks,
    });
    if ('ok' in opened) {
      ctx.streams.unpublish(published.stream, handle);
      const perAddress = opened.limit === 'per-address';
      return reply(perAddress ? 429 : 503, perAddress ? `too many WebRTC sessions from this address (at most ${opened.max})\n` : 'too many WebRTC sessions\n');
    }
    const session = opened.session;
    remove = (reason) => listener.sessions.remove(session, reason);
    ctx.logger.info('WHIP publish started', { conn: clientId, peer: clientAddress, stream: path, tracks: plan.tracks.map((t) => t.params.codec).join(',') });
    const answer = buildAnswer({
      sessionId: String(randomBytes(6).readUIntBE(0, 6)),
      iceUfrag: opened.localUfrag,
      icePwd: opened.localPwd,
      fingerprint: listener.certificate.fingerprint,
      candidates: listener.candidates(),
      media: plan.media,
      streamId: 'weir',
    });
    return reply(201, answer, {
      'Content-Type': 'application/sdp',
      Location: `/${encodeURIComponent(route.app)}/${encodeURIComponent(route.stream)}/whip/${session.id}`,
      ETag: `"${opened.localUfrag}"`,
    });
  }
}
