// Look-back and time-shift HLS from the recordings, on the engine's HTTP port beside live HLS:
// `index.m3u8?start_time=&end_time=|duration=` answers a VOD playlist of a recorded range,
// `index.m3u8?shifttime=` a live playlist trailing live (first a one-variant multivariant
// playlist that pins the session's anchor, as live HLS pins its session id), and `rec-*` URIs
// the recorded files (fMP4: init or placed fragment, recorded-fmp4.ts; TS: the file). A URI names
// a file only through the stream's index: no path from the request ever reaches the file system.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRangePlaylist, buildShiftPlaylist, parseRecordedUri } from '../../record/lookback-playlist.ts';
import { isLookbackParam, LookbackParam, parseLookbackQuery } from '../../record/lookback-query.ts';
import { placeRecordedFmp4, splitRecordedFmp4 } from '../../record/recorded-fmp4.ts';
import type { Logger } from '../../shared/logger.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';
import { appendQueryToUris, HlsContentType, type HlsResponder } from './hls-http.ts';
import type { StreamRecording } from '../../recorder/recording-manager.ts';

export interface RecordingSource {
  streamRecording(app: string, stream: string): Promise<StreamRecording | null>;
}

// Alike in shape to the control plane's Session record (documented fields): a different record.
export type LookbackHttpRequest = Readonly<{
  app: string;
  stream: string;
  file: string;
  search: URLSearchParams;
  /** the viewer's query (token, expiry), handed on to every URI of a playlist */
  uriQuery: string;
  nowMs: number;
}>;

const RECORDED_PREFIX = 'rec-';
const PLAYLIST_HEADERS = { 'Content-Type': HlsContentType.Playlist, 'Cache-Control': 'no-cache' };
const IMMUTABLE = 'public, max-age=86400, immutable';

/** Whether this HLS request is for the recordings rather than the live output. */
export function isLookbackRequest(file: string, search: URLSearchParams): boolean {
  if (file.startsWith(RECORDED_PREFIX)) return true;
  if (file !== 'index.m3u8') return false;
  for (const key of search.keys()) if (isLookbackParam(key)) return true;
  return false;
}

export async function serveLookback(source: RecordingSource, request: LookbackHttpRequest, respond: HlsResponder, log: Logger): Promise<Response> {
  const { app, stream, file } = request;
  const recording = await source.streamRecording(app, stream);
  if (file.startsWith(RECORDED_PREFIX)) return serveRecordedFile(recording, file, respond, log.child({ stream: `${app}/${stream}` }));
  const parsed = parseLookbackQuery(request.search);
  if (!parsed.ok) return text(respond, 400, `bad look-back request: ${parsed.reason}`);
  const lookback = parsed.request;
  if (!lookback) return text(respond, 404, 'not found');
  if (!recording) return text(respond, 404, `app '${app}' has no recording settings: nothing is recorded for '${app}/${stream}'`);
  const withQuery = (playlist: string): string => appendQueryToUris(playlist, request.uriQuery);
  if (lookback.kind === 'range') {
    const playlist = buildRangePlaylist(recording.segments, lookback.startMs, lookback.endMs);
    if (playlist === null) return text(respond, 404, `nothing of '${app}/${stream}' is recorded between ${lookback.startMs} and ${lookback.endMs} (UNIX ms)`);
    return respond(200, withQuery(playlist), PLAYLIST_HEADERS);
  }
  const shifted = buildShiftPlaylist(recording.segments, { nowMs: request.nowMs, shiftMs: lookback.shiftMs, anchorMs: lookback.anchorMs });
  if (shifted === null) return text(respond, 404, `nothing of '${app}/${stream}' is recorded ${lookback.shiftMs / 1000} s before now`);
  if (lookback.anchorMs !== null) return respond(200, withQuery(shifted.playlist), PLAYLIST_HEADERS);
  // The media playlist a player reloads carries its first segment's start: sequence numbers count from it.
  const params = new URLSearchParams(request.uriQuery);
  params.set(LookbackParam.ShiftTime, request.search.get(LookbackParam.ShiftTime)!);
  params.set(LookbackParam.Anchor, String(shifted.firstStartMs));
  const body = `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=${shifted.peakBitsPerSec}\n${file}?${params.toString()}\n`;
  return respond(200, body, { 'Content-Type': HlsContentType.Playlist, 'Cache-Control': 'private, no-store' });
}

async function serveRecordedFile(recording: StreamRecording | null, file: string, respond: HlsResponder, log: Logger): Promise<Response> {
  const uri = parseRecordedUri(file);
  const segment = uri && recording?.segments.find((s) => s.fileName === uri.fileName);
  if (!uri || !recording || !segment) return text(respond, 404, 'no such recording');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(recording.dir, segment.fileName));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return text(respond, 404, 'no such recording (deleted)');
    throw err;
  }
  try {
    if (segment.format === 'ts') {
      return uri.part === 'media' ? respond(200, bytes, { 'Content-Type': HlsContentType.Ts, 'Cache-Control': IMMUTABLE }) : text(respond, 404, 'no such recording');
    }
    const body = uri.part === 'init' ? splitRecordedFmp4(bytes).init : placeRecordedFmp4(bytes, segment.startMs);
    return respond(200, body, { 'Content-Type': HlsContentType.Mp4, 'Cache-Control': IMMUTABLE });
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    log.warn('recording file cannot be served', { file: segment.fileName, reason: err.message });
    return text(respond, 500, 'the recording file is damaged');
  }
}

function text(respond: HlsResponder, status: number, message: string): Response {
  return respond(status, message + '\n', { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
}
