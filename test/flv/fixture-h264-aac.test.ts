import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFlvHeader, encodeFlvTag } from '../../src/flv/encode-flv.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { FlvTagType } from '../../src/flv/flv-tag-type.ts';
import { parseAudioTag } from '../../src/flv/parse-audio-tag.ts';
import { parseVideoTag } from '../../src/flv/parse-video-tag.ts';
import type { VideoTagInfo } from '../../src/flv/parse-video-tag.ts';
import { parseAudioSpecificConfig } from '../../src/media/aac.ts';
import { parseAvcDecoderConfig, parseH264Sps } from '../../src/media/h264.ts';

const FIXTURE = join(import.meta.dir, '../fixtures/flv/h264-aac.flv');
const fileBytes = new Uint8Array(readFileSync(FIXTURE));
const tags = new FlvReader().push(fileBytes);
const tempDir = mkdtempSync(join(tmpdir(), 'weir-flv-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

function run(cmd: string[]): { exitCode: number; stdout: string; stderr: string } {
  const result = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' });
  return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

type Frame = Extract<VideoTagInfo, { kind: 'frame' }> & { timestampMs: number };

describe('ffmpeg fixture h264-aac.flv', () => {
  const video = tags.filter((t) => t.tagType === FlvTagType.Video).map((t) => ({ t, info: parseVideoTag(t.body) }));
  const audio = tags.filter((t) => t.tagType === FlvTagType.Audio).map((t) => ({ t, info: parseAudioTag(t.body) }));
  const frames: Frame[] = video.flatMap(({ t, info }) =>
    info.kind === 'frame' ? [{ ...info, timestampMs: t.timestampMs }] : [],
  );

  test('reads every byte as tags: script, then sequence headers, then frames', () => {
    expect(tags[0]!.tagType).toBe(FlvTagType.Script);
    expect(tags.every((t) => [8, 9, 18].includes(t.tagType))).toBe(true);
    expect(video[0]!.info.kind).toBe('sequence-header');
    expect(audio[0]!.info.kind).toBe('sequence-header');
    expect(frames.length).toBe(25);
  });

  test('the SPS in the AVC sequence header gives 320x240 at 25 fps', () => {
    const seq = video[0]!.info;
    if (seq.kind !== 'sequence-header') throw new Error('no sequence header');
    expect(seq.codec).toBe('h264');
    const avcC = parseAvcDecoderConfig(seq.config);
    expect(avcC.lengthSizeBytes).toBe(4);
    expect(avcC.sps.length).toBe(1);
    expect(avcC.pps.length).toBe(1);
    const sps = parseH264Sps(avcC.sps[0]!);
    expect(sps.width).toBe(320);
    expect(sps.height).toBe(240);
    expect(sps.chromaFormatIdc).toBe(3); // testsrc is RGB: libx264 encodes 4:4:4
    expect(sps.frameRate).toBe(25);
  });

  test('frames hold whole length-prefixed NAL units', () => {
    for (const f of frames) {
      let at = 0;
      while (at < f.data.length) {
        const size = new DataView(f.data.buffer, f.data.byteOffset + at, 4).getUint32(0);
        at += 4 + size;
      }
      expect(at).toBe(f.data.length);
    }
  });

  test('the ASC matches what ffprobe reports', () => {
    const seq = audio[0]!.info;
    if (seq.kind !== 'sequence-header') throw new Error('no sequence header');
    const asc = parseAudioSpecificConfig(seq.config);
    expect(asc.objectType).toBe(2);
    expect([44100, 48000]).toContain(asc.sampleRateHz);
    expect(audio.slice(1).every(({ info }) => info.kind === 'frame' && info.codec === 'aac')).toBe(true);
    const probe = run(['ffprobe', '-v', 'error', '-select_streams', 'a', '-show_entries', 'stream=sample_rate,channels', '-of', 'json', FIXTURE]);
    const stream = JSON.parse(probe.stdout).streams[0];
    expect(asc.sampleRateHz).toBe(Number(stream.sample_rate));
    expect(asc.channels).toBe(stream.channels);
  });

  test('keyframes and composition times: one keyframe first, B-frames reorder', () => {
    expect(frames[0]!.keyframe).toBe(true);
    expect(frames.filter((f) => f.keyframe).length).toBe(1);
    expect(frames.some((f) => f.compositionTimeMs > 0)).toBe(true);
    expect(frames.every((f) => f.compositionTimeMs % 40 === 0)).toBe(true);
    // presentation times are the 25 distinct frame slots
    const pts = frames.map((f) => f.timestampMs + f.compositionTimeMs).sort((a, b) => a - b);
    expect(new Set(pts).size).toBe(25);
    expect(pts[24]! - pts[0]!).toBe(24 * 40);
  });

  test('keyframe flags and pts - dts agree with ffprobe packet by packet', () => {
    const probe = run([
      'ffprobe', '-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts,dts,flags', '-of', 'json', FIXTURE,
    ]);
    expect(probe.exitCode).toBe(0);
    const packets: { pts: number; dts: number; flags: string }[] = JSON.parse(probe.stdout).packets;
    expect(packets.length).toBe(frames.length);
    packets.forEach((p, i) => {
      const f = frames[i]!;
      expect(f.timestampMs).toBe(p.dts);
      expect(f.compositionTimeMs).toBe(p.pts - p.dts);
      expect(f.keyframe).toBe(p.flags.startsWith('K'));
    });
  });

  test('re-encoding every tag gives the same bytes', () => {
    const parts = [encodeFlvHeader({ hasAudio: true, hasVideo: true })];
    for (const t of tags) parts.push(encodeFlvTag(t.tagType as FlvTagType, t.timestampMs, t.body));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    expect(out.length).toBe(fileBytes.length);
    expect(Buffer.from(out).equals(Buffer.from(fileBytes))).toBe(true);
  });

  test('ffprobe and ffmpeg read our re-encoded file without errors', () => {
    // Timestamps shifted by 1 s so the file differs from the fixture and is ours end to end.
    const parts = [encodeFlvHeader({ hasAudio: true, hasVideo: true })];
    for (const t of tags) parts.push(encodeFlvTag(t.tagType as FlvTagType, t.timestampMs + 1000, t.body));
    const path = join(tempDir, 'out.flv');
    writeFileSync(path, Buffer.concat(parts));
    const probe = run(['ffprobe', '-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', path]);
    expect(probe.stderr).toBe('');
    expect(probe.exitCode).toBe(0);
    const streams = JSON.parse(probe.stdout).streams as { codec_name: string; width?: number; height?: number }[];
    expect(streams).toContainEqual({ codec_name: 'h264', width: 320, height: 240 });
    expect(streams.some((s) => s.codec_name === 'aac')).toBe(true);
    const decode = run(['ffmpeg', '-v', 'error', '-i', path, '-f', 'null', '-']);
    expect(decode.stderr).toBe('');
    expect(decode.exitCode).toBe(0);
  });
});
