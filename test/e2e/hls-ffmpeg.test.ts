// End-to-end HLS and LL-HLS: ffmpeg publishes over RTMP; ffmpeg reads the playlists back and
// decodes them; playlists, cache headers and stream life (discontinuity, end) are checked.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, killAll, probe, publishPattern, startTestEngine, waitFor, type TestEngine } from './harness.ts';
import { joinHls, withQuery } from './hls-session.ts';
import { connectRtmp } from './rtmp-test-client.ts';

let engine: TestEngine;
beforeAll(() => {
  // these tests wait for segments before they play: every stream is muxed from its start
  engine = startTestEngine({ waitForPublisherMs: 1500, hls: { alwaysRemux: true } });
});
afterAll(async () => {
  await killAll();
  engine.stop();
});

async function text(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

function segmentsOf(playlist: string): Array<{ duration: number; uri: string }> {
  const lines = playlist.split('\n');
  const out: Array<{ duration: number; uri: string }> = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('#EXTINF:')) return;
    const uri = lines.slice(i + 1).find((l) => l && !l.startsWith('#'))!;
    out.push({ duration: Number(line.slice(8).split(',')[0]), uri });
  });
  return out;
}

/**
 * Where a live LL-HLS playlist stands: the media sequence number of the segment being written
 * (the one after the last complete segment) and how many of its parts are listed.
 */
function livePosition(playlist: string): { msn: number; parts: number } {
  const lines = playlist.split('\n');
  const first = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)?.[1] ?? NaN);
  const skipped = Number(/#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)/.exec(playlist)?.[1] ?? 0);
  const complete = lines.filter((l) => l.startsWith('#EXTINF:')).length;
  // parts listed before a segment's URI belong to that segment: the open one's come after the last URI
  const lastUri = lines.findLastIndex((l) => l.length > 0 && !l.startsWith('#'));
  const trailingParts = lines.slice(lastUri + 1).filter((l) => l.startsWith('#EXT-X-PART:')).length;
  expect(Number.isInteger(first)).toBe(true);
  return { msn: first + skipped + complete, parts: trailingParts };
}

/** Whether part `part` of segment `msn` is listed (a later segment listed implies it). */
function hasListedPart(playlist: string, msn: number, part: number): boolean {
  const at = livePosition(playlist);
  return at.msn > msn || (at.msn === msn && at.parts > part);
}

/** The complete segments of an LL-HLS playlist that list their parts: segment URI and part URIs in order. */
function segmentsWithParts(playlist: string): Array<{ uri: string; parts: string[] }> {
  const out: Array<{ uri: string; parts: string[] }> = [];
  let parts: string[] = [];
  for (const line of playlist.split('\n')) {
    const part = /^#EXT-X-PART:.*URI="([^"]+)"/.exec(line);
    if (part) parts.push(part[1]!);
    else if (line.length > 0 && !line.startsWith('#')) {
      if (parts.length > 0) out.push({ uri: line, parts });
      parts = [];
    }
  }
  return out;
}

async function bytesOf(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe('HLS from an RTMP publish', () => {
  test('classic HLS: TS segments cut on keyframes, decodable by ffmpeg, immutable and CORS', async () => {
    const path = 'live/hls1';
    const publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 20, bFrames: 2, gop: 25 });
    const url = engine.httpUrl(`${path}/index.m3u8`);
    expect(await waitFor(() => (engine.context.hls.find(path)?.ts?.segments.length ?? 0) >= 3, 15_000)).toBe(true);
    const playlist = await text(await joinHls(url));
    expect(playlist.status).toBe(200);
    expect(playlist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(playlist.headers.get('access-control-allow-origin')).toBe('*');
    expect(playlist.headers.get('cache-control')).toBe('no-cache');
    expect(playlist.body).toContain('#EXT-X-TARGETDURATION:2');
    const segments = segmentsOf(playlist.body);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    for (const s of segments) expect(Math.abs(s.duration - 2)).toBeLessThan(0.05); // 1 s GOP, 2 s target
    const segment = await fetch(engine.httpUrl(`${path}/${segments[0]!.uri}`));
    expect(segment.headers.get('content-type')).toBe('video/mp2t');
    expect(segment.headers.get('cache-control')).toContain('immutable');
    const bytes = new Uint8Array(await segment.arrayBuffer());
    expect(bytes[0]).toBe(0x47);
    expect(bytes.byteLength % 188).toBe(0);

    const probed = await probe(url);
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const decoded = await decode(url, 3);
    expect(decoded.stderr).toBe('');
    expect(decoded.exitCode).toBe(0);
    await publisher.stop();
  });

  test('LL-HLS: fMP4 parts, blocking reload and delta updates; ffmpeg decodes it', async () => {
    const path = 'live/ll1';
    const publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 40, bFrames: 0, gop: 25 });
    const ll = () => engine.context.hls.find(path)?.ll;
    expect(await waitFor(() => (ll()?.segments.length ?? 0) >= 2, 15_000)).toBe(true);
    const url = engine.httpUrl(`${path}/ll.m3u8`);
    const media = await joinHls(url);
    const playlist = await text(media);
    expect(playlist.status).toBe(200);
    for (const tag of ['#EXT-X-PART-INF:PART-TARGET=', '#EXT-X-SERVER-CONTROL:', 'CAN-BLOCK-RELOAD=YES', 'PART-HOLD-BACK=', '#EXT-X-PART:', '#EXT-X-PRELOAD-HINT:TYPE=PART', '#EXT-X-PROGRAM-DATE-TIME:', '#EXT-X-MAP:URI=']) {
      expect(playlist.body).toContain(tag);
    }
    // every part is at most the part target
    const target = Number(/PART-TARGET=([\d.]+)/.exec(playlist.body)![1]);
    for (const m of playlist.body.matchAll(/#EXT-X-PART:DURATION=([\d.]+)/g)) expect(Number(m[1])).toBeLessThanOrEqual(target);

    // blocking reload: ask for the part after the newest one; it is answered once it exists,
    // so the answer lists it as a part (not only as the preload hint of a playlist that did not wait)
    const variant = ll()!;
    const { msn: nextMsn, parts: nextPart } = livePosition((await text(media)).body);
    const blocked = await text(withQuery(media, `_HLS_msn=${nextMsn}&_HLS_part=${nextPart}`));
    expect(blocked.status).toBe(200);
    expect(hasListedPart(blocked.body, nextMsn, nextPart)).toBe(true);

    // the preload-hinted part is served as soon as it exists
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(blocked.body)![1]!;
    const hinted = await fetch(engine.httpUrl(`${path}/${hint}`));
    expect(hinted.status).toBe(200);
    expect(hinted.headers.get('cache-control')).toContain('immutable');

    const tooFar = await fetch(`${url}?_HLS_msn=${nextMsn + 50}`);
    expect(tooFar.status).toBe(400);

    // wait for a longer window, then ask for a delta update
    expect(await waitFor(() => variant.segments.length >= 9, 25_000)).toBe(true);
    const delta = await text(withQuery(media, '_HLS_skip=YES'));
    expect(delta.status).toBe(200);
    expect(delta.body).toContain('#EXT-X-SKIP:SKIPPED-SEGMENTS=');

    const decoded = await decode(url, 3);
    expect(decoded.stderr).toBe('');
    expect(decoded.exitCode).toBe(0);

    // a complete segment is its parts back to back, byte for byte, as served over HTTP
    const listed = await text(media);
    const withParts = segmentsWithParts(listed.body);
    expect(withParts.length).toBeGreaterThanOrEqual(1);
    const { uri, parts } = withParts[0]!;
    const segmentBytes = await bytesOf(engine.httpUrl(`${path}/${uri}`));
    const partBytes = await Promise.all(parts.map((p) => bytesOf(engine.httpUrl(`${path}/${p}`))));
    expect(Buffer.from(segmentBytes).equals(Buffer.concat(partBytes))).toBe(true);
    // and ffprobe reads that segment (after its init segment) as H.264 + AAC, every packet
    const initUri = /#EXT-X-MAP:URI="([^"]+)"/.exec(listed.body)![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'weir-ll-segment-'));
    try {
      const file = join(dir, 'segment.mp4');
      writeFileSync(file, Buffer.concat([await bytesOf(engine.httpUrl(`${path}/${initUri}`)), segmentBytes]));
      const probed = await probe(file, { packets: true });
      expect(probed.stderr).toBe('');
      expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      const videoPackets = probed.packets.filter((p) => p.codec_type === 'video');
      expect(videoPackets.length).toBeGreaterThanOrEqual(25); // a 2 s segment of 25 fps video
      expect(videoPackets[0]!.flags).toContain('K');
      expect((await decode(file, 10)).stderr).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await publisher.stop();
  }, 90_000);

  test('LL-HLS blocking reload: a request for a future part is held until that part exists', async () => {
    const path = 'live/ll-block';
    const publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 30, bFrames: 0, gop: 25 });
    expect(await waitFor(() => (engine.context.hls.find(path)?.ll?.segments.length ?? 0) >= 1, 15_000)).toBe(true);
    const url = await joinHls(engine.httpUrl(`${path}/ll.m3u8`));
    const now = livePosition((await text(url)).body);
    // Part 1 of the segment after the open one: at least a segment duration (2 s) away, so a
    // server that answers without waiting sends a playlist that does not list it yet.
    const want = { msn: now.msn + 1, part: 1 };
    expect(hasListedPart((await text(url)).body, want.msn, want.part)).toBe(false);
    const blocked = await text(withQuery(url, `_HLS_msn=${want.msn}&_HLS_part=${want.part}`));
    expect(blocked.status).toBe(200);
    expect(hasListedPart(blocked.body, want.msn, want.part)).toBe(true);
    // the same for a whole segment (no _HLS_part): held until that segment is complete
    const after = livePosition(blocked.body);
    const whole = await text(withQuery(url, `_HLS_msn=${after.msn}`));
    expect(whole.status).toBe(200);
    expect(livePosition(whole.body).msn).toBeGreaterThan(after.msn);
    await publisher.stop();
  }, 60_000);

  test('a publisher restart puts a discontinuity in the playlist; the end adds ENDLIST', async () => {
    const path = 'live/restart';
    const first = await publishPattern(engine.rtmpUrl(path), { seconds: 5, bFrames: 0 });
    expect(await waitFor(() => (engine.context.hls.find(path)?.ts?.segments.length ?? 0) >= 1, 10_000)).toBe(true);
    await first.proc.exited;
    const second = await publishPattern(engine.rtmpUrl(path), { seconds: 5, bFrames: 0 });
    await second.proc.exited;
    const url = engine.httpUrl(`${path}/index.m3u8`);
    expect(await waitFor(() => engine.context.hls.find(path)?.ts?.ended === true, 8000)).toBe(true);
    const playlist = await text(await joinHls(url));
    expect(playlist.body).toContain('#EXT-X-DISCONTINUITY\n');
    expect(playlist.body.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    const uris = segmentsOf(playlist.body).map((s) => s.uri);
    expect(new Set(uris).size).toBe(uris.length);
    expect((await decode(url, 12)).exitCode).toBe(0);
  }, 60_000);

  test('unknown streams and files are 404 at once; unsupported codecs are simply not offered', async () => {
    const started = Date.now();
    expect((await fetch(engine.httpUrl('live/nobody/index.m3u8'))).status).toBe(404);
    expect((await fetch(engine.httpUrl('live/nobody/ll.m3u8'))).status).toBe(404);
    // waiting for media would take three target durations (6 s) per request: well clear of this
    expect(Date.now() - started).toBeLessThan(5000);

    // VP9 cannot go into HLS here: the HLS playlists are not offered, FLV viewers are unaffected
    const path = 'live/vp9';
    const publisher = await connectRtmp(engine.rtmpPort, 'live', 'vp9', 'publish');
    await publisher.next((e) => e.type === 'ready');
    const vp9 = (frameType: number, packetType: number, payload: number[]) =>
      Uint8Array.from([0x80 | (frameType << 4) | packetType, ...Buffer.from('vp09'), ...payload]);
    publisher.session.sendMedia(9, 0, vp9(1, 0, [1, 0, 0, 0, 0x0a, 0x80, 0, 0]));
    for (let i = 0; i < 10; i++) publisher.session.sendMedia(9, i * 40, vp9(i === 0 ? 1 : 2, 1, [i, 1, 2, 3]));
    publisher.flush();
    expect(await waitFor(() => engine.context.streams.find('live', 'vp9')?.started === true, 3000)).toBe(true);
    const flv = await fetch(engine.httpUrl(`${path}.flv`));
    expect(flv.status).toBe(200);
    await flv.body?.cancel();
    expect((await fetch(engine.httpUrl(`${path}/index.m3u8`))).status).toBe(404);
    expect(engine.logs.filter((l) => l.includes('not offered') && l.includes('vp9')).length).toBe(2); // once per variant
    publisher.close();
  }, 60_000);
});
