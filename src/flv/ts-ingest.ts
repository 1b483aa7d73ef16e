// A live MPEG-TS byte stream (SRT, UDP) to FLV tags for the hub: the incremental TsDemuxer,
// then one FLV encoder per elementary stream (H.264, H.265, AAC, MPEG audio, Opus). Pure: bytes in,
// tags out, on the source's own 90 kHz timeline (the hub's normalizer rebases it). In flv/
// beside encode-fmp4.ts: flv/ is where demuxed remux output becomes tags.
import { ElementaryTagEncoder } from './encode-elementary.ts';
import type { EncodedTag } from './encode-tag.ts';
import { TsDemuxer, type TsAccessUnit, type TsTrack } from '../remux/ts-demuxer.ts';

export type TsIngestOutput = { tags: EncodedTag[]; continuityGaps: number; tracksChanged?: readonly TsTrack[] };

/**
 * What viewers of an Opus track get, said once per publisher: Opus travels through the hub as Enhanced RTMP
 * audio, which RTMP/FLV players without Enhanced RTMP audio (ffmpeg before 6.1, flv.js) skip.
 */
export const OPUS_VIEWERS_NOTE =
  'Opus audio: SRT/UDP viewers get it in MPEG-TS; RTMP and HTTP-FLV viewers as Enhanced RTMP audio (legacy players play the video only); HLS over MPEG-TS is not offered';

/** The note to log for these tracks, if any. */
export function tracksNote(tracks: readonly TsTrack[]): string | undefined {
  return tracks.some((t) => t.codec === 'opus') ? OPUS_VIEWERS_NOTE : undefined;
}

export class TsIngest {
  private readonly demuxer: TsDemuxer;
  private readonly encoder = new ElementaryTagEncoder();

  constructor(options: { maxPesBytes?: number } = {}) {
    this.demuxer = new TsDemuxer(options.maxPesBytes === undefined ? {} : { maxPesBytes: options.maxPesBytes });
  }

  /** Any split of the same bytes yields the same tags; a bad stream throws ProtocolError. */
  push(bytes: Uint8Array): TsIngestOutput {
    const out: TsIngestOutput = { tags: [], continuityGaps: 0 };
    for (const event of this.demuxer.push(bytes)) {
      if (event.kind === 'tracks') {
        out.tracksChanged = event.tracks;
        this.configure(event.tracks);
      }
      else if (event.kind === 'continuity-gap') out.continuityGaps++;
      else if (event.kind === 'access-unit') {
        for (const tag of this.encode(event)) out.tags.push(tag);
      }
    }
    return out;
  }

  /** The stream ended: what the demuxer still holds (a last PES without a successor). */
  flush(): EncodedTag[] {
    const tags: EncodedTag[] = [];
    for (const event of this.demuxer.flush()) {
      if (event.kind === 'access-unit') tags.push(...this.encode(event));
    }
    return tags;
  }

  private configure(tracks: readonly TsTrack[]): void {
    for (const track of tracks) if (track.channels !== undefined) this.encoder.configureOpus(track.channels);
  }

  private encode(unit: TsAccessUnit): EncodedTag[] {
    return this.encoder.encode(unit.codec, unit.dtsTicks90k, unit.ptsTicks90k, unit.data, unit.startTrimSamples);
  }
}
