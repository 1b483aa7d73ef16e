// End-to-end: real ffmpeg/ffprobe/rtmpdump against a real engine on OS-assigned ports.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlvReader, type FlvTag } from '../../src/flv/flv-reader.ts';
import { parseVideoTag } from '../../src/flv/parse-video-tag.ts';
import { decode, killAll, probe, publishPattern, run, spawnBackground, startTestEngine, tempDir, testPatternArgs, waitFor, type TestEngine } from './harness.ts';

let engine: TestEngine;
let dir: { path: string; remove(): void };

beforeAll(() => {
  engine = startTestEngine();
  dir = tempDir();
});

afterAll(async () => {
  await killAll();
  engine.stop();
  dir.remove();
});

function isLive(path: string): () => boolean {
  return () => {
    const [app, name] = path.split('/');
    return engine.context.streams.find(app!, name!)?.started === true;
  };
}

/** Reads an HTTP-FLV or WS-FLV response for a while and returns the raw bytes. */
async function readHttpFlv(url: string, ms: number): Promise<Uint8Array> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('video/x-flv');
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  const chunks: Uint8Array[] = [];
  const reader = res.body!.getReader();
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } finally {
    abort.abort();
  }
  return Buffer.concat(chunks);
}

function parseFlv(bytes: Uint8Array): FlvTag[] {
  return new FlvReader().push(bytes);
}

/** Tags after the headers: the first coded video frame must be a keyframe. */
function firstVideoFrame(tags: FlvTag[]) {
  for (const tag of tags) {
    if (tag.tagType !== 9) continue;
    const info = parseVideoTag(tag.body);
    if (info.kind === 'frame') return info;
  }
  return null;
}

describe('publish with ffmpeg, play with real clients', () => {
  for (const bFrames of [0, 2]) {
    test(`H.264 + AAC with ${bFrames} B-frames: ffprobe and ffmpeg read RTMP and HTTP-FLV`, async () => {
      const path = `live/pattern-b${bFrames}`;
      const publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 12, bFrames });
      expect(await waitFor(isLive(path), 8000)).toBe(true);
      for (const url of [engine.rtmpUrl(path), engine.httpUrl(`${path}.flv`)]) {
        const probed = await probe(url);
        expect(probed.exitCode).toBe(0);
        const kinds = probed.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort();
        expect(kinds).toEqual(['audio:aac', 'video:h264']);
        expect(probed.streams.find((s) => s.codec_type === 'video')?.width).toBe(320);
        const decoded = await decode(url, 2);
        expect(decoded.stderr).toBe('');
        expect(decoded.exitCode).toBe(0);
      }
      await publisher.stop();
    });
  }

  test('audio-only MP3 and video-only H.264 streams play and decode', async () => {
    const sources: Record<string, { args: string[]; codecs: string[] }> = {
      'live/mp3-only': {
        args: ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-c:a', 'libmp3lame', '-b:a', '128k', '-vn'],
        codecs: ['mp3'],
      },
      'live/video-only': {
        args: ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-pix_fmt', 'yuv420p', '-an'],
        codecs: ['h264'],
      },
    };
    for (const [path, { args, codecs }] of Object.entries(sources)) {
      const publisher = spawnBackground(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', ...args, '-t', '20', '-f', 'flv', engine.rtmpUrl(path)]);
      expect(await waitFor(isLive(path), 8000)).toBe(true);
      // The HTTP-FLV header says which tracks exist, so probing is quick; ffmpeg's RTMP reader
      // cannot know and waits out its probe time for the missing track, so RTMP is only decoded.
      const probed = await probe(engine.httpUrl(`${path}.flv`));
      expect(probed.streams.map((s) => s.codec_name)).toEqual(codecs);
      for (const url of [engine.httpUrl(`${path}.flv`), engine.rtmpUrl(path)]) {
        expect((await decode(url, 1)).stderr).toBe('');
      }
      await publisher.stop();
    }
  }, 120_000);

  test('pts and dts survive the trip: composition offsets match the source', async () => {
    const source = join(dir.path, 'bframes.flv');
    const made = await run(['ffmpeg', ...testPatternArgs({ seconds: 10, bFrames: 3 }).filter((a) => a !== '-re'), '-y', source]);
    expect(made.exitCode).toBe(0);
    const sourcePackets = (await probe(source, { packets: true })).packets.filter((p) => p.codec_type === 'video');
    const offsets = (packets: typeof sourcePackets) => packets.map((p) => (p.pts ?? 0) - (p.dts ?? 0));
    const sourceOffsets = offsets(sourcePackets);
    expect(sourceOffsets.some((o) => o > 0)).toBe(true); // B-frames really are there

    const path = 'live/copy';
    const publisher = spawnBackground(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-i', source, '-c', 'copy', '-f', 'flv', engine.rtmpUrl(path)]);
    expect(await waitFor(isLive(path), 8000)).toBe(true);
    for (const url of [engine.httpUrl(`${path}.flv`), engine.rtmpUrl(path)]) {
      const received = (await probe(url, { packets: true, seconds: 3 })).packets.filter((p) => p.codec_type === 'video');
      expect(received.length).toBeGreaterThan(25);
      const got = offsets(received).join(',');
      // what arrives is a contiguous run of the source, offsets and all
      expect(sourceOffsets.join(',').includes(got.split(',').slice(0, 40).join(','))).toBe(true);
      const dts = received.map((p) => p.dts ?? 0);
      for (let i = 1; i < dts.length; i++) expect(dts[i]!).toBeGreaterThanOrEqual(dts[i - 1]!);
    }
    await publisher.stop();
  });

  test('a viewer joining mid-stream starts on a keyframe, headers first', async () => {
    const path = 'live/midstream';
    const publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 10, bFrames: 0, gop: 50 });
    expect(await waitFor(isLive(path), 8000)).toBe(true);
    await Bun.sleep(2600); // well inside the second GOP
    const bytes = await readHttpFlv(engine.httpUrl(`${path}.flv`), 1500);
    const tags = parseFlv(bytes);
    expect(tags[0]?.tagType).toBe(18); // onMetaData
    const firstVideo = tags.find((t) => t.tagType === 9)!;
    expect(parseVideoTag(firstVideo.body).kind).toBe('sequence-header');
    const frame = firstVideoFrame(tags);
    expect(frame?.keyframe).toBe(true);
    const file = join(dir.path, 'midstream.flv');
    await Bun.write(file, bytes);
    const decoded = await decode(file, 1);
    expect(decoded.stderr).toBe('');
    await publisher.stop();
  });

  test('rtmpdump plays over RTMP', async () => {
    const path = 'live/dump';
    const publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 10, bFrames: 2 });
    expect(await waitFor(isLive(path), 8000)).toBe(true);
    const out = join(dir.path, 'dump.flv');
    const dumped = await run(['rtmpdump', '-q', '--live', '-r', engine.rtmpUrl(path), '-o', out, '--stop', '2'], 20_000);
    expect(readFileSync(out).byteLength).toBeGreaterThan(10_000);
    const probed = await probe(out);
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect((await decode(out, 2)).stderr).toBe('');
    expect(dumped.exitCode === 0 || dumped.exitCode === 2).toBe(true); // 2: incomplete download, normal for --stop on live
    await publisher.stop();
  });

  test('a WebSocket client receives valid FLV', async () => {
    const path = 'live/ws';
    const publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 10, bFrames: 0 });
    expect(await waitFor(isLive(path), 8000)).toBe(true);
    const ws = new WebSocket(`ws://127.0.0.1:${engine.httpPort}/${path}.flv`);
    ws.binaryType = 'arraybuffer';
    const chunks: Uint8Array[] = [];
    ws.onmessage = (event) => chunks.push(new Uint8Array(event.data as ArrayBuffer));
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    await Bun.sleep(2000);
    ws.close();
    const bytes = Buffer.concat(chunks);
    expect(new TextDecoder().decode(bytes.subarray(0, 3))).toBe('FLV');
    const tags = parseFlv(bytes);
    expect(tags.filter((t) => t.tagType === 9).length).toBeGreaterThan(20);
    expect(firstVideoFrame(tags)?.keyframe).toBe(true);
    const file = join(dir.path, 'ws.flv');
    await Bun.write(file, bytes);
    expect((await probe(file)).streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect((await decode(file, 1.5)).stderr).toBe('');
    await publisher.stop();
  });

  test('a viewer that arrives before the publisher waits and then plays', async () => {
    const path = 'live/early';
    const early = probe(engine.httpUrl(`${path}.flv`));
    await Bun.sleep(800);
    const publisher = await publishPattern(engine.rtmpUrl(path), { seconds: 8, bFrames: 0 });
    const probed = await early;
    expect(probed.exitCode).toBe(0);
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    await publisher.stop();
  });

  test('a publisher that reconnects while the old one hangs takes the stream over', async () => {
    const path = 'live/takeover';
    const first = await publishPattern(engine.rtmpUrl(path), { seconds: 30, bFrames: 0 });
    expect(await waitFor(isLive(path), 8000)).toBe(true);
    first.proc.kill('SIGSTOP'); // a dead encoder whose TCP connection is still open
    const second = await publishPattern(engine.rtmpUrl(path), { seconds: 6, bFrames: 0 });
    const probed = await probe(engine.rtmpUrl(path));
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    await second.proc.exited;
    expect(await second.stderr()).not.toContain('Error');
    expect(second.proc.exitCode).toBe(0);
    first.proc.kill('SIGCONT');
    await first.stop();
  });
});

describe('streams that are not live', () => {
  test('HTTP-FLV answers 404 after the wait, RTMP StreamNotFound', async () => {
    const quick = startTestEngine({ waitForPublisherMs: 300 });
    try {
      const res = await fetch(quick.httpUrl('live/nobody.flv'));
      expect(res.status).toBe(404);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const unknownApp = await fetch(quick.httpUrl('nope/x.flv'));
      expect(unknownApp.status).toBe(404);
      const probed = await probe(quick.rtmpUrl('live/nobody'));
      expect(probed.exitCode).not.toBe(0);
      expect(quick.logs.join('\n')).not.toContain('internal error');
    } finally {
      quick.stop();
    }
  });
});
