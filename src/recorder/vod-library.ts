// The VOD media folder (--vod-dir): maps a URL path to a file inside the folder and reads it once
// into what the VOD routes serve (init segment, segment plan), kept in a small cache keyed by the
// file's identity (path, size, mtime). A path may not climb out of the folder: no '.', '..', hidden
// or empty components, and the real path (symlinks resolved) must still be inside the folder.
// A file that is not a usable MP4 is remembered with its reason and logged once, not per request.
import { open, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { concatBytes } from '../media/bytes.ts';
import { Fmp4Muxer } from '../remux/fmp4-muxer.ts';
import { parseFmp4Init, parseFmp4Segment } from '../remux/fmp4-demuxer.ts';
import type { Logger } from '../shared/logger.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import { childOf, readBoxHeader } from '../vod/mp4-box.ts';
import { type Mp4Movie, parseMp4Movie } from '../vod/mp4-movie.ts';
import { planSegments, type VodSegment } from '../vod/vod-segments.ts';

export const VOD_EXTENSIONS = ['.mp4', '.m4v', '.mov'] as const;
const MIB = 1024 * 1024;
/** a file with more top-level boxes before its moov is not one we read */
const MAX_TOP_LEVEL_BOXES = 10_000;

// Alike in shape to other Readonly records after a constant (login backoff, ADTS frame, RTSP client, WHIP init, sample table): only the layout is shared.
export type VodLibraryOptions = Readonly<{
  /** segments are cut at the first keyframe at or after this many seconds */
  segmentTargetSec: number;
  /** a moov larger than this is refused (a 10-hour 60 fps movie's tables are well under it) */
  maxMoovBytes: number;
  /** a fragmented file (a recording segment) is read whole to time it: larger ones are refused */
  maxFragmentedBytes: number;
  /** files whose tables stay in memory */
  cacheEntries: number;
}>;

export const DEFAULT_VOD_OPTIONS: VodLibraryOptions = { segmentTargetSec: 4, maxMoovBytes: 64 * MIB, maxFragmentedBytes: 256 * MIB, cacheEntries: 32 };

export type VodFile = Readonly<{
  realPath: string;
  sizeBytes: number;
  movie: Mp4Movie;
  /** the init segment (ftyp + moov) the HLS segments need */
  init: Uint8Array;
  segments: readonly VodSegment[];
  /** plain files: the muxer that wraps a segment's samples as a fragment */
  muxer: Fmp4Muxer | null;
  /** fragmented files: their own fragments, [start, end) of the file, are the one segment */
  media: Readonly<{ start: number; end: number }> | null;
}>;

export type VodLookup = Readonly<{ ok: true; file: VodFile }> | Readonly<{ ok: false; status: 404 | 422; reason: string }>;

/** URL path components as a path in the folder, or why not (always 404: nothing says what exists). */
export function checkVodPath(parts: readonly string[]): string | null {
  if (parts.length === 0) return 'no file named';
  for (const part of parts) {
    if (part.length === 0 || part.startsWith('.') || /[/\\\0]/.test(part)) return 'not a path inside the media folder';
  }
  const name = parts[parts.length - 1]!.toLowerCase();
  if (!VOD_EXTENSIONS.some((ext) => name.endsWith(ext))) return `only ${VOD_EXTENSIONS.join(', ')} files are served`;
  return null;
}

class NotMp4 extends Error {}

export class VodLibrary {
  private rootReal: Promise<string | null> | null = null;
  private readonly cache = new Map<string, VodFile>();
  /** identity -> reason, for files already found unusable (logged once) */
  private readonly refused = new Map<string, string>();
  /** files being read now, by identity */
  private readonly reading = new Map<string, Promise<VodLookup>>();

  constructor(
    readonly root: string,
    private readonly log: Logger,
    private readonly options: VodLibraryOptions = DEFAULT_VOD_OPTIONS,
  ) {}

  private async realRoot(): Promise<string | null> {
    this.rootReal ??= realpath(this.root).catch((err: unknown) => {
      this.log.warn('VOD folder cannot be read: nothing is served from it', { dir: this.root, reason: (err as Error).message });
      this.rootReal = null; // asked again next time: it may be created later
      return null;
    });
    return this.rootReal;
  }

  async lookup(parts: readonly string[]): Promise<VodLookup> {
    const bad = checkVodPath(parts);
    if (bad !== null) return { ok: false, status: 404, reason: bad };
    const root = await this.realRoot();
    if (root === null) return { ok: false, status: 404, reason: 'no such file' };
    let real: string;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      real = await realpath(join(root, ...parts));
      if (!real.startsWith(root + sep)) return { ok: false, status: 404, reason: 'no such file' };
      info = await stat(real);
    } catch {
      return { ok: false, status: 404, reason: 'no such file' };
    }
    if (!info.isFile()) return { ok: false, status: 404, reason: 'no such file' };
    const identity = `${real}\0${info.size}\0${info.mtimeMs}`;
    const cached = this.cache.get(identity);
    if (cached) {
      this.cache.delete(identity); // most recently used last
      this.cache.set(identity, cached);
      return { ok: true, file: cached };
    }
    const refusal = this.refused.get(identity);
    if (refusal !== undefined) return { ok: false, status: 422, reason: refusal };
    // players ask for the playlist, the init and the first segments at once: the file is read once
    let reading = this.reading.get(identity);
    if (!reading) {
      reading = this.load(real, info.size, identity, parts).finally(() => this.reading.delete(identity));
      this.reading.set(identity, reading);
    }
    return reading;
  }

  private async load(real: string, sizeBytes: number, identity: string, parts: readonly string[]): Promise<VodLookup> {
    try {
      const file = await this.read(real, sizeBytes);
      this.remember(this.cache, identity, file);
      return { ok: true, file };
    } catch (err) {
      if (!isProtocolError(err) && !(err instanceof NotMp4)) throw err;
      const reason = err.message;
      this.remember(this.refused, identity, reason);
      this.log.warn('VOD file is not a usable MP4', { file: parts.join('/'), reason });
      return { ok: false, status: 422, reason };
    }
  }

  private remember<T>(map: Map<string, T>, key: string, value: T): void {
    map.set(key, value);
    while (map.size > this.options.cacheEntries) map.delete(map.keys().next().value!);
  }

  /** Top-level boxes: ftyp and moov are read, the first moof marks a fragmented file's media. */
  private async read(path: string, sizeBytes: number): Promise<VodFile> {
    const handle = await open(path, 'r');
    try {
      const header = new Uint8Array(16);
      const boxes: Array<{ type: string; start: number; end: number }> = [];
      let firstMoof = -1;
      let moov: Uint8Array | null = null;
      let fragmented = false;
      for (let at = 0; at < sizeBytes && boxes.length < MAX_TOP_LEVEL_BOXES; ) {
        const { bytesRead } = await handle.read(header, 0, 16, at);
        const box = readBoxHeader(header.subarray(0, bytesRead), 0, sizeBytes - at);
        const size = box.end - box.start;
        boxes.push({ type: box.type, start: at, end: at + size });
        if (box.type === 'moof') {
          firstMoof = at;
          break;
        }
        if (box.type === 'moov' && moov === null) {
          if (size > this.options.maxMoovBytes) throw new NotMp4(`MP4: moov of ${size} bytes is over the ${this.options.maxMoovBytes}-byte limit`);
          moov = await readAt(handle, at, size);
          const root = readBoxHeader(moov, 0, size);
          fragmented = childOf(moov, root, 'mvex') !== undefined;
          if (!fragmented) break;
        }
        at += size;
      }
      if (moov === null) throw new NotMp4(boxes[0]?.type === 'ftyp' ? 'MP4: no moov box' : 'not an MP4 file (no moov box)');
      const movie = parseMp4Movie(moov, sizeBytes);
      if (!movie.fragmented) {
        const muxer = new Fmp4Muxer(movie.tracks.map((t) => t.track));
        const init = muxer.initSegment();
        return { realPath: path, sizeBytes, movie, init, segments: planSegments(movie, this.options.segmentTargetSec), muxer, media: null };
      }
      if (firstMoof < 0) throw new NotMp4('MP4: fragmented file without movie fragments');
      const mediaBytes = sizeBytes - firstMoof;
      if (sizeBytes > this.options.maxFragmentedBytes) throw new NotMp4(`MP4: fragmented file of ${sizeBytes} bytes is over the ${this.options.maxFragmentedBytes}-byte limit`);
      const ftyp = boxes.find((b) => b.type === 'ftyp');
      const init = ftyp ? concatBytes([await readAt(handle, ftyp.start, ftyp.end - ftyp.start), moov]) : moov;
      const durationSec = fragmentsDuration(init, await readAt(handle, firstMoof, mediaBytes));
      return {
        realPath: path,
        sizeBytes,
        movie,
        init,
        segments: [{ startSec: 0, durationSec, ranges: [] }],
        muxer: null,
        media: { start: firstMoof, end: sizeBytes },
      };
    } finally {
      await handle.close();
    }
  }
}

async function readAt(handle: Awaited<ReturnType<typeof open>>, at: number, size: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  const { bytesRead } = await handle.read(bytes, 0, size, at);
  if (bytesRead !== size) throw new NotMp4(`MP4: file ends inside a box at ${at}`);
  return bytes;
}

/** The longest track's span over a fragmented file's fragments, in seconds. */
function fragmentsDuration(init: Uint8Array, media: Uint8Array): number {
  const parsed = parseFmp4Init(init);
  const nextDts = new Map<number, number>();
  const frames = parseFmp4Segment(media, parsed, nextDts);
  let longest = 0;
  for (const track of parsed.tracks) {
    const first = frames.find((f) => f.trackId === track.trackId);
    const end = nextDts.get(track.trackId);
    if (first && end !== undefined) longest = Math.max(longest, (end - first.dts) / track.timescale);
  }
  if (longest <= 0) throw new NotMp4('MP4: the movie fragments hold no samples');
  return longest;
}
