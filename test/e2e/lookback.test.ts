// Look-back and time-shift HLS over real recordings (issue 13 item 3): ffmpeg publishes to an
// in-process engine that records 1 s fMP4 and MPEG-TS segments; the range playlist is a VOD
// playlist ffprobe reads across segment boundaries with continuous timestamps, the time-shift
// playlist trails live, bad parameters are 400 and empty ranges 404 with reasons, recorded URIs
// reach only that stream's indexed files, and play admission (a token) guards all of it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admission } from '../../src/server/admission.ts';
import { killAll, probe, publishPattern, tempDir, type TestEngine } from './harness.ts';
import { recordingSettings, startRecordingEngine } from './recording-engine.ts';

const TOKEN = 'token=letmein';
let dir: { path: string; remove(): void };
let engine: TestEngine;
let publishers: Array<Awaited<ReturnType<typeof publishPattern>>> = [];
const asked: string[] = [];

// play needs token=letmein, as a key or signed-URL check would; publish is open
const admission: Admission = {
  async decide(request) {
    if (request.action === 'play') asked.push(request.query);
    if (request.action === 'publish' || new URLSearchParams(request.query).get('token') === 'letmein') return { allow: true };
    return { allow: false, reason: 'play key required' };
  },
};

async function recorded(app: string, stream: string) {
  return (await engine.recordings.streamRecording(app, stream))?.segments ?? [];
}

beforeAll(async () => {
  dir = tempDir();
  engine = startRecordingEngine(
    [
      { name: 'rec', recording: recordingSettings(dir.path) },
      { name: 'tsrec', recording: recordingSettings(dir.path, { format: 'ts' }) },
      { name: 'live' },
    ],
    admission,
  );
  publishers = await Promise.all([
    publishPattern(engine.rtmpUrl('rec/cam'), { seconds: 60, bFrames: 2, gop: 25 }),
    publishPattern(engine.rtmpUrl('tsrec/cam'), { seconds: 60, bFrames: 2, gop: 25 }),
    publishPattern(engine.rtmpUrl('rec/other'), { seconds: 60, bFrames: 2, gop: 25 }),
  ]);
  const enough = async () => (await recorded('rec', 'cam')).length >= 6 && (await recorded('tsrec', 'cam')).length >= 6 && (await recorded('rec', 'other')).length >= 1;
  for (let i = 0; i < 300 && !(await enough()); i++) await Bun.sleep(100);
  expect(await enough()).toBe(true);
}, 60_000);

afterAll(async () => {
  for (const p of publishers) await p.stop();
  await killAll();
  engine?.stop();
  dir?.remove();
});

async function get(path: string): Promise<{ status: number; text: string; type: string }> {
  const res = await fetch(engine.httpUrl(path));
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** The first six segments' range, 100 ms inside either end. */
async function range(app: string): Promise<{ startMs: number; endMs: number }> {
  const segments = (await recorded(app, 'cam')).slice(0, 6);
  return { startMs: segments[0]!.startMs + 100, endMs: segments.at(-1)!.startMs + segments.at(-1)!.durationMs - 100 };
}

describe.each(['rec', 'tsrec'] as const)('look-back range (%s)', (app) => {
  test('a VOD playlist of the recorded range that ffprobe reads through with continuous timestamps', async () => {
    const { startMs, endMs } = await range(app);
    const playlist = await get(`${app}/cam/index.m3u8?start_time=${startMs}&end_time=${endMs}&${TOKEN}`);
    expect(playlist.status).toBe(200);
    expect(playlist.type).toBe('application/vnd.apple.mpegurl');
    const lines = playlist.text.trim().split('\n');
    expect(lines).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(lines.at(-1)).toBe('#EXT-X-ENDLIST');
    const uris = lines.filter((l) => l.startsWith('rec-'));
    expect(uris.length).toBe(6);
    expect(uris.every((u) => u.endsWith(`?${TOKEN}`))).toBe(true);
    expect(lines.filter((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:'))).toHaveLength(6);
    expect(lines.filter((l) => l.startsWith('#EXT-X-MAP:'))).toHaveLength(app === 'rec' ? 1 : 0);
    expect(playlist.text).not.toContain('DISCONTINUITY');

    // duration=... names the same range
    const byDuration = await get(`${app}/cam/index.m3u8?start_time=${startMs}&duration=${endMs - startMs}&${TOKEN}`);
    expect(byDuration.text).toBe(playlist.text);

    const url = engine.httpUrl(`${app}/cam/index.m3u8?start_time=${startMs}&end_time=${endMs}&${TOKEN}`);
    const probed = await probe(url, { packets: true });
    expect(probed.stderr).toBe('');
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const video = probed.packets.filter((p) => p.codec_type === 'video').map((p) => Number(p.dts));
    const audio = probed.packets.filter((p) => p.codec_type === 'audio');
    expect(video.length).toBeGreaterThanOrEqual(140); // six 1 s segments at 25 fps
    expect(audio.length).toBeGreaterThan(200);
    const step = Math.round((video.at(-1)! - video[0]!) / (video.length - 1));
    for (let i = 1; i < video.length; i++) expect(Math.abs(video[i]! - video[i - 1]! - step)).toBeLessThanOrEqual(step / 4);
  }, 60_000);
});

describe('time-shift', () => {
  test('a multivariant playlist pins the session, whose media playlist trails live and slides', async () => {
    const first = await get(`rec/cam/index.m3u8?shifttime=3&${TOKEN}`);
    expect(first.status).toBe(200);
    const variant = first.text.trim().split('\n').at(-1)!;
    expect(variant).toMatch(/^index\.m3u8\?token=letmein&shifttime=3&weir_anchor=\d+$/);
    const media = await get(`rec/cam/${variant}`);
    expect(media.status).toBe(200);
    expect(media.text).not.toContain('ENDLIST');
    expect(media.text).toContain('#EXT-X-MEDIA-SEQUENCE:0\n');
    const dates = [...media.text.matchAll(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/g)].map((m) => Date.parse(m[1]!));
    const segments = await recorded('rec', 'cam');
    const lastEnd = Math.max(...segments.map((s) => s.startMs + s.durationMs));
    // the window ends by now - 3 s, well behind the newest recorded segment
    expect(dates.at(-1)!).toBeLessThanOrEqual(Date.now() - 3000);
    expect(dates.at(-1)!).toBeLessThan(lastEnd - 1000);
    // two seconds later the same session's playlist has moved on, its sequence numbers counted from the anchor
    await Bun.sleep(2100);
    const later = await get(`rec/cam/${variant}`);
    const laterDates = [...later.text.matchAll(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/g)].map((m) => Date.parse(m[1]!));
    expect(laterDates.at(-1)! - dates.at(-1)!).toBeGreaterThanOrEqual(1000);
    const anchorMs = Number(/weir_anchor=(\d+)/.exec(variant)![1]);
    const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(later.text)![1]);
    const before = (await recorded('rec', 'cam')).filter((s) => s.startMs >= anchorMs && s.startMs < laterDates[0]!);
    expect(msn).toBe(before.length);
  }, 30_000);

  test('decodes with ffprobe (both tracks)', async () => {
    const probed = await probe(engine.httpUrl(`rec/cam/index.m3u8?shifttime=4&${TOKEN}`), { packets: true, seconds: 3 });
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(probed.packets.some((p) => p.codec_type === 'video' && p.flags?.startsWith('K'))).toBe(true);
  }, 30_000);
});

describe('refusals', () => {
  test('bad parameters: 400 with the reason', async () => {
    for (const q of ['start_time=x&end_time=5', 'start_time=5', 'start_time=10&end_time=5', 'shifttime=0', 'shifttime=3&start_time=1&duration=5']) {
      const res = await get(`rec/cam/index.m3u8?${q}&${TOKEN}`);
      expect(res.status).toBe(400);
      expect(res.text).toStartWith('bad look-back request: ');
    }
  });

  test('nothing recorded: 404 with the reason', async () => {
    const empty = await get(`rec/cam/index.m3u8?start_time=1000&end_time=2000&${TOKEN}`);
    expect(empty.status).toBe(404);
    expect(empty.text).toContain("nothing of 'rec/cam' is recorded between 1000 and 2000");
    const ahead = await get(`rec/cam/index.m3u8?shifttime=86400&${TOKEN}`);
    expect(ahead.status).toBe(404);
    const none = await get(`rec/nobody/index.m3u8?start_time=1000&end_time=2000&${TOKEN}`);
    expect(none.status).toBe(404);
    const notRecording = await get(`live/cam/index.m3u8?start_time=1000&end_time=2000&${TOKEN}`);
    expect(notRecording.status).toBe(404);
    expect(notRecording.text).toContain('no recording settings');
  });

  test('recorded URIs name only indexed files of that stream', async () => {
    // The streams start together and publish the same pattern, so the segments of 'other' can have
    // the very names of cam's (same start and duration): such a name is cam's own file. Give one of
    // other's files a name cam does not have, on disk in other's directory, and ask for it under cam.
    const camNames = new Set((await recorded('rec', 'cam')).map((s) => `${s.startMs}-${s.durationMs}`));
    const source = (await recorded('rec', 'other'))[0]!;
    let startMs = source.startMs + 7;
    while (camNames.has(`${startMs}-${source.durationMs}`)) startMs += 7;
    const other = { startMs, durationMs: source.durationMs };
    const otherDir = join(dir.path, 'rec', 'other');
    const copyName = source.fileName.replace(`${source.startMs}-`, `${startMs}-`);
    expect(copyName).not.toBe(source.fileName);
    copyFileSync(join(otherDir, source.fileName), join(otherDir, copyName));
    const own = (await recorded('rec', 'cam'))[0]!;
    const ok = await fetch(engine.httpUrl(`rec/cam/rec-${own.startMs}-${own.durationMs}.m4s?${TOKEN}`));
    expect(ok.status).toBe(200);
    expect(new TextDecoder().decode((await ok.bytes()).subarray(4, 8))).toBe('moof');
    const init = await fetch(engine.httpUrl(`rec/cam/rec-${own.startMs}-${own.durationMs}.init.mp4?${TOKEN}`));
    expect(new TextDecoder().decode((await init.bytes()).subarray(4, 8))).toBe('ftyp');
    for (const path of [
      `rec/cam/rec-${other.startMs}-${other.durationMs}.m4s`, // another stream's file
      `rec/cam/rec-${own.startMs}-${own.durationMs + 1}.m4s`, // a name that is not in the index
      `rec/cam/rec-${own.startMs}-${own.durationMs}.ts`, // the wrong format
      'rec/cam/rec-..%2F..%2Fother%2F1-1.m4s',
      'rec/..%2Fcam/rec-1-1.m4s',
    ]) {
      const res = await get(`${path}?${TOKEN}`);
      expect({ path, status: res.status }).toEqual({ path, status: res.status >= 400 && res.status < 500 ? res.status : -1 });
    }
  });

  test('play admission guards playlists and recorded files: no token, 403', async () => {
    const { startMs, endMs } = await range('rec');
    const own = (await recorded('rec', 'cam'))[0]!;
    asked.length = 0;
    for (const path of [`rec/cam/index.m3u8?start_time=${startMs}&end_time=${endMs}`, 'rec/cam/index.m3u8?shifttime=3', `rec/cam/rec-${own.startMs}-${own.durationMs}.m4s`]) {
      const res = await get(path);
      expect({ path, status: res.status, text: res.text.trim() }).toEqual({ path, status: 403, text: 'play key required' });
    }
    // what admission is asked about is who asks, not which range: media requests share the decision
    expect(asked.every((q) => q === '')).toBe(true);
    await get(`rec/cam/index.m3u8?start_time=${startMs}&end_time=${endMs}&${TOKEN}`);
    expect(asked.at(-1)).toBe(TOKEN);
  });
});
