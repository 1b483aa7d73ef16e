// Issue 10 item 11: timestamps never freeze. Against a weir-engine subprocess: ffmpeg publishing
// across its FLV muxer's 31-bit wrap, and our RTMP client publishing a 32-bit wrap, a 6 s
// backwards jump and a 1 h forward jump within one publish. RTMP and HTTP-FLV viewers must see
// every type advance (never frozen, never backwards) and HLS must keep cutting segments, with
// EXT-X-DISCONTINUITY where the clock jumped.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { classifyTag } from '../../src/flv/classify-tag.ts';
import { probe, spawnBackground, testPatternArgs, waitFor, killAll } from '../e2e/harness.ts';
import { connectRtmp, type TestRtmpClient } from '../e2e/rtmp-test-client.ts';
import { startEngineProcess, type EngineProcess } from './engine-process.ts';
import { joinHls } from '../e2e/hls-session.ts';

let engine: EngineProcess;
beforeAll(async () => {
  // HLS must cut across every wrap and jump from the stream's start, not from a player's first request
  engine = await startEngineProcess(['--hls-always-remux']);
});
afterAll(async () => {
  await killAll();
  await engine.stop();
});

type Seen = { type: number; timestampMs: number };

/** An HTTP-FLV viewer: every media tag's type and timestamp as the engine sends it. */
function flvViewer(path: string): { tags: Seen[]; stop(): void } {
  const tags: Seen[] = [];
  const controller = new AbortController();
  void (async () => {
    try {
      const response = await fetch(`http://127.0.0.1:${engine.httpPort}/${path}.flv`, { signal: controller.signal });
      const reader = new FlvReader();
      for await (const chunk of response.body as ReadableStream<Uint8Array>) {
        for (const tag of reader.push(chunk)) {
          if ((tag.tagType === 8 || tag.tagType === 9) && !classifyTag(tag.tagType, tag.body).header) {
            tags.push({ type: tag.tagType, timestampMs: tag.timestampMs });
          }
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })();
  return { tags, stop: () => controller.abort() };
}

/** An RTMP viewer through our client: media message timestamps (32-bit, as on the wire). */
async function rtmpViewer(path: string): Promise<{ tags(): Seen[]; client: TestRtmpClient }> {
  const [app, name] = path.split('/') as [string, string];
  const client = await connectRtmp(engine.rtmpPort, app, name, 'play');
  const tags: Seen[] = [];
  let seen = 0;
  const collect = (): void => {
    for (; seen < client.events.length; seen++) {
      const e = client.events[seen]!;
      if (e.type !== 'media') continue;
      const { typeId, timestamp, payload } = e.message;
      if ((typeId === 8 || typeId === 9) && payload.byteLength > 0 && !classifyTag(typeId, payload).header) {
        tags.push({ type: typeId, timestampMs: timestamp });
      }
    }
  };
  return {
    tags: () => {
      collect();
      return tags;
    },
    client,
  };
}

/**
 * Each type advances by more than 0 and at most `maxStepMs` from one tag to the next, allowing
 * the 32-bit wrap of RTMP and FLV timestamps; returns the longest run of one repeated timestamp.
 */
function checkAdvancing(tags: Seen[], maxStepMs: number): { frozenRun: number; backwards: number; bigSteps: number } {
  let frozenRun = 1;
  let backwards = 0;
  let bigSteps = 0;
  for (const type of [8, 9]) {
    const ts = tags.filter((t) => t.type === type).map((t) => t.timestampMs);
    let run = 1;
    for (let i = 1; i < ts.length; i++) {
      let step = ts[i]! - ts[i - 1]!;
      if (step < -0x8000_0000) step += 0x1_0000_0000; // the wire's own 32-bit wrap
      if (step === 0) frozenRun = Math.max(frozenRun, ++run);
      else run = 1;
      if (step < 0) backwards++;
      if (step > maxStepMs) bigSteps++;
    }
  }
  return { frozenRun, backwards, bigSteps };
}

async function playlist(path: string, file: string): Promise<string> {
  // as a player: the first answer names this session's media playlist
  const media = await joinHls(`http://127.0.0.1:${engine.httpPort}/${path}/${file}`).catch(() => null);
  if (media === null) return '';
  const response = await fetch(media);
  return response.status === 200 ? response.text() : '';
}

function mediaSequence(text: string): number {
  const m = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
  const segments = text.split('\n').filter((l) => l.startsWith('#EXTINF')).length;
  return m ? Number(m[1]) + segments : -1;
}

describe("ffmpeg's FLV muxer wrapping at 2^31", () => {
  test('viewers keep advancing across the wrap and HLS keeps cutting segments', async () => {
    const path = 'live/wrap31';
    const flv = flvViewer(path);
    const rtmp = await rtmpViewer(path);
    // 4294966 s puts the first frame at 2147482352 ms: ffmpeg wraps to 0 1.3 s in
    const ffmpeg = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 9, bFrames: 0, gop: 25 }), '-output_ts_offset', '4294966', '-f', 'flv', `rtmp://127.0.0.1:${engine.rtmpPort}/${path}`]);
    try {
      // 5 s of video after the wrap reached both viewers
      const enough = await waitFor(() => flv.tags.filter((t) => t.type === 9).length >= 160 && rtmp.tags().filter((t) => t.type === 9).length >= 160, 30_000);
      expect(enough).toBe(true);
      for (const [name, tags] of [['HTTP-FLV', flv.tags], ['RTMP', rtmp.tags()]] as const) {
        const result = checkAdvancing(tags, 200);
        expect({ name, ...result }).toEqual({ name, frozenRun: 1, backwards: 0, bigSteps: 0 });
        const video = tags.filter((t) => t.type === 9);
        expect((video.at(-1)!.timestampMs - video[0]!.timestampMs) >>> 0).toBeGreaterThanOrEqual((video.length - 2) * 40);
      }
      // HLS: segments after the wrap (one a second: gop 25 at 25 fps, 2 s target)
      const wrappedAtSeq = mediaSequence(await playlist(path, 'index.m3u8'));
      let text = '';
      const grew = await (async () => {
        for (let i = 0; i < 100; i++) {
          text = await playlist(path, 'index.m3u8');
          if (mediaSequence(text) >= wrappedAtSeq + 2) return true;
          await Bun.sleep(100);
        }
        return false;
      })();
      expect(grew).toBe(true);
      expect(text).toContain('#EXT-X-DISCONTINUITY');
      // ffprobe reads the newest segment: its video dts advance
      const newest = text.split('\n').filter((l) => l.endsWith('.ts')).at(-1)!;
      const probed = await probe(`http://127.0.0.1:${engine.httpPort}/${path}/${newest}`, { packets: true });
      const dts = probed.packets.filter((p) => p.codec_type === 'video').map((p) => p.dts!);
      expect(dts.length).toBeGreaterThan(10);
      for (let i = 1; i < dts.length; i++) expect(dts[i]!).toBeGreaterThan(dts[i - 1]!);
      expect(engine.logs()).toContain('publisher timestamps jumped');
    } finally {
      flv.stop();
      rtmp.client.close();
      await ffmpeg.stop();
    }
  }, 60_000);
});

const fixture = new FlvReader().push(new Uint8Array(readFileSync(join(import.meta.dir, '../fixtures/flv/h264-aac.flv'))));
const fixtureMedia = fixture.filter((t) => t.tagType === 8 || t.tagType === 9);
const fixtureHeaders = fixtureMedia.filter((t) => classifyTag(t.tagType, t.body).header);
// without the closing AVC end-of-sequence tag, which repeats the last frame's time
const fixtureFrames = fixtureMedia.filter((t) => !classifyTag(t.tagType, t.body).header && !(t.tagType === 9 && t.body[1] === 2));
/** the fixture's audio runs to 1078 ms: loops are this far apart so each type keeps advancing */
const LOOP_MS = 1100;
/** loop starts: `count` loops from `fromMs`, then jumping by `jumpMs` before loop `at` */
function loopStarts(fromMs: number, count: number, jumps: Record<number, number> = {}): number[] {
  const starts: number[] = [];
  let clock = fromMs;
  for (let k = 0; k < count; k++) {
    clock += jumps[k] ?? 0;
    starts.push(clock);
    clock += LOOP_MS;
  }
  return starts;
}

/**
 * Publishes the 1 s fixture (25 fps video with a keyframe each loop, AAC) looped once per
 * entry of `clockStartsMs`: loop k is stamped from that start, so a jump sits between loops.
 */
async function publishLoops(path: string, clockStartsMs: number[], afterFirstLoop: () => Promise<void>): Promise<TestRtmpClient> {
  const [app, name] = path.split('/') as [string, string];
  const publisher = await connectRtmp(engine.rtmpPort, app, name, 'publish');
  await publisher.next((e) => e.type === 'ready');
  for (const tag of fixtureHeaders) publisher.session.sendMedia(tag.tagType, clockStartsMs[0]!, tag.body);
  for (const [k, start] of clockStartsMs.entries()) {
    for (const tag of fixtureFrames) publisher.session.sendMedia(tag.tagType, (start + tag.timestampMs) % 0x1_0000_0000, tag.body);
    publisher.flush();
    expect(await waitFor(() => publisher.backlogBytes() === 0, 10_000, 5)).toBe(true);
    if (k === 0) await afterFirstLoop();
  }
  return publisher;
}

describe('jumps within one publish (our RTMP client, faster than real time)', () => {
  const cases: Array<{ name: string; starts: number[]; jumps: number }> = [
    // 32-bit wrap: continuous, no discontinuity
    { name: 'wrap32', starts: loopStarts(0x1_0000_0000 - 4000, 8), jumps: 0 },
    // 4 loops, then the clock steps back 6 s for 4 loops, then forward an hour for 4 loops
    { name: 'jumps', starts: loopStarts(10_000, 12, { 4: -6000 - LOOP_MS, 8: 3_600_000 }), jumps: 2 },
  ];
  for (const c of cases) {
    test(`${c.name}: RTMP and HTTP-FLV viewers advance; HLS keeps cutting, discontinuities marked`, async () => {
      const path = `live/${c.name}`;
      const flv = flvViewer(path);
      const rtmp = await rtmpViewer(path);
      const videoFrames = fixtureFrames.filter((t) => t.tagType === 9).length * c.starts.length;
      const videoOf = (tags: Seen[]): number => tags.filter((t) => t.type === 9).length;
      // a viewer that joins during the first loop still gets all of it (one GOP, cached)
      const publisher = await publishLoops(path, c.starts, async () => {
        expect(await waitFor(() => videoOf(flv.tags) > 0 && videoOf(rtmp.tags()) > 0, 10_000)).toBe(true);
      });
      try {
        const all = await waitFor(() => videoOf(flv.tags) >= videoFrames && videoOf(rtmp.tags()) >= videoFrames, 20_000);
        expect(all).toBe(true);
        for (const [name, tags] of [['HTTP-FLV', flv.tags], ['RTMP', rtmp.tags()]] as const) {
          expect({ name, ...checkAdvancing(tags, 250) }).toEqual({ name, frozenRun: 1, backwards: 0, bigSteps: 0 });
        }
        // HLS: two loops a segment (a keyframe each 1.1 s, 2 s target), the last one still open;
        // a jump cuts at the next keyframe, which here is a loop boundary anyway
        const text = await playlist(path, 'index.m3u8');
        const durations = text.split('\n').filter((l) => l.startsWith('#EXTINF')).map((l) => Number(l.slice(8).split(',')[0]));
        // (a rebase lands just after the audio, which runs 118 ms past the video: 2.179 s there)
        expect(durations).toHaveLength(c.starts.length / 2 - 1);
        for (const d of durations) expect(Math.abs(d - (2 * LOOP_MS) / 1000)).toBeLessThan(0.05);
        expect(text.match(/#EXT-X-DISCONTINUITY\n/g)?.length ?? 0).toBe(c.jumps);
        const ll = await playlist(path, 'll.m3u8');
        expect(ll.match(/#EXT-X-DISCONTINUITY\n/g)?.length ?? 0).toBe(c.jumps);
      } finally {
        flv.stop();
        rtmp.client.close();
        publisher.close();
      }
    }, 60_000);
  }
});
