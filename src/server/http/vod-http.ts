// VOD routes of the engine's HTTP listener (--vod-dir): /vod/{path} is the MP4 file itself with Range
// requests (progressive download), /vod/{path}/index.m3u8 an HLS VOD playlist of fMP4 segments cut from
// its sample tables on request (init.mp4, seg-N.m4s), nothing transcoded.
// Admission: a file's first folder is its app and the next path component its stream, admitted as an
// HLS viewer of that app and stream would be (a token in the query goes on every playlist URI); a file
// outside an app's folder is not served.
import type { Logger } from '../../shared/logger.ts';
import { isProtocolError, ProtocolError, ProtocolErrorCode } from '../../shared/protocol-error.ts';
import { parseSegmentUri, rangeByteSpan, segmentFrames, VOD_INIT_URI, writeVodPlaylist } from '../../vod/vod-segments.ts';
import type { Admission } from '../admission.ts';
import type { EngineCounters } from '../engine-context.ts';
import { viewerQuery } from './hls-http.ts';
import { parseRange } from './http-range.ts';
import { VOD_EXTENSIONS, type VodFile, type VodLibrary } from '../../recorder/vod-library.ts';

export const VOD_PREFIX = '/vod/';
const PLAYLIST = 'index.m3u8';
/** one track's samples of one segment may be spread over this much of the file */
const MAX_SEGMENT_SPAN_BYTES = 64 * 1024 * 1024;

type Body = ConstructorParameters<typeof Response>[0];
type Answer = (status: number, body: Body, headers: Record<string, string>) => Response;

export type VodRequest = Readonly<{ req: Request; pathname: string; search: URLSearchParams; clientAddress: string }>;

/** The path components of a VOD URL: the file's, and what is asked of it ('' for the file itself). */
export function parseVodPath(pathname: string): { file: string[]; resource: string } | null {
  if (!pathname.startsWith(VOD_PREFIX)) return null;
  const parts: string[] = [];
  for (const raw of pathname.slice(VOD_PREFIX.length).split('/')) {
    try {
      parts.push(decodeURIComponent(raw));
    } catch {
      return null;
    }
  }
  const at = parts.findIndex((p) => VOD_EXTENSIONS.some((ext) => p.toLowerCase().endsWith(ext)));
  if (at < 0 || parts.length - at > 2) return null;
  return { file: parts.slice(0, at + 1), resource: parts[at + 1] ?? '' };
}

export class VodHttp {
  constructor(
    private readonly library: VodLibrary,
    private readonly admission: Admission,
    private readonly counters: EngineCounters,
    private readonly log: Logger,
  ) {}

  async serve(request: VodRequest, cors: Record<string, string>): Promise<Response> {
    const { req, search, clientAddress } = request;
    const head = req.method === 'HEAD';
    const answer: Answer = (status, body, headers) => {
      const text = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' };
      return new Response(head ? null : body, { status, headers: { ...cors, ...(typeof body === 'string' && status >= 400 ? text : {}), ...headers } });
    };
    const fail = (status: number, reason: string): Response => answer(status, `${reason}\n`, {});
    const route = parseVodPath(request.pathname);
    if (!route) return fail(404, 'not found');
    if (route.file.length < 2) return fail(404, 'VOD files are served from folders named after apps: /vod/{app}/...');
    const [app, stream] = route.file as [string, string];
    const query = viewerQuery(search);
    const decision = await this.admission.decide({ action: 'play', protocol: 'hls', app, stream, query, clientAddress });
    if (!decision.allow) {
      this.log.info('VOD play refused', { peer: clientAddress, file: route.file.join('/'), reason: decision.reason });
      return fail(decision.reason.startsWith('unknown app') ? 404 : 403, decision.reason);
    }
    const found = await this.library.lookup(route.file);
    if (!found.ok) return fail(found.status, found.status === 422 ? `not a playable MP4: ${found.reason}` : found.reason);
    const file = found.file;
    const sent = (bytes: number): void => {
      if (!head) this.counters.bytesOut += bytes;
    };
    if (route.resource === '') return this.progressive(req, file, answer, sent);
    if (route.resource === PLAYLIST) {
      const playlist = writeVodPlaylist(file.segments, query);
      sent(Buffer.byteLength(playlist));
      return answer(200, playlist, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'no-cache' });
    }
    if (route.resource === VOD_INIT_URI) {
      sent(file.init.byteLength);
      return answer(200, file.init, { 'Content-Type': 'video/mp4', 'Cache-Control': 'no-cache' });
    }
    const index = parseSegmentUri(route.resource);
    if (index === null || index >= file.segments.length) return fail(404, 'no such segment');
    try {
      const body = await this.segment(file, index);
      const size = body instanceof Blob ? body.size : body.byteLength;
      sent(size);
      return answer(200, body, { 'Content-Type': 'video/mp4', 'Cache-Control': 'no-cache' });
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.log.warn('VOD segment cannot be made', { file: route.file.join('/'), segment: index, reason: err.message });
      return fail(422, `segment ${index} cannot be made: ${err.message}`);
    }
  }

  /** The file itself: whole (200) or one byte range (206; 416 past the end). */
  private progressive(req: Request, file: VodFile, answer: Answer, sent: (bytes: number) => void): Response {
    const common = {
      'Accept-Ranges': 'bytes',
      'Content-Type': 'video/mp4',
      'Cache-Control': 'no-cache',
      'Access-Control-Expose-Headers': 'Content-Length, Content-Type, Content-Range, Accept-Ranges',
    };
    const range = parseRange(req.headers.get('range'), file.sizeBytes);
    if (range.kind === 'unsatisfiable') return answer(416, null, { ...common, 'Content-Range': `bytes */${file.sizeBytes}` });
    const whole = Bun.file(file.realPath);
    if (range.kind === 'whole') {
      sent(file.sizeBytes);
      return answer(200, whole.slice(0, file.sizeBytes), { ...common, 'Content-Length': String(file.sizeBytes) });
    }
    const length = range.end - range.start + 1;
    sent(length);
    return answer(206, whole.slice(range.start, range.end + 1), {
      ...common,
      'Content-Range': `bytes ${range.start}-${range.end}/${file.sizeBytes}`,
      'Content-Length': String(length),
    });
  }

  /** Segment `index`: a fragment made of the samples (plain files), or the file's own fragments. */
  private async segment(file: VodFile, index: number): Promise<Uint8Array | Blob> {
    if (file.media) return Bun.file(file.realPath).slice(file.media.start, file.media.end);
    const segment = file.segments[index]!;
    const spans: Array<{ start: number; bytes: Uint8Array }> = [];
    for (const range of segment.ranges) {
      const span = rangeByteSpan(file.movie, range);
      if (span.end - span.start > MAX_SEGMENT_SPAN_BYTES) {
        throw new ProtocolError(ProtocolErrorCode.TooLarge, `one track's samples are spread over ${span.end - span.start} bytes of the file`);
      }
      const bytes = new Uint8Array(await Bun.file(file.realPath).slice(span.start, span.end).arrayBuffer());
      if (bytes.byteLength !== span.end - span.start) throw new ProtocolError(ProtocolErrorCode.Truncated, 'the file changed while it was read');
      spans.push({ start: span.start, bytes });
    }
    const read = (offset: number, size: number): Uint8Array => {
      const span = spans.find((s) => offset >= s.start && offset + size <= s.start + s.bytes.byteLength)!;
      return span.bytes.subarray(offset - span.start, offset - span.start + size);
    };
    return file.muxer!.fragment(index + 1, segmentFrames(file.movie, segment, read));
  }
}
