// An fMP4 recording file (ftyp + moov + moof + mdat, timeline from zero: segment-cutter.ts) as
// the two parts an HLS playlist names: the init (everything before the first moof) and the media
// (moof + mdat) with each track's tfdt moved to the file's wall-clock start, so consecutive files
// of one run sit end to end on one timeline (ISO/IEC 14496-12 §8.8.12). Pure: bytes in, bytes out.
import { boxes, parseFmp4Init, type Box } from '../remux/fmp4-demuxer.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type RecordedFmp4Parts = Readonly<{ init: Uint8Array; media: Uint8Array }>;

function fail(message: string): never {
  throw new ProtocolError(ProtocolErrorCode.Malformed, `recorded fMP4: ${message}`);
}

/** Splits a recording file at its first moof. */
export function splitRecordedFmp4(bytes: Uint8Array): RecordedFmp4Parts {
  const top = boxes(bytes, 0, bytes.length);
  const moof = top.find((b) => b.type === 'moof');
  if (!moof || !top.some((b) => b.type === 'moov')) fail('no moov or no moof');
  return { init: bytes.subarray(0, moof.start), media: bytes.subarray(moof.start) };
}

/**
 * The media part of a recording file, with every traf's baseMediaDecodeTime advanced by the
 * file's start (UNIX ms) in that track's timescale. A copy: the file's bytes are left as they are.
 */
export function placeRecordedFmp4(bytes: Uint8Array, startMs: number): Uint8Array {
  const { init, media } = splitRecordedFmp4(bytes);
  const timescales = new Map(parseFmp4Init(init).tracks.map((t) => [t.trackId, t.timescale]));
  const out = media.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const moof of boxes(out, 0, out.length)) {
    if (moof.type !== 'moof') continue;
    for (const traf of inside(out, moof, 'traf')) {
      const tfhd = inside(out, traf, 'tfhd')[0];
      const tfdt = inside(out, traf, 'tfdt')[0];
      if (!tfhd || !tfdt) fail('traf without tfhd or tfdt');
      const trackId = view.getUint32(tfhd.payload + 4);
      const timescale = timescales.get(trackId);
      if (timescale === undefined) fail(`traf of track ${trackId}, which the moov does not describe`);
      if (out[tfdt.payload] !== 1 || tfdt.end - tfdt.payload < 12) fail('tfdt is not version 1');
      const base = view.getBigUint64(tfdt.payload + 4);
      view.setBigUint64(tfdt.payload + 4, base + BigInt(Math.round((startMs * timescale) / 1000)));
    }
  }
  return out;
}

function inside(b: Uint8Array, parent: Box, type: string): Box[] {
  return boxes(b, parent.payload, parent.end).filter((x) => x.type === type);
}
