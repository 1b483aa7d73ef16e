// MP4 export and recording management through the REST API of a real control plane and engine
// (subprocesses, weir-processes.ts): ffmpeg publishes ~8 s recorded in 1 s fMP4 segments; the
// listing shows the range; an export spanning several segments is a job with progress whose
// download is a fast-start MP4 that ffprobe reads with both tracks and continuous timestamps
// across the segment boundaries; DELETE removes a range's segments from disk and listing.
import { expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSegmentName } from '../../src/record/segment-name.ts';
import { useRecordedWeir } from './recorded-weir.ts';
import { run } from './harness.ts';

const running = useRecordedWeir(2);
const files = running.files;

type Range = { startMs: number; endMs: number; segments: number; sizeBytes: number };

async function listed(): Promise<{ ranges: Range[]; segments: number; sizeBytes: number }> {
  const res = await running.weir.api('GET', '/recordings?app=live&stream=cam');
  expect(res.status).toBe(200);
  expect(res.json.items).toHaveLength(1);
  return res.json.items[0];
}

test('an exported range is a fast-start MP4 with both tracks and continuous timestamps across segments', async () => {
  const listing = await listed();
  expect(listing.ranges).toHaveLength(1);
  expect(listing.segments).toBe(files().length);
  const range = listing.ranges[0]!;
  // from 1.5 s in, 5 s long: six segment files, cut at the keyframes at 1 s and 7 s
  const startTimeMs = range.startMs + 1500;
  const started = await running.weir.api('POST', '/recordings/export', { app: 'live', stream: 'cam', startTimeMs, durationMs: 5000, fileName: 'clip' });
  expect(started.status).toBe(202);
  expect(started.json).toMatchObject({ state: expect.stringMatching(/^(queued|running|done)$/), fileName: 'clip.mp4' });
  let job = started.json;
  for (let i = 0; i < 200 && job.state !== 'done' && job.state !== 'failed'; i++) {
    await Bun.sleep(50);
    job = (await running.weir.api('GET', `/recordings/exports/${job.id}`)).json;
  }
  expect(job).toMatchObject({ state: 'done', progress: 1, error: null, firstTimeMs: range.startMs + 1000 });
  expect(job.durationMs).toBeGreaterThanOrEqual(5900);
  expect(job.durationMs).toBeLessThanOrEqual(6200);

  const download = await running.weir.raw(job.downloadUrl.replace('/api/v1', ''));
  expect(download.status).toBe(200);
  expect(download.headers.get('content-disposition')).toBe('attachment; filename="clip.mp4"');
  const bytes = await download.bytes();
  expect(bytes.byteLength).toBe(job.sizeBytes);
  const boxes: string[] = [];
  for (let at = 0, view = new DataView(bytes.buffer); at + 8 <= bytes.length; at += view.getUint32(at)) boxes.push(new TextDecoder().decode(bytes.subarray(at + 4, at + 8)));
  expect(boxes).toEqual(['ftyp', 'moov', 'mdat']); // moov first: plays while it downloads

  const path = join(running.dir, 'clip.mp4');
  writeFileSync(path, bytes);
  const decoded = await run(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', '-i', path, '-f', 'null', '-']);
  expect(decoded.stderr).toBe('');
  const probed = await run(['ffprobe', '-v', 'error', '-of', 'json', '-show_packets', '-show_streams', path]);
  const json = JSON.parse(probed.stdout) as { packets: Array<{ codec_type: string; dts_time: string; pts_time: string; flags: string }>; streams: Array<{ codec_name: string }> };
  expect(json.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  const video = json.packets.filter((p) => p.codec_type === 'video');
  const audio = json.packets.filter((p) => p.codec_type === 'audio').map((p) => Number(p.dts_time));
  expect(video[0]!.flags.startsWith('K')).toBe(true);
  expect(video.length).toBe(150); // 6 s at 25 fps, frames of six 1 s files
  const videoDts = video.map((p) => Number(p.dts_time));
  for (let i = 1; i < videoDts.length; i++) expect({ i, step: +(videoDts[i]! - videoDts[i - 1]!).toFixed(3) }).toEqual({ i, step: 0.04 });
  expect(audio.length).toBeGreaterThan(250);
  for (let i = 1; i < audio.length; i++) expect(Math.abs(audio[i]! - audio[i - 1]! - 1024 / 44100)).toBeLessThan(0.0016);
  // the audio runs beside the video the whole way
  expect(Math.abs(audio[0]! - videoDts[0]!)).toBeLessThan(0.05);
  expect(Math.abs(audio.at(-1)! - videoDts.at(-1)!)).toBeLessThan(0.1);
}, 60_000);

test('refusals come back as problems with the reason', async () => {
  const empty = await running.weir.api('POST', '/recordings/export', { app: 'live', stream: 'cam', startTimeMs: 1000, endTimeMs: 2000 });
  expect(empty.status).toBe(404);
  expect(empty.json.detail).toContain('nothing of');
  const unknown = await running.weir.api('GET', '/recordings/exports/nope');
  expect(unknown.status).toBe(404);
});

test('DELETE removes the segments of a range from disk and from the listing', async () => {
  const before = files();
  const range = (await listed()).ranges[0]!;
  const res = await running.weir.api('DELETE', `/recordings/live/cam?startTimeMs=${range.startMs}&endTimeMs=${range.startMs + 2500}`);
  expect(res.status).toBe(200);
  expect(res.json.deleted).toBe(3); // the files at 0, 1 and 2 s overlap [0, 2.5 s)
  expect(files()).toEqual(before.slice(3));
  const after = await listed();
  expect(after.segments).toBe(before.length - 3);
  expect(after.ranges[0]!.startMs).toBe(parseSegmentName(before[3]!)!.startMs);
});
