// MPEG-TS as a shared output format (SRT play, later UDP out): the hub's FLV-bodied packets
// turned into 188-byte TS packets once per stream. SerializedOutput calls an encoder exactly
// once per packet, in hub order, so the state here stays consistent for every viewer. A new
// sequence header means a new TsMuxer (new PMT), but the continuity counters (ISO/IEC 13818-1
// §2.4.3.3) run on across muxers: a receiver would flag the next PES corrupt otherwise.
import { concatBytes, readUint16BE } from '../media/bytes.ts';
import { DemuxTrackId, FlvMediaDemuxer } from '../flv/flv-media-demuxer.ts';
import { MEDIA_TIMESCALE } from '../media/clock.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import type { MediaFrame, Track } from '../media/types.ts';
import { isTsMuxable, TsMuxer } from '../remux/ts-muxer.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import type { BytesPacketEncoder } from './serialized-output.ts';

export const MPEGTS_FORMAT = 'mpegts';

const EMPTY = new Uint8Array(0);
/** An audio-only stream repeats PAT/PMT this often, so a receiver joining mid-stream finds its tracks. */
const AUDIO_ONLY_TABLES_TICKS = MEDIA_TIMESCALE;

/** A fresh encoder: give one to OutputRegistry.obtain, which keeps it only when it creates the output. */
export function mpegtsPacketEncoder(): BytesPacketEncoder {
  const demuxer = new FlvMediaDemuxer();
  let muxer: TsMuxer | null = null;
  let hasVideo = false;
  let lastTablesDts = -Infinity;
  const counters = new Map<number, number>();

  const rebuild = (out: Uint8Array[]): void => {
    const video = demuxer.videoTrack;
    const audio = demuxer.audioTrack;
    const tracks = [video, audio].filter((t): t is Track => t !== null);
    muxer = null;
    hasVideo = video !== null;
    // a codec TS cannot carry (e.g. AV1 over Enhanced RTMP) leaves the output silent, not broken
    if (tracks.length === 0 || !tracks.every(isTsMuxable)) return;
    try {
      muxer = new TsMuxer({ ...(video ? { video } : {}), ...(audio ? { audio } : {}) });
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return;
    }
    out.push(muxer.writeTables());
  };

  const frame = (m: TsMuxer, f: MediaFrame, out: Uint8Array[]): void => {
    // PAT/PMT ahead of every video keyframe (as ffmpeg does), so any keyframe is a join point
    const tablesDue = hasVideo ? f.trackId === DemuxTrackId.Video && f.keyframe : f.dts - lastTablesDts >= AUDIO_ONLY_TABLES_TICKS;
    if (tablesDue) {
      out.push(m.writeTables());
      lastTablesDts = f.dts;
    }
    try {
      out.push(m.writeFrame(f));
    } catch (err) {
      if (!isProtocolError(err)) throw err;
    }
  };

  return (packet: MediaPacket): Uint8Array => {
    if (packet.type !== 8 && packet.type !== 9) return EMPTY;
    let events;
    try {
      events = demuxer.push(packet.type, packet.timestampMs, packet.body);
    } catch (err) {
      // the publisher's edge already judged this tag; TS skips what it cannot read
      if (!isProtocolError(err)) throw err;
      return EMPTY;
    }
    const out: Uint8Array[] = [];
    for (const event of events) {
      if (event.type === 'track') rebuild(out);
      else if (muxer) frame(muxer, event.frame, out);
    }
    const bytes = concat(out);
    stampContinuity(bytes, counters);
    return bytes;
  };
}

const TS_PACKET_BYTES = 188;
const PID_MASK = 0x1fff;
const HAS_PAYLOAD = 0x10;

/** Rewrites each packet's continuity_counter from one counter per PID (packets without payload keep theirs). */
function stampContinuity(bytes: Uint8Array, counters: Map<number, number>): void {
  for (let at = 0; at + TS_PACKET_BYTES <= bytes.byteLength; at += TS_PACKET_BYTES) {
    const flags = bytes[at + 3]!;
    if ((flags & HAS_PAYLOAD) === 0) continue;
    const pid = readUint16BE(bytes, at + 1) & PID_MASK;
    const cc = ((counters.get(pid) ?? -1) + 1) & 0x0f;
    counters.set(pid, cc);
    bytes[at + 3] = (flags & 0xf0) | cc;
  }
}

/** One part is handed on as it is (no copy on the per-frame path); more are joined once. */
function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 0) return EMPTY;
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}
