// WHIP ingest signalling (RFC 9725 §4.2): POST /{app}/{stream}/whip takes a browser's or OBS's sendonly offer,
// admits it as a publish (protocol 'webrtc'; the bearer token is the stream key, or a signed URL's query), takes
// the stream in the hub like any publisher (same takeover rule), and answers 201 with a recvonly answer choosing
// H.264 (packetization-mode 1) and Opus. PATCH and DELETE on the Location are whep-http.ts's session handling.
import type { PublisherHandle } from '../../hub/live-stream.ts';
import { AudioCodec, VideoCodec } from '../../media/types.ts';
import type { RtpTrackDescription } from '../../rtsp/sdp-tracks.ts';
import type { AnsweredMedia } from '../../webrtc/sdp-answer.ts';
import { chooseH264, chooseOpus, type WebRtcOffer } from '../../webrtc/sdp-offer.ts';
import type { EngineContext } from '../engine-context.ts';
import type { WebRtcListener } from './webrtc-listener.ts';
import type { WhepRoute } from './webrtc-route.ts';
import { admitSession, capRefused, sessionCreated, type Reply } from './webrtc-signalling.ts';

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
    const refused = await admitSession(ctx, 'publish', req, route, url, clientAddress, clientId, reply);
    if (refused) return refused;
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
      return capRefused(opened, reply);
    }
    const session = opened.session;
    remove = (reason) => listener.sessions.remove(session, reason);
    ctx.logger.info('WHIP publish started', { conn: clientId, peer: clientAddress, stream: path, tracks: plan.tracks.map((t) => t.params.codec).join(',') });
    return sessionCreated(listener, route, opened, plan.media, reply);
  }
}
