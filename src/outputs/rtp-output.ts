// The RTP output of one stream: FLV tag bodies from the hub demuxed and packetized once per frame (RFC 6184, 7798,
// 3640, 3551, 7587 payload formats in src/rtsp/packetize.ts) and the same payloads handed to every RTSP viewer, which
// only stamps its own RTP headers (sequence, SSRC, timestamp offset) and frames them for its transport.
import { DemuxTrackId, FlvMediaDemuxer } from '../flv/flv-media-demuxer.ts';
import type { LiveStream, StreamReader } from '../hub/live-stream.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import type { Track } from '../media/types.ts';
import { RtpPacketizer, type PacketizedFrame } from '../rtsp/packetize.ts';
import { planTrack, type SdpTrackPlan } from '../rtsp/sdp-build.ts';
import { isProtocolError } from '../shared/protocol-error.ts';

export type RtpTrackKind = 'video' | 'audio';

/** One track of a stream as an RTSP server describes it; `control` is relative to the Content-Base. */
export type RtpTrackPlan = Readonly<{ kind: RtpTrackKind; control: string; plan: SdpTrackPlan }>;

export type RtpFrameOut = Readonly<{
  kind: RtpTrackKind;
  codec: Track['codec'];
  packetized: PacketizedFrame;
  /** where a viewer that fell behind may start again: a video keyframe, or audio of a stream without video */
  randomAccess: boolean;
}>;

export interface RtpViewer {
  onFrame(frame: RtpFrameOut): void;
  onStreamEnd(): void;
}

/** The tracks a stream has now (from its headers, and the GOP for audio that has no header, like G.711), as SDP plans. */
export function planStreamTracks(stream: LiveStream, recentAudio?: MediaPacket): RtpTrackPlan[] {
  const demuxer = new FlvMediaDemuxer();
  for (const header of [stream.videoHeader, stream.audioHeader]) if (header) safeDemux(demuxer, header);
  if (!demuxer.audioTrack) {
    const audio = recentAudio ?? stream.gop.find((p) => p.type === 8);
    if (audio) safeDemux(demuxer, audio);
  }
  return plansOf(demuxer.videoTrack, demuxer.audioTrack);
}

/**
 * The next audio packet of a stream, or undefined after `timeoutMs`: audio without a sequence header (G.711) is
 * only known from its frames, and a viewer described on a stream's first video frame has seen none yet.
 */
export function nextAudioPacket(stream: LiveStream, timeoutMs: number): Promise<MediaPacket | undefined> {
  return new Promise((resolve) => {
    const done = (packet: MediaPacket | undefined) => {
      clearTimeout(timer);
      stream.removeReader(reader);
      resolve(packet);
    };
    const reader: StreamReader = {
      onPacket: (packet) => {
        if (packet.type === 8 && !packet.header) done(packet);
      },
      onPublisherStart() {},
      onPublisherStop: () => done(undefined),
      onStreamEnd: () => done(undefined),
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    stream.addReader(reader);
  });
}

function plansOf(video: Track | null, audio: Track | null): RtpTrackPlan[] {
  const out: RtpTrackPlan[] = [];
  for (const track of [video, audio]) {
    if (!track) continue;
    const index = out.length;
    try {
      out.push({ kind: track.kind, control: `trackID=${index}`, plan: planTrack(track, index, `trackID=${index}`) });
    } catch (err) {
      if (!isProtocolError(err)) throw err; // a codec RTP cannot carry (AV1 over FLV, MP3): described without it
    }
  }
  return out;
}

function safeDemux(demuxer: FlvMediaDemuxer, packet: MediaPacket) {
  try {
    return demuxer.push(packet.type, packet.timestampMs, packet.body);
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    return [];
  }
}

export class RtpOutput implements StreamReader {
  private readonly viewers = new Set<RtpViewer>();
  private readonly demuxer = new FlvMediaDemuxer();
  private readonly packetizers = new Map<number, { track: Track; packetizer: RtpPacketizer }>();
  private readonly cache = new WeakMap<MediaPacket, RtpFrameOut | null>();
  framesPacketized = 0;

  constructor(
    readonly stream: LiveStream,
    private readonly onEmpty: (output: RtpOutput) => void,
  ) {
    for (const header of [stream.videoHeader, stream.audioHeader]) if (header) this.learn(header);
    stream.addReader(this);
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** A new viewer gets the current GOP first (from the keyframe), then live frames. */
  addViewer(viewer: RtpViewer): void {
    this.viewers.add(viewer);
    for (const packet of this.stream.gop) {
      const frame = this.frameOf(packet);
      if (frame) viewer.onFrame(frame);
    }
  }

  removeViewer(viewer: RtpViewer): void {
    if (!this.viewers.delete(viewer)) return;
    if (this.viewers.size === 0) {
      this.stream.removeReader(this);
      this.onEmpty(this);
    }
  }

  onPacket(packet: MediaPacket): void {
    if (packet.header) {
      this.learn(packet);
      return;
    }
    if (this.viewers.size === 0) return;
    const frame = this.frameOf(packet);
    if (!frame) return;
    for (const viewer of this.viewers) viewer.onFrame(frame);
  }

  onPublisherStart(): void {}

  onPublisherStop(): void {}

  onStreamEnd(): void {
    const viewers = [...this.viewers];
    this.viewers.clear();
    for (const viewer of viewers) viewer.onStreamEnd();
    this.onEmpty(this);
  }

  private learn(packet: MediaPacket): void {
    for (const event of safeDemux(this.demuxer, packet)) if (event.type === 'track') this.packetizers.delete(event.track.id);
  }

  private frameOf(packet: MediaPacket): RtpFrameOut | null {
    const cached = this.cache.get(packet);
    if (cached !== undefined) return cached;
    let out: RtpFrameOut | null = null;
    for (const event of safeDemux(this.demuxer, packet)) {
      if (event.type === 'track') {
        this.packetizers.delete(event.track.id); // configless audio announces itself with its first frame
        continue;
      }
      const p = this.packetizerOf(event.frame.trackId);
      if (!p) continue;
      try {
        out = {
          kind: p.track.kind,
          codec: p.track.codec,
          packetized: p.packetizer.packetize(event.frame),
          randomAccess: packet.randomAccess,
        };
        this.framesPacketized++;
      } catch (err) {
        if (!isProtocolError(err)) throw err; // one bad frame (oversized AAC, broken NAL lengths) is skipped
      }
    }
    this.cache.set(packet, out);
    return out;
  }

  private packetizerOf(trackId: number): { track: Track; packetizer: RtpPacketizer } | undefined {
    const existing = this.packetizers.get(trackId);
    if (existing) return existing;
    const track = trackId === DemuxTrackId.Video ? this.demuxer.videoTrack : this.demuxer.audioTrack;
    if (!track) return undefined;
    let plan: SdpTrackPlan;
    try {
      plan = planTrack(track, 0, '');
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return undefined;
    }
    const entry = { track, packetizer: new RtpPacketizer(track, plan.clockRate, plan.parameterSets) };
    this.packetizers.set(trackId, entry);
    return entry;
  }
}

/** One RtpOutput per stream, made for its first RTSP viewer and forgotten after its last. */
export class RtpOutputs {
  private readonly outputs = new Map<LiveStream, RtpOutput>();

  constructor(private readonly collect: (stream: LiveStream) => void) {}

  obtain(stream: LiveStream): RtpOutput {
    let output = this.outputs.get(stream);
    if (!output) {
      output = new RtpOutput(stream, (done) => {
        if (this.outputs.get(stream) === done) this.outputs.delete(stream);
        this.collect(stream);
      });
      this.outputs.set(stream, output);
    }
    return output;
  }

  find(stream: LiveStream): RtpOutput | undefined {
    return this.outputs.get(stream);
  }
}
