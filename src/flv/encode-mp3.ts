// MPEG-1/2/2.5 audio frames (ISO/IEC 11172-3 §2.4.1.3, 13818-3 §2.4.1.3; MPEG-TS stream_type 0x03/0x04) to legacy
// FLV MP3 AUDIODATA bodies (Adobe FLV spec v10.1, E.4.2.1): one tag per frame.
import { MEDIA_TIMESCALE } from '../media/clock.ts';
import { ticks90kToMs, type EncodedTag } from './encode-tag.ts';
import { SoundFormat } from './flv-codes.ts';
import { FlvTagType } from './flv-tag-type.ts';

const HEADER_BYTES = 4;
const VersionId = { Mpeg2_5: 0, Mpeg2: 2, Mpeg1: 3 } as const;
const Layer = { III: 1, II: 2, I: 3 } as const;
const MONO = 3;
const BITRATES_KBPS: Readonly<Record<string, readonly number[]>> = {
  '1-3': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-1': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-3': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-1': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES_MPEG1 = [44100, 48000, 32000] as const;

export type MpegAudioHeader = Readonly<{ sampleRateHz: number; channels: number; samples: number; frameBytes: number }>;

/** The MPEG audio frame header at `at`, or undefined when it is not one (or free format). */
export function parseMpegAudioHeader(b: Uint8Array, at: number): MpegAudioHeader | undefined {
  if (b.length - at < HEADER_BYTES || b[at] !== 0xff || (b[at + 1]! & 0xe0) !== 0xe0) return undefined;
  const version = (b[at + 1]! >> 3) & 3;
  const layer = (b[at + 1]! >> 1) & 3;
  const bitrateIndex = b[at + 2]! >> 4;
  const rateIndex = (b[at + 2]! >> 2) & 3;
  const padding = (b[at + 2]! >> 1) & 1;
  if (version === 1 || layer === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const mpeg1 = version === VersionId.Mpeg1;
  const kbps = BITRATES_KBPS[`${mpeg1 ? 1 : 2}-${layer}`]![bitrateIndex]!;
  const sampleRateHz = SAMPLE_RATES_MPEG1[rateIndex]! / (mpeg1 ? 1 : version === VersionId.Mpeg2 ? 2 : 4);
  const channels = b[at + 3]! >> 6 === MONO ? 1 : 2;
  let samples: number;
  let frameBytes: number;
  if (layer === Layer.I) {
    samples = 384;
    frameBytes = (Math.floor((12 * kbps * 1000) / sampleRateHz) + padding) * 4;
  } else {
    samples = layer === Layer.III && !mpeg1 ? 576 : 1152;
    frameBytes = Math.floor(((samples / 8) * kbps * 1000) / sampleRateHz) + padding;
  }
  return { sampleRateHz, channels, samples, frameBytes };
}

/** The legacy AUDIODATA first byte for MP3 at this rate and channel count. */
export function mp3SoundByte(sampleRateHz: number, channels: number): number {
  const format = sampleRateHz === 8000 ? SoundFormat.Mp3_8k : SoundFormat.Mp3;
  const rate = sampleRateHz >= 32000 ? 3 : sampleRateHz >= 16000 ? 2 : 1;
  return (format << 4) | (rate << 2) | (1 << 1) | (channels === 1 ? 0 : 1);
}

export function encodeMp3Body(soundByte: number, frames: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + frames.length);
  out[0] = soundByte;
  out.set(frames, 1);
  return out;
}

/** MPEG audio PES payloads to FLV tags, one per frame, timed from the PES PTS by each frame's sample count. */
export class Mp3TagEncoder {
  private soundByte = mp3SoundByte(44100, 2);

  reset(): void {}

  encode(data: Uint8Array, ptsTicks90k: number): EncodedTag[] {
    const out: EncodedTag[] = [];
    let ticks = ptsTicks90k;
    let at = 0;
    while (at < data.length) {
      const header = parseMpegAudioHeader(data, at);
      if (!header || header.frameBytes < HEADER_BYTES || at + header.frameBytes > data.length) {
        // Free format, junk or a frame cut by the PES end: pass the rest on as it is.
        out.push({ type: FlvTagType.Audio, timestampMs: ticks90kToMs(ticks), body: encodeMp3Body(this.soundByte, data.subarray(at)) });
        break;
      }
      this.soundByte = mp3SoundByte(header.sampleRateHz, header.channels);
      const frame = data.subarray(at, at + header.frameBytes);
      out.push({ type: FlvTagType.Audio, timestampMs: ticks90kToMs(ticks), body: encodeMp3Body(this.soundByte, frame) });
      ticks += (header.samples * MEDIA_TIMESCALE) / header.sampleRateHz;
      at += header.frameBytes;
    }
    return out;
  }
}
