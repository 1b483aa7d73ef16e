// Incremental MPEG-TS demuxer (ISO/IEC 13818-1 §2.4.3 transport packets, §2.4.4 PAT/PMT, §2.4.3.6 PES): bytes in,
// tracks and elementary-stream access units (Annex B video, ADTS AAC, MPEG audio, Opus packets) out. The mirror of
// ts-muxer.ts.
import { readUint16BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { PES_MIN_HEADER_BYTES, PES_FIXED_BYTES, parsePesHeader, TimestampUnwrapper } from './ts-demuxer-pes.ts';
import { PsiAssembler, type PsiSection } from './ts-demuxer-psi.ts';
import { CONTINUITY_COUNTER_MODULO, MPEG_CLOCK_HZ, TS_PACKET_BYTES, TS_SYNC_BYTE, TsPid, TsStreamType } from './ts-codes.ts';
import { opusChannelsFromDescriptors, opusPacketSamples, splitOpusPes } from './ts-opus.ts';

export const TsCodec = { H264: 'h264', H265: 'h265', AAC: 'aac', MP3: 'mp3', Opus: 'opus' } as const;
export type TsCodec = (typeof TsCodec)[keyof typeof TsCodec];

export type TsTrack = Readonly<{
  pid: number;
  codec: TsCodec;
  streamType: number;
  kind: 'video' | 'audio';
  /** Opus only: the channel count its extension descriptor announces (the other codecs say so in-band) */
  channels?: number;
}>;

export type TsAccessUnit = Readonly<{
  pid: number;
  codec: TsCodec;
  /** unwrapped 90 kHz timestamps (may exceed 2^33 after a wrap); DTS equals PTS when the PES has none */
  ptsTicks90k: number;
  dtsTicks90k: number;
  /** random_access_indicator of the adaptation field that started this PES */
  randomAccess: boolean;
  /** Annex B for video, ADTS frames for AAC, MPEG audio frames for MP3: the whole PES payload; one packet for Opus */
  data: Uint8Array;
  /** Opus only: the start_trim of its control header (samples at 48 kHz the decoder drops), 0 when absent */
  startTrimSamples?: number;
}>;

export type TsDemuxEvent =
  | { kind: 'tracks'; tracks: readonly TsTrack[] }
  | ({ kind: 'access-unit' } & TsAccessUnit)
  | { kind: 'continuity-gap'; pid: number; expected: number; received: number }
  | { kind: 'resync'; skippedBytes: number };

export type TsDemuxerOptions = {
  /** largest PES accepted (default 32 MiB) */
  maxPesBytes?: number;
  /** bytes without sync after which the input is declared not TS (default 10 packets) */
  maxJunkBytes?: number;
};

const CODEC_BY_STREAM_TYPE: Readonly<Record<number, TsCodec>> = {
  [TsStreamType.H264]: TsCodec.H264,
  [TsStreamType.H265]: TsCodec.H265,
  [TsStreamType.AacAdts]: TsCodec.AAC,
  [TsStreamType.Mpeg1Audio]: TsCodec.MP3,
  [TsStreamType.Mpeg2Audio]: TsCodec.MP3,
};
const NULL_PID = 0x1fff;
const OPUS_CLOCK_HZ = 48_000;
const TRANSPORT_ERROR = 0x80;
const PAYLOAD_UNIT_START = 0x40;
const AFC_PAYLOAD = 0x1;
const AFC_ADAPTATION = 0x2;
const ADAPTATION_DISCONTINUITY = 0x80;
const ADAPTATION_RANDOM_ACCESS = 0x40;
const MAX_ADAPTATION_LENGTH = 183;

type PesState = {
  track: TsTrack;
  lastCc: number | undefined;
  parts: Uint8Array[];
  bytes: number;
  /** total PES bytes when PES_packet_length is known */
  expected: number | undefined;
  /** PES_packet_length has been read (0, "unbounded", leaves `expected` undefined) */
  lengthRead: boolean;
  randomAccess: boolean;
  lastPts: number | undefined;
  lastDts: number | undefined;
};

export class TsDemuxer {
  private pending: Uint8Array = new Uint8Array(0);
  private inSync = true;
  private junk = 0;
  private readonly psi = new Map<number, PsiAssembler>([[TsPid.Pat, new PsiAssembler()]]);
  private readonly pmtPids = new Set<number>();
  private readonly psiCc = new Map<number, number>();
  private readonly streams = new Map<number, PesState>();
  private tracksKey = '';
  private readonly clock = new TimestampUnwrapper();
  private readonly maxPesBytes: number;
  private readonly maxJunkBytes: number;

  constructor(options: TsDemuxerOptions = {}) {
    this.maxPesBytes = options.maxPesBytes ?? 32 * 1024 * 1024;
    this.maxJunkBytes = options.maxJunkBytes ?? 10 * TS_PACKET_BYTES;
  }

  /** The tracks of the current PMT. */
  get tracks(): TsTrack[] {
    return [...this.streams.values()].map((s) => s.track);
  }

  push(bytes: Uint8Array): TsDemuxEvent[] {
    const out: TsDemuxEvent[] = [];
    let buf = bytes;
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + bytes.length);
      buf.set(this.pending);
      buf.set(bytes, this.pending.length);
    }
    let at = 0;
    while (buf.length - at >= TS_PACKET_BYTES) {
      if (buf[at] === TS_SYNC_BYTE && this.inSync) {
        this.packet(buf.subarray(at, at + TS_PACKET_BYTES), out);
        at += TS_PACKET_BYTES;
        continue;
      }
      // Out of sync: a candidate is a sync byte whose next packet starts with one too.
      if (buf.length - at < TS_PACKET_BYTES + 1) break;
      if (buf[at] === TS_SYNC_BYTE && buf[at + TS_PACKET_BYTES] === TS_SYNC_BYTE) {
        out.push({ kind: 'resync', skippedBytes: this.junk });
        this.junk = 0;
        this.inSync = true;
        continue;
      }
      this.inSync = false;
      at++;
      if (++this.junk > this.maxJunkBytes) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, `TS: no sync byte in ${this.junk} bytes`);
      }
    }
    this.pending = buf.slice(at);
    return out;
  }

  /** End of input (or of an HLS segment): emits every PES still being gathered. */
  flush(): TsDemuxEvent[] {
    const out: TsDemuxEvent[] = [];
    // A last packet after junk cannot be confirmed by the next one; take it if it is exactly one packet.
    if (!this.inSync && this.pending.length === TS_PACKET_BYTES && this.pending[0] === TS_SYNC_BYTE) {
      this.inSync = true;
      this.junk = 0;
      this.packet(this.pending, out);
    }
    this.pending = new Uint8Array(0);
    for (const state of this.streams.values()) this.emitPes(state, out);
    return out;
  }

  private packet(p: Uint8Array, out: TsDemuxEvent[]): void {
    if (p[1]! & TRANSPORT_ERROR) return;
    const pid = readUint16BE(p, 1) & 0x1fff;
    if (pid === NULL_PID) return;
    const unitStart = (p[1]! & PAYLOAD_UNIT_START) !== 0;
    const afc = (p[3]! >> 4) & 0x3;
    const cc = p[3]! & 0x0f;
    let payloadAt = 4;
    let discontinuity = false;
    let randomAccess = false;
    if (afc & AFC_ADAPTATION) {
      const length = p[4]!;
      const max = afc & AFC_PAYLOAD ? MAX_ADAPTATION_LENGTH - 1 : MAX_ADAPTATION_LENGTH;
      if (length > max) throw new ProtocolError(ProtocolErrorCode.Malformed, `TS: adaptation_field_length ${length}`);
      if (length > 0) {
        discontinuity = (p[5]! & ADAPTATION_DISCONTINUITY) !== 0;
        randomAccess = (p[5]! & ADAPTATION_RANDOM_ACCESS) !== 0;
      }
      payloadAt = 5 + length;
    }
    const hasPayload = (afc & AFC_PAYLOAD) !== 0 && payloadAt < TS_PACKET_BYTES;
    const payload = hasPayload ? p.subarray(payloadAt) : undefined;

    const assembler = this.psi.get(pid);
    if (assembler) {
      if (!payload) return;
      const last = this.psiCc.get(pid);
      this.psiCc.set(pid, cc);
      if (last === cc) return; // duplicate packet
      if (last !== undefined && !discontinuity && cc !== (last + 1) % CONTINUITY_COUNTER_MODULO) {
        out.push({ kind: 'continuity-gap', pid, expected: (last + 1) % CONTINUITY_COUNTER_MODULO, received: cc });
        assembler.reset();
        if (!unitStart) return;
      }
      for (const section of assembler.push(payload, unitStart)) this.section(pid, section, out);
      return;
    }
    const state = this.streams.get(pid);
    if (!state) return;
    if (afc & AFC_PAYLOAD) {
      const last = state.lastCc;
      if (last === cc && !discontinuity) return; // duplicate packet (§2.4.3.3)
      state.lastCc = cc;
      if (last !== undefined && !discontinuity && cc !== (last + 1) % CONTINUITY_COUNTER_MODULO) {
        out.push({ kind: 'continuity-gap', pid, expected: (last + 1) % CONTINUITY_COUNTER_MODULO, received: cc });
        this.dropPes(state); // the PES lost bytes: do not pass a corrupt access unit on
      }
    }
    if (!payload) return;
    if (unitStart) {
      this.emitPes(state, out);
      state.randomAccess = randomAccess;
      state.expected = undefined;
      state.lengthRead = false;
    } else if (state.bytes === 0) {
      return; // the middle of a PES whose start we did not see
    }
    this.appendPes(state, payload, out);
  }

  private appendPes(state: PesState, payload: Uint8Array, out: TsDemuxEvent[]): void {
    let chunk = payload;
    if (state.expected !== undefined) chunk = chunk.subarray(0, state.expected - state.bytes);
    if (state.bytes + chunk.length > this.maxPesBytes) {
      throw new ProtocolError(ProtocolErrorCode.TooLarge, `TS: PES on PID ${state.track.pid} over ${this.maxPesBytes} bytes`);
    }
    state.parts.push(chunk);
    state.bytes += chunk.length;
    // Read once: video PES mostly say 0 (unbounded), and joining the parts at every packet to
    // read it again copied each frame once per packet (quadratic in the frame's size).
    if (!state.lengthRead && state.bytes >= PES_FIXED_BYTES) {
      state.lengthRead = true;
      const length = (byteAt(state.parts, 4) << 8) | byteAt(state.parts, 5);
      if (length !== 0) {
        state.expected = PES_FIXED_BYTES + length;
        if (state.bytes > state.expected) {
          state.parts = [this.joinParts(state).subarray(0, state.expected)];
          state.bytes = state.expected;
        }
      }
    }
    if (state.expected !== undefined && state.bytes === state.expected) this.emitPes(state, out);
  }

  private joinParts(state: PesState): Uint8Array {
    if (state.parts.length === 1) return state.parts[0]!;
    const whole = new Uint8Array(state.bytes);
    let at = 0;
    for (const part of state.parts) {
      whole.set(part, at);
      at += part.length;
    }
    state.parts = [whole];
    return whole;
  }

  private dropPes(state: PesState): void {
    state.parts = [];
    state.bytes = 0;
    state.expected = undefined;
    state.lengthRead = false;
  }

  private emitPes(state: PesState, out: TsDemuxEvent[]): void {
    if (state.bytes === 0) return;
    const pes = this.joinParts(state);
    this.dropPes(state);
    if (pes.length < PES_MIN_HEADER_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, 'TS: PES shorter than its header');
    const header = parsePesHeader(pes);
    let pts = state.lastPts;
    let dts = state.lastDts;
    if (header.pts !== undefined && header.dts !== undefined) {
      dts = this.clock.advance(header.dts);
      pts = this.clock.unwrap(header.pts, dts);
    }
    if (pts === undefined || dts === undefined) return; // no timestamp yet: nothing to time it by
    state.lastPts = pts;
    state.lastDts = dts;
    const data = pes.subarray(header.headerBytes);
    if (data.length === 0) return;
    const { track } = state;
    if (track.codec === TsCodec.Opus) {
      this.emitOpus(track, pts, data, out);
      return;
    }
    out.push({
      kind: 'access-unit',
      pid: track.pid,
      codec: track.codec,
      ptsTicks90k: pts,
      dtsTicks90k: dts,
      randomAccess: state.randomAccess,
      data,
    });
  }

  /** One PES may hold several Opus packets: the PES timestamp is the first one's, the rest follow by duration. */
  private emitOpus(track: TsTrack, pts: number, data: Uint8Array, out: TsDemuxEvent[]): void {
    let at = pts;
    for (const packet of splitOpusPes(data)) {
      out.push({
        kind: 'access-unit',
        pid: track.pid,
        codec: track.codec,
        ptsTicks90k: at,
        dtsTicks90k: at,
        randomAccess: true,
        data: packet.data,
        startTrimSamples: packet.startTrimSamples,
      });
      at += Math.round((opusPacketSamples(packet.data) * MPEG_CLOCK_HZ) / OPUS_CLOCK_HZ);
    }
  }

  private section(pid: number, section: PsiSection, out: TsDemuxEvent[]): void {
    if (section.kind === 'pat' && pid === TsPid.Pat) {
      const pmtPid = section.pmtPids[0];
      if (pmtPid === undefined || this.pmtPids.has(pmtPid)) return;
      for (const old of this.pmtPids) this.psi.delete(old);
      this.pmtPids.clear();
      this.pmtPids.add(pmtPid);
      this.psi.set(pmtPid, new PsiAssembler());
      return;
    }
    if (section.kind !== 'pmt' || !this.pmtPids.has(pid)) return;
    const tracks: TsTrack[] = [];
    for (const entry of section.streams) {
      if (this.psi.has(entry.pid)) continue;
      if (entry.streamType === TsStreamType.PrivateData) {
        const channels = opusChannelsFromDescriptors(entry.descriptors);
        if (channels !== undefined) tracks.push({ pid: entry.pid, codec: TsCodec.Opus, streamType: entry.streamType, kind: 'audio', channels });
        continue;
      }
      const codec = CODEC_BY_STREAM_TYPE[entry.streamType];
      if (codec === undefined) continue;
      const kind = codec === TsCodec.H264 || codec === TsCodec.H265 ? 'video' : 'audio';
      tracks.push({ pid: entry.pid, codec, streamType: entry.streamType, kind });
    }
    const key = tracks.map((t) => `${t.pid}:${t.streamType}:${t.channels ?? ''}`).join(',');
    if (key === this.tracksKey) return;
    this.tracksKey = key;
    const previous = this.streams;
    const next = new Map<number, PesState>();
    for (const track of tracks) {
      const old = previous.get(track.pid);
      next.set(
        track.pid,
        old && old.track.streamType === track.streamType && old.track.channels === track.channels
          ? old
          : { track, lastCc: undefined, parts: [], bytes: 0, expected: undefined, lengthRead: false, randomAccess: false, lastPts: undefined, lastDts: undefined },
      );
    }
    previous.clear();
    for (const [key2, value] of next) previous.set(key2, value);
    out.push({ kind: 'tracks', tracks });
  }
}

/** The byte at `index` of the parts taken as one sequence (the caller knows it is there). */
function byteAt(parts: readonly Uint8Array[], index: number): number {
  let at = index;
  for (const part of parts) {
    if (at < part.length) return part[at]!;
    at -= part.length;
  }
  throw new RangeError(`byte ${index} is past the parts`);
}
