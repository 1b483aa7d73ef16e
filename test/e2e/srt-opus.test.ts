// Opus over SRT with real libsrt: ffmpeg publishes H.264 + Opus in MPEG-TS; an SRT viewer gets both tracks back
// in MPEG-TS (Opus as private data) and decodes them; HTTP-FLV carries Opus as Enhanced RTMP tags (players without
// Enhanced RTMP audio, e.g. ffmpeg before 6.1 or flv.js, play its video only); TS-HLS is not offered, logged once;
// LL-HLS (fMP4) follows what the fMP4 muxer supports.
import { afterEach, expect, test } from 'bun:test';
import { concatBytes } from '../../src/media/bytes.ts';
import { encodeOpusHead } from '../../src/media/opus-head.ts';
import { AudioCodec } from '../../src/media/types.ts';
import { isFmp4Supported } from '../../src/remux/fmp4-muxer.ts';
import { decode, freePort, killAll, probe, spawnBackground, startTestEngine, waitFor, type TestEngine } from './harness.ts';

const engines: TestEngine[] = [];
afterEach(async () => {
  await killAll();
  for (const engine of engines.splice(0)) engine.stop();
});

const srtUrl = (port: number, path: string, mode: 'publish' | 'request') => `srt://127.0.0.1:${port}?streamid=#!::r=${path},m=${mode}`;

test('ffmpeg publishes H.264 + Opus over SRT; SRT and HTTP-FLV viewers get Opus; TS-HLS is not offered, logged once', async () => {
  const port = freePort();
  const engine = startTestEngine({ srt: { port, passphrase: null } });
  engines.push(engine);
  await engine.ready;
  spawnBackground([
    'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '40', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '25', '-pix_fmt', 'yuv420p', '-b:v', '400k',
    '-c:a', 'libopus', '-b:a', '64k', '-ac', '2', '-f', 'mpegts', srtUrl(port, 'live/opus', 'publish'),
  ]);
  const live = () => engine.context.streams.list().some((s) => s.path === 'live/opus' && s.started && s.publisher !== null);
  expect(await waitFor(live, 15_000)).toBe(true);

  const srt = srtUrl(port, 'live/opus', 'request');
  const srtProbe = await probe(srt, { seconds: 3 });
  expect(srtProbe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:opus', 'video:h264']);
  const srtDecode = await decode(srt, 3);
  expect({ stderr: srtDecode.stderr, exitCode: srtDecode.exitCode }).toEqual({ stderr: '', exitCode: 0 });

  // HTTP-FLV: the Opus track is an Enhanced RTMP ExAudioTagHeader ('Opus' FourCC) sequence start and frames
  const flv = await fetch(engine.httpUrl('live/opus.flv'));
  const reader = flv.body!.getReader();
  const chunks: Uint8Array[] = [];
  for (let total = 0; total < 64 * 1024; ) {
    const { value, done } = await reader.read();
    if (done || !value) break;
    chunks.push(value);
    total += value.length;
  }
  await reader.cancel();
  const bytes = concatBytes(chunks);
  const text = new TextDecoder('latin1').decode(bytes);
  expect(text.includes('Opus')).toBe(true);
  expect(text.includes('OpusHead')).toBe(true);

  // what legacy viewers get is said once for the publisher, however many PMTs repeat the tracks
  expect(engine.logs.filter((l) => l.includes('legacy players play the video only')).length).toBe(1);

  // TS-HLS: HLS players do not decode Opus from MPEG-TS, so that variant is not offered: said once in the log
  for (let i = 0; i < 3; i++) await (await fetch(engine.httpUrl('live/opus/index.m3u8'))).text();
  const warned = (variant: string) => engine.logs.filter((l) => l.includes(`${variant} not offered: codec not supported`) && l.includes('codecs=opus'));
  expect(warned('HLS (MPEG-TS)').length).toBe(1);
  // LL-HLS (fMP4) carries Opus once the fMP4 muxer has an Opus sample entry (the WebRTC branch adds one); until
  // then it is not offered either, logged once. Either way the answer is the muxer's own, checked end to end.
  const opusTrack = { id: 2, kind: 'audio', codec: AudioCodec.Opus, timescale: 90_000, config: encodeOpusHead(2) } as const;
  if (!isFmp4Supported(opusTrack)) {
    expect(warned('LL-HLS (fMP4)').length).toBe(1);
    return;
  }
  const ll = engine.httpUrl('live/opus/ll.m3u8');
  let probed: Awaited<ReturnType<typeof probe>> | null = null;
  // the first playlists may still be the video-only start: probe until both tracks show (bounded)
  for (let i = 0; i < 10 && (probed?.streams.length ?? 0) < 2; i++) probed = await probe(ll);
  expect(probed!.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:opus', 'video:h264']);
  const llDecode = await decode(ll, 2);
  expect({ stderr: llDecode.stderr, exitCode: llDecode.exitCode }).toEqual({ stderr: '', exitCode: 0 });
}, 120_000);
