// AAC in ADTS (ISO/IEC 14496-3 §1.A.2.2, as MPEG-TS stream_type 0x0F carries it) to FLV AACAUDIODATA bodies
// (Adobe FLV spec v10.1, E.4.2.2): an AudioSpecificConfig sequence header (§1.6.2.1) then one raw frame per tag.
import { MEDIA_TIMESCALE } from '../media/clock.ts';
import { AAC_SAMPLE_RATES_HZ } from '../media/aac.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { sameBytes } from '../media/bytes.ts';
import { ticks90kToMs, type EncodedTag } from './encode-tag.ts';
import { AacPacketType, SoundFormat } from './flv-codes.ts';
import { FlvTagType } from './flv-tag-type.ts';

// These constants and AdtsFrame are alike in shape to the constants-then-Readonly-type openings of relay/rtsp-play-session.ts,
// relay/rtsp-client-connection.ts, vod/mp4-sample-table.ts, recorder/vod-library.ts, server/webrtc/whip-publisher.ts and
// control/services/login-rate-limiter.ts: declarations only, no shared logic.
/** SoundFormat AAC, SoundRate 44 kHz, 16-bit, stereo: the fixed first byte FLV requires for AAC */
export const AAC_SOUND_BYTE = (SoundFormat.Aac << 4) | (3 << 2) | (1 << 1) | 1;
export const AAC_SAMPLES_PER_FRAME = 1024;
const ADTS_MIN_HEADER_BYTES = 7;
const ADTS_CRC_BYTES = 2;
const MAX_ADTS_FRAME_BYTES = 0x1fff;

export type AdtsFrame = Readonly<{
  objectType: number;
  samplingFrequencyIndex: number;
  channelConfiguration: number;
  sampleRateHz: number;
  /** header + payload */
  frameBytes: number;
  /** raw_data_block bytes (after the header and optional CRC) */
  raw: Uint8Array;
}>;

export function isAdtsSync(b: Uint8Array, at: number): boolean {
  return b[at] === 0xff && (b[at + 1]! & 0xf6) === 0xf0;
}

/** Parses the ADTS frame at `at`; undefined when the buffer ends before the frame does. */
export function parseAdtsFrame(b: Uint8Array, at: number): AdtsFrame | undefined {
  if (b.length - at < ADTS_MIN_HEADER_BYTES) return undefined;
  if (!isAdtsSync(b, at)) throw new ProtocolError(ProtocolErrorCode.Malformed, 'ADTS: no syncword');
  const protectionAbsent = (b[at + 1]! & 1) === 1;
  const objectType = (b[at + 2]! >> 6) + 1;
  const samplingFrequencyIndex = (b[at + 2]! >> 2) & 0x0f;
  const channelConfiguration = ((b[at + 2]! & 1) << 2) | (b[at + 3]! >> 6);
  const frameBytes = ((b[at + 3]! & 3) << 11) | (b[at + 4]! << 3) | (b[at + 5]! >> 5);
  const headerBytes = ADTS_MIN_HEADER_BYTES + (protectionAbsent ? 0 : ADTS_CRC_BYTES);
  const sampleRateHz = AAC_SAMPLE_RATES_HZ[samplingFrequencyIndex];
  if (sampleRateHz === undefined) throw new ProtocolError(ProtocolErrorCode.Malformed, `ADTS: frequency index ${samplingFrequencyIndex}`);
  if (frameBytes <= headerBytes) throw new ProtocolError(ProtocolErrorCode.Malformed, `ADTS: frame_length ${frameBytes}`);
  if (b.length - at < frameBytes) return undefined;
  return {
    objectType,
    samplingFrequencyIndex,
    channelConfiguration,
    sampleRateHz,
    frameBytes,
    raw: b.subarray(at + headerBytes, at + frameBytes),
  };
}

/** The 2-byte AudioSpecificConfig an ADTS header describes. */
export function ascFromAdts(frame: Pick<AdtsFrame, 'objectType' | 'samplingFrequencyIndex' | 'channelConfiguration'>): Uint8Array {
  return Uint8Array.of(
    (frame.objectType << 3) | (frame.samplingFrequencyIndex >> 1),
    ((frame.samplingFrequencyIndex & 1) << 7) | (frame.channelConfiguration << 3),
  );
}

export function encodeAacSequenceHeaderBody(asc: Uint8Array): Uint8Array {
  return aacBody(AacPacketType.SequenceHeader, asc);
}

export function encodeAacRawBody(raw: Uint8Array): Uint8Array {
  return aacBody(AacPacketType.Raw, raw);
}

/** AACAUDIODATA: the fixed sound byte, the AACPacketType, then the payload. */
function aacBody(packetType: AacPacketType, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + payload.length);
  out[0] = AAC_SOUND_BYTE;
  out[1] = packetType;
  out.set(payload, 2);
  return out;
}

/**
 * ADTS PES payloads to FLV tags: the sequence header first and whenever the ASC changes, then one tag per ADTS frame,
 * the first at the PES PTS and each next one 1024 samples later. A frame cut by the PES end is finished by the next PES.
 */
export class AacTagEncoder {
  private rest: Uint8Array = new Uint8Array(0);
  private nextTicks = 0;
  private asc: Uint8Array | undefined;

  reset(): void {
    this.rest = new Uint8Array(0);
    this.asc = undefined;
  }

  encode(adts: Uint8Array, ptsTicks90k: number): EncodedTag[] {
    let buf = adts;
    if (this.rest.length > 0) {
      buf = new Uint8Array(this.rest.length + adts.length);
      buf.set(this.rest);
      buf.set(adts, this.rest.length);
    } else {
      this.nextTicks = ptsTicks90k;
    }
    const out: EncodedTag[] = [];
    let at = 0;
    while (at < buf.length) {
      if (!isAdtsSync(buf, at)) {
        if (buf.length - at < 2) break;
        at++; // skip junk up to the next syncword
        continue;
      }
      const frame = parseAdtsFrame(buf, at);
      if (!frame) break;
      at += frame.frameBytes;
      const asc = ascFromAdts(frame);
      const timestampMs = ticks90kToMs(this.nextTicks);
      if (!this.asc || !sameBytes(asc, this.asc)) {
        this.asc = asc;
        out.push({ type: FlvTagType.Audio, timestampMs, body: encodeAacSequenceHeaderBody(asc) });
      }
      out.push({ type: FlvTagType.Audio, timestampMs, body: encodeAacRawBody(frame.raw) });
      this.nextTicks += (AAC_SAMPLES_PER_FRAME * MEDIA_TIMESCALE) / frame.sampleRateHz;
    }
    this.rest = buf.slice(at);
    if (this.rest.length > MAX_ADTS_FRAME_BYTES) throw new ProtocolError(ProtocolErrorCode.Malformed, 'ADTS: frame too long');
    return out;
  }
}
