// VOD from a media folder (issue 13 item 6), an in-process engine on loopback ports: an MP4 ffmpeg makes
// (10 s, 1 s GOP, H.264 + AAC) served as HLS that ffprobe reads and ffmpeg decodes whole, and as a
// progressive file whose Range answers are the exact bytes; the engine's own recordings (fragmented MP4
// files) served the same way; paths that climb out of the folder, hidden files, files outside app
// folders, unknown apps and refused tokens answered 404/403; a malformed MP4 answered 422 and logged once.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine, type RunningEngine } from '../../src/engine/engine-runtime.ts';
import type { Admission } from '../../src/server/admission.ts';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { decode, killAll, probe, run, spawnBackground, tempDir, testPatternArgs, waitFor } from './harness.ts';

const dir = tempDir();
const media = join(dir.path, 'media');
const records = join(dir.path, 'records');
let engine: RunningEngine;
let recorder: RunningEngine;
const logs: string[] = [];
let movie: Uint8Array<ArrayBuffer>;

/** Admits app 'live' openly, app 'paid' with token=ok only. */
const admission: Admission = {
  decide: async (request) => {
    if (request.app === 'live' || request.app === 'rec') return { allow: true };
    if (request.app === 'paid') return new URLSearchParams(request.query).get('token') === 'ok' ? { allow: true } : { allow: false, reason: 'bad token' };
    return { allow: false, reason: `unknown app '${request.app}'` };
  },
};

function config(vodDir: string, apps: EngineConfig['apps'] = [{ name: 'live' }]): EngineConfig {
  return {
    ...DEFAULT_ENGINE_CONFIG,
    rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
    http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
    apps,
    vod: { dir: vodDir },
  };
}

const url = (path: string, e: RunningEngine = engine): string => `http://127.0.0.1:${e.httpPort}/vod/${path}`;

beforeAll(async () => {
  for (const sub of ['live', 'paid', 'live/sub']) mkdirSync(join(media, sub), { recursive: true });
  mkdirSync(join(dir.path, 'outside'));
  const made = await run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '10', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', join(media, 'live', 'movie.mp4')], 60_000);
  expect(made.stderr).toBe('');
  movie = new Uint8Array(readFileSync(join(media, 'live', 'movie.mp4')));
  const hevc = await run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '6', '-c:v', 'libx265', '-preset', 'ultrafast',
    '-x265-params', 'keyint=25:min-keyint=25:log-level=error', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k',
    join(media, 'live', 'hevc.mp4')], 60_000);
  expect(hevc.stderr).toBe('');
  writeFileSync(join(media, 'paid', 'movie.mp4'), movie);
  writeFileSync(join(media, 'live', 'sub', 'nested.mp4'), movie);
  writeFileSync(join(media, 'movie.mp4'), movie);
  writeFileSync(join(media, 'live', '.hidden.mp4'), movie);
  writeFileSync(join(dir.path, 'outside', 'secret.mp4'), movie);
  symlinkSync(join(dir.path, 'outside', 'secret.mp4'), join(media, 'live', 'escape.mp4'));
  // a file cut inside its moov (ffmpeg writes the moov last) and one that is not an MP4 at all
  writeFileSync(join(media, 'live', 'cut.mp4'), movie.subarray(0, movie.length - 500));
  writeFileSync(join(media, 'live', 'text.mp4'), 'hello, this is not a movie\n'.repeat(10));
  // an ftyp and a moov whose only trak has no sample table
  writeFileSync(join(media, 'live', 'empty.mp4'), new Uint8Array([0, 0, 0, 16, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0, 0, 0, 0, 0, 0, 0, 16, 0x6d, 0x6f, 0x6f, 0x76, 0, 0, 0, 8, 0x74, 0x72, 0x61, 0x6b]));
  engine = startEngine(config(media), { admission, logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }) });
}, 90_000);

afterAll(async () => {
  await killAll();
  engine?.stop();
  recorder?.stop();
  dir.remove();
});

describe('HLS from an MP4', () => {
  test('ffprobe reads the playlist (H.264 320x240 + AAC, 10 s) and ffmpeg decodes all of it', async () => {
    const playlist = await (await fetch(url('live/movie.mp4/index.m3u8'))).text();
    expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(playlist.match(/^seg-\d+\.m4s$/gm)).toEqual(['seg-0.m4s', 'seg-1.m4s', 'seg-2.m4s']);
    const probed = await probe(url('live/movie.mp4/index.m3u8'));
    const video = probed.streams.find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(probed.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('aac');
    const frames = await run(['ffprobe', '-v', 'error', '-count_frames', '-select_streams', 'v', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', url('live/movie.mp4/index.m3u8')]);
    // the HLS demuxer lists the stream under its program and alone: every count is all 250 frames
    expect(new Set(frames.stdout.split('\n').filter((l) => l.trim() !== ''))).toEqual(new Set(['250']));
    const decoded = await decode(url('live/movie.mp4/index.m3u8'), 12);
    expect(decoded.exitCode).toBe(0);
    expect(decoded.stderr).toBe('');
  }, 60_000);

  test('HEVC (hvc1) + AAC: ffprobe sees hevc at its size and ffmpeg decodes the whole playlist', async () => {
    const probed = await probe(url('live/hevc.mp4/index.m3u8'));
    expect(probed.streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'hevc', width: 320, height: 240 });
    const decoded = await decode(url('live/hevc.mp4/index.m3u8'), 8);
    expect(decoded.exitCode).toBe(0);
    expect(decoded.stderr).toBe('');
  }, 60_000);

  test('a segment past the last, or a resource that is not one, is 404', async () => {
    expect((await fetch(url('live/movie.mp4/seg-3.m4s'))).status).toBe(404);
    expect((await fetch(url('live/movie.mp4/seg-01.m4s'))).status).toBe(404);
    expect((await fetch(url('live/movie.mp4/other.txt'))).status).toBe(404);
    expect((await fetch(url('live/sub/nested.mp4/index.m3u8'))).status).toBe(200);
  });

  test("a token the app requires is checked on every request and handed on to the playlist's URIs", async () => {
    expect((await fetch(url('paid/movie.mp4/index.m3u8'))).status).toBe(403);
    expect((await fetch(url('paid/movie.mp4/seg-0.m4s?token=no'))).status).toBe(403);
    expect((await fetch(url('paid/movie.mp4'))).status).toBe(403);
    const playlist = await (await fetch(url('paid/movie.mp4/index.m3u8?token=ok'))).text();
    expect(playlist).toContain('#EXT-X-MAP:URI="init.mp4?token=ok"');
    expect(playlist).toContain('seg-0.m4s?token=ok');
    expect((await fetch(url('paid/movie.mp4/seg-0.m4s?token=ok'))).status).toBe(200);
  });
});

describe('progressive MP4 with Range', () => {
  test('the whole file, one range, a suffix, and 416 past the end', async () => {
    const whole = await fetch(url('live/movie.mp4'));
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(movie);

    const part = await fetch(url('live/movie.mp4'), { headers: { Range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${movie.length}`);
    expect(part.headers.get('content-length')).toBe('1000');
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(movie.subarray(1000, 2000));

    const tail = await fetch(url('live/movie.mp4'), { headers: { Range: 'bytes=-100' } });
    expect(tail.status).toBe(206);
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(movie.subarray(movie.length - 100));

    const open = await fetch(url('live/movie.mp4'), { headers: { Range: `bytes=${movie.length - 7}-` } });
    expect(new Uint8Array(await open.arrayBuffer())).toEqual(movie.subarray(movie.length - 7));

    const past = await fetch(url('live/movie.mp4'), { headers: { Range: `bytes=${movie.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${movie.length}`);

    const head = await fetch(url('live/movie.mp4'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(movie.length));
  });

  test('ffprobe reads the progressive file over HTTP', async () => {
    const probed = await probe(url('live/movie.mp4'));
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  });
});

describe('path safety and refusals', () => {
  test.each([
    ['live/%2e%2e/movie.mp4', 'dot-dot component'],
    ['live/..%2fmovie.mp4', 'encoded slash'],
    ['live/%2E%2E%2F%2E%2E%2Foutside%2Fsecret.mp4', 'encoded climb'],
    ['live/escape.mp4', 'symlink out of the folder'],
    ['live/.hidden.mp4', 'hidden file'],
    ['movie.mp4', 'file outside an app folder'],
    ['live/missing.mp4', 'no such file'],
    ['live/movie.txt', 'not a media file'],
    ['live/%00.mp4', 'NUL'],
  ])('%s (%s) is 404', async (path) => {
    const res = await fetch(url(path));
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(dir.path);
  });

  test('an unknown app is 404 with the reason', async () => {
    const res = await fetch(url('other/movie.mp4'));
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("unknown app 'other'");
  });

  test('a malformed MP4 is 422 with a reason, on HLS and progressive, and logged once', async () => {
    for (const file of ['cut.mp4', 'text.mp4']) {
      for (const path of [`live/${file}/index.m3u8`, `live/${file}`, `live/${file}/index.m3u8`]) {
        const res = await fetch(url(path));
        expect(res.status).toBe(422);
        expect(await res.text()).toMatch(/^not a playable MP4: /);
      }
      expect(logs.filter((line) => line.includes('not a usable MP4') && line.includes(file))).toHaveLength(1);
    }
    // a player's first requests arrive together: still read once, logged once
    const together = await Promise.all(['index.m3u8', 'init.mp4', 'seg-0.m4s', '', 'index.m3u8'].map((r) => fetch(url(`live/empty.mp4${r ? `/${r}` : ''}`))));
    expect(together.map((r) => r.status)).toEqual([422, 422, 422, 422, 422]);
    expect(await together[0]!.text()).toContain('trak without tkhd');
    expect(logs.filter((line) => line.includes('not a usable MP4') && line.includes('empty.mp4'))).toHaveLength(1);
  });
});

describe("the engine's recordings as VOD", () => {
  test('a recorded fMP4 segment file plays as HLS and progressive', async () => {
    const recording = { enabled: true, format: 'fmp4' as const, segmentDurationSec: 2, path: records, retentionDays: 0, quotaMb: 0 };
    recorder = startEngine(config(records, [{ name: 'rec', recording }]), { admission, logger: createLogger({ level: 'error', sink: () => {} }) });
    const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 8, bFrames: 2, gop: 25 }), '-f', 'flv', `rtmp://127.0.0.1:${recorder.rtmpPort}/rec/cam`]);
    const files = (): string[] => {
      try {
        return readdirSync(join(records, 'rec', 'cam')).filter((n) => n.endsWith('.mp4') && !n.startsWith('.'));
      } catch {
        return [];
      }
    };
    expect(await waitFor(() => files().length >= 2, 30_000, 200)).toBe(true);
    await publisher.stop();
    const name = files().sort()[0]!;
    const playlist = await (await fetch(url(`rec/cam/${name}/index.m3u8`, recorder))).text();
    expect(playlist).toContain('seg-0.m4s');
    const durationSec = Number(/#EXTINF:([\d.]+),/.exec(playlist)![1]);
    expect(durationSec).toBeGreaterThanOrEqual(1.9);
    const decoded = await decode(url(`rec/cam/${name}/index.m3u8`, recorder), 10);
    expect(decoded.exitCode).toBe(0);
    expect(decoded.stderr).toBe('');
    const probed = await probe(url(`rec/cam/${name}`, recorder));
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  }, 60_000);
});
