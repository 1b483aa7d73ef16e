// Relays against a peer we did not write: forward to ffmpeg listening as an RTMP server and
// decode what it recorded; pull a stream that ffmpeg serves and play it from the engine;
// kill and restart that upstream and see the pull resume with an HLS discontinuity.
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { decode, killAll, probe, publishPattern, spawnBackground, tempDir, testPatternArgs, waitFor } from '../e2e/harness.ts';
import { freePort, startRelayEngine, type RelayTestEngine } from './relay-harness.ts';
import { joinHls } from '../e2e/hls-session.ts';

const engines: RelayTestEngine[] = [];
const dir = tempDir();
afterAll(async () => {
  for (const engine of engines) engine.stop();
  await killAll();
  dir.remove();
});

function serveWithFfmpeg(port: number, seconds: number) {
  return spawnBackground([
    'ffmpeg', ...testPatternArgs({ seconds, bFrames: 0, gop: 25 }),
    '-f', 'flv', '-listen', '1', `rtmp://127.0.0.1:${port}/live/src`,
  ]);
}

describe('relay with ffmpeg as the peer', () => {
  test('forwards a publish to ffmpeg listening, which records a decodable stream', async () => {
    const port = freePort();
    const out = join(dir.path, 'forwarded.flv');
    const receiver = spawnBackground(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/x`, '-c', 'copy', '-y', out]);
    await Bun.sleep(500);
    const engine = startRelayEngine({ forwardTargets: () => [`rtmp://127.0.0.1:${port}/live/x`] });
    engines.push(engine);
    const publisher = await publishPattern(engine.rtmpUrl('live/fwd'), { seconds: 5, bFrames: 2 });
    expect(await waitFor(() => engine.relays.status().some((r) => r.kind === 'forward' && r.state === 'live'), 8000)).toBe(true);
    await publisher.proc.exited;
    await receiver.proc.exited;
    const probed = await probe(out, { packets: true });
    const codecs = probed.streams.map((s) => s.codec_name).sort();
    expect(codecs).toEqual(['aac', 'h264']);
    const video = probed.packets.filter((p) => p.codec_type === 'video');
    expect(video.length).toBeGreaterThan(60);
    expect(video[0]!.flags?.startsWith('K')).toBe(true);
    const decoded = await decode(out, 10);
    expect(decoded.stderr).toBe('');
    expect(engine.relays.status().filter((r) => r.kind === 'forward')).toEqual([]); // stopped with its publisher
  }, 60_000);

  test('pulls a stream ffmpeg serves; restarting the upstream resumes the pull with an HLS discontinuity', async () => {
    const port = freePort();
    let upstream = serveWithFfmpeg(port, 6);
    await Bun.sleep(500);
    const engine = startRelayEngine({ pulls: [{ id: 'cam', app: 'live', stream: 'cam', url: `rtmp://127.0.0.1:${port}/live/src`, enabled: true }] });
    engines.push(engine);
    expect(await waitFor(() => engine.relay('cam')?.state === 'live', 8000)).toBe(true);
    const probed = await probe(engine.httpUrl('live/cam.flv'), { packets: true, seconds: 1 });
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(engine.relay('cam')!.bytesIn).toBeGreaterThan(10_000);

    // The upstream dies: the pull retries with the error shown, then resumes on a new upstream.
    await upstream.stop();
    expect(await waitFor(() => engine.relay('cam')?.state === 'retrying', 5000)).toBe(true);
    expect(engine.relay('cam')!.lastError).toBeTruthy();
    upstream = serveWithFfmpeg(port, 8);
    expect(await waitFor(() => engine.relay('cam')?.state === 'live', 10_000)).toBe(true);
    expect(engine.relay('cam')!.retries).toBeGreaterThan(0);
    let playlist = '';
    await waitFor(() => false, 3000);
    const response = await fetch(await joinHls(engine.httpUrl('live/cam/index.m3u8')));
    playlist = await response.text();
    expect(response.status).toBe(200);
    expect(playlist).toContain('#EXT-X-DISCONTINUITY');
    const played = await decode(engine.httpUrl('live/cam.flv'), 2);
    expect(played.exitCode).toBe(0);
    await upstream.stop();
  }, 60_000);
});
