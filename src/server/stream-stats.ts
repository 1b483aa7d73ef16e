// What the engine API says about a live stream: its tracks (codec, resolution, sample rate,
// read from the sequence headers the hub keeps), its bitrate in and out over the last few
// seconds (sampled once a second from the stream's byte counters), its video frame rate over the
// same window (from the video frames it received, or the SPS timing info until measured), and its viewers.
import { FlvTagType } from '../flv/flv-tag-type.ts';
import { parseAudioTag } from '../flv/parse-audio-tag.ts';
import { parseVideoTag } from '../flv/parse-video-tag.ts';
import type { LiveStream, StreamReader } from '../hub/live-stream.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import { parseAudioSpecificConfig } from '../media/aac.ts';
import { parseAvcDecoderConfig, parseH264Sps } from '../media/h264.ts';
import { parseHevcDecoderConfig, parseHevcSps } from '../media/h265.ts';
import { AudioCodec, VideoCodec } from '../media/types.ts';
import type { TrackState } from '../shared/config-protocol.ts';

const described = new WeakMap<MediaPacket, TrackState | null>();

/**
 * The tracks of a stream as its latest sequence headers (or, lacking one, its cached frames)
 * describe them; `measuredFps` (BitrateMeter.fps) wins over the frame rate the SPS states.
 */
export function describeTracks(stream: LiveStream, measuredFps?: number): TrackState[] {
  const tracks: TrackState[] = [];
  const video = stream.videoHeader ?? stream.gop.find((p) => p.type === FlvTagType.Video);
  const audio = stream.audioHeader ?? stream.gop.find((p) => p.type === FlvTagType.Audio);
  for (const packet of [video, audio]) {
    if (!packet) continue;
    let track = described.get(packet);
    if (track === undefined) {
      track = safely(() => (packet.type === FlvTagType.Video ? describeVideo(packet.body) : describeAudio(packet.body)));
      described.set(packet, track);
    }
    if (!track) continue;
    if (track.kind === 'video') {
      if (measuredFps !== undefined) track = { ...track, fps: measuredFps };
    }
    tracks.push(track);
  }
  return tracks;
}

function safely(describe: () => TrackState | null): TrackState | null {
  try {
    return describe();
  } catch {
    return null; // bytes the publisher's edge let through but no parser can read: no details
  }
}

function describeVideo(body: Uint8Array): TrackState | null {
  const tag = parseVideoTag(body);
  if (tag.kind !== 'sequence-header' && tag.kind !== 'frame') return null;
  const base = { kind: 'video' as const, codec: tag.codec };
  if (tag.kind !== 'sequence-header') return base;
  if (tag.codec === VideoCodec.H264) {
    const sps = parseAvcDecoderConfig(tag.config).sps[0];
    if (!sps) return base;
    const info = parseH264Sps(sps);
    const fps = info.frameRate !== undefined && Number.isFinite(info.frameRate) && info.frameRate > 0 ? roundFps(info.frameRate) : undefined;
    return { ...base, width: info.width, height: info.height, ...(fps !== undefined ? { fps } : {}) };
  }
  if (tag.codec === VideoCodec.H265) {
    const sps = parseHevcDecoderConfig(tag.config).sps[0];
    if (!sps) return base;
    const info = parseHevcSps(sps);
    return { ...base, width: info.width, height: info.height };
  }
  return base;
}

function describeAudio(body: Uint8Array): TrackState | null {
  const tag = parseAudioTag(body);
  if (tag.kind === 'sequence-header') {
    if (tag.codec !== AudioCodec.AAC) return { kind: 'audio', codec: tag.codec };
    const asc = parseAudioSpecificConfig(tag.config);
    return {
      kind: 'audio',
      codec: tag.codec,
      sampleRateHz: asc.extensionSampleRateHz ?? asc.sampleRateHz,
      ...(asc.channels > 0 ? { channels: asc.channels } : {}),
    };
  }
  if (tag.kind === 'frame') {
    return {
      kind: 'audio',
      codec: tag.codec,
      ...(tag.sampleRateHz !== undefined ? { sampleRateHz: tag.sampleRateHz } : {}),
      ...(tag.channels !== undefined ? { channels: tag.channels } : {}),
    };
  }
  return null;
}

const roundFps = (fps: number): number => Math.round(fps * 100) / 100;

type Sample = { atMs: number; bytesIn: number; bytesOut: number; videoFrames: number };

/**
 * Counts the coded video frames a stream receives (sequence headers are not frames). Attached
 * only while the stream has a publisher and detached when it stops, so it never keeps a stream
 * alive (the registry forgets a stream with neither publisher nor readers).
 */
class FrameCounter implements StreamReader {
  videoFrames = 0;
  constructor(private readonly detach: () => void) {}
  onPacket(packet: MediaPacket): void {
    if (packet.type === FlvTagType.Video && !packet.header) this.videoFrames++;
  }
  onPublisherStart(): void {}
  onPublisherStop(): void {
    this.detach();
  }
  onStreamEnd(): void {
    this.detach();
  }
}

/** Bitrates and video frame rates over the last few seconds, from counters sampled once a second. */
export class BitrateMeter {
  private readonly samples = new WeakMap<LiveStream, Sample[]>();
  private readonly frames = new WeakMap<LiveStream, FrameCounter>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly streams: () => Iterable<LiveStream>,
    private readonly windowSamples = 5,
    private readonly now: () => number = Date.now,
  ) {}

  start(intervalMs = 1000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  sample(): void {
    const atMs = this.now();
    for (const stream of this.streams()) {
      let ring = this.samples.get(stream);
      if (!ring) {
        ring = [];
        this.samples.set(stream, ring);
      }
      const videoFrames = stream.publisher ? this.counter(stream).videoFrames : 0;
      ring.push({ atMs, bytesIn: stream.counters.bytesIn, bytesOut: stream.counters.bytesOut, videoFrames });
      if (ring.length > this.windowSamples + 1) ring.shift();
    }
  }

  /** Bits per second in and out; the window reaches back to the oldest sample and up to now. */
  rates(stream: LiveStream): { inBps: number; outBps: number } {
    const ring = this.samples.get(stream);
    const oldest = ring?.[0];
    if (!oldest) return { inBps: 0, outBps: 0 };
    const elapsedMs = this.now() - oldest.atMs;
    if (elapsedMs <= 0) return { inBps: 0, outBps: 0 };
    const perSecond = (bytes: number): number => Math.round((bytes * 8 * 1000) / elapsedMs);
    return {
      inBps: perSecond(stream.counters.bytesIn - oldest.bytesIn),
      outBps: perSecond(stream.counters.bytesOut - oldest.bytesOut),
    };
  }

  /**
   * Video frames per second received over the same window; undefined until the window spans a
   * second (describeTracks then falls back to the SPS frame rate).
   */
  fps(stream: LiveStream): number | undefined {
    const oldest = this.samples.get(stream)?.[0];
    const counter = this.frames.get(stream);
    if (!oldest || !counter) return undefined;
    const elapsedMs = this.now() - oldest.atMs;
    if (elapsedMs < 1000) return undefined;
    return roundFps(((counter.videoFrames - oldest.videoFrames) * 1000) / elapsedMs);
  }

  /** the stream's frame counter, attached as a reader while it has a publisher */
  private counter(stream: LiveStream): FrameCounter {
    let counter = this.frames.get(stream);
    if (!counter) {
      const created = new FrameCounter(() => {
        stream.removeReader(created);
        if (this.frames.get(stream) !== created) return;
        this.frames.delete(stream);
        this.samples.delete(stream); // the next publisher's frames start a new window
      });
      counter = created;
      this.frames.set(stream, counter);
      stream.addReader(counter);
    }
    return counter;
  }
}
