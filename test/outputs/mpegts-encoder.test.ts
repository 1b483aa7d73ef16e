// The shared MPEG-TS output encoder (SRT play) on ffmpeg's H.264+AAC fixture: one continuity
// counter per PID across muxer rebuilds (each sequence header rebuilds the muxer), PAT/PMT
// ahead of every keyframe, and the result decodes cleanly in ffmpeg; TsIngest (SRT publish)
// reads it back into the same frames whatever the datagram split.
import { concatBytes } from '../../src/media/bytes.ts';
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyTag } from '../../src/flv/classify-tag.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { parseVideoTag } from '../../src/flv/parse-video-tag.ts';
import type { MediaPacket, PacketType } from '../../src/hub/media-packet.ts';
import { mpegtsPacketEncoder } from '../../src/outputs/mpegts-encoder.ts';
import { TsIngest } from '../../src/flv/ts-ingest.ts';

const tags = new FlvReader().push(new Uint8Array(readFileSync(join(import.meta.dir, '../fixtures/flv/h264-aac.flv'))));
const packets: MediaPacket[] = tags
  .filter((t) => t.tagType === 8 || t.tagType === 9)
  .map((t) => {
    const c = classifyTag(t.tagType, t.body);
    return { type: t.tagType as PacketType, timestampMs: t.timestampMs, body: t.body, header: c.header, randomAccess: c.keyframe, discontinuity: false };
  });
const tempDir = mkdtempSync(join(tmpdir(), 'weir-mpegts-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));


describe('mpegtsPacketEncoder', () => {
  const encode = mpegtsPacketEncoder();
  const pieces = packets.map((p) => encode(p));
  const ts = concatBytes(pieces);

  test('whole 188-byte packets, one continuity counter per PID from the first byte to the last', () => {
    expect(ts.byteLength % 188).toBe(0);
    const last = new Map<number, number>();
    let breaks = 0;
    for (let at = 0; at < ts.byteLength; at += 188) {
      expect(ts[at]).toBe(0x47);
      if ((ts[at + 3]! & 0x10) === 0) continue;
      const pid = ((ts[at + 1]! << 8) | ts[at + 2]!) & 0x1fff;
      const cc = ts[at + 3]! & 0x0f;
      const prev = last.get(pid);
      if (prev !== undefined && cc !== ((prev + 1) & 0x0f)) breaks++;
      last.set(pid, cc);
    }
    expect(breaks).toBe(0);
    expect([...last.keys()].sort((a, b) => a - b)).toEqual([0, 256, 257, 4096]);
  });

  test('PAT and PMT come before every video keyframe', () => {
    const keyframes = packets.map((p, i) => ({ p, i })).filter(({ p }) => p.type === 9 && !p.header && p.randomAccess);
    expect(keyframes.length).toBeGreaterThan(0);
    for (const { i } of keyframes) {
      const bytes = pieces[i]!;
      expect(((bytes[1]! << 8) | bytes[2]!) & 0x1fff).toBe(0);
      expect(((bytes[189]! << 8) | bytes[190]!) & 0x1fff).toBe(4096);
    }
  });

  test('ffmpeg decodes it with both tracks and no error', () => {
    const file = join(tempDir, 'out.ts');
    writeFileSync(file, ts);
    const decoded = Bun.spawnSync(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', '-i', file, '-f', 'null', '-'], { stderr: 'pipe' });
    expect(decoded.stderr.toString()).toBe('');
    expect(decoded.exitCode).toBe(0);
    const probed = Bun.spawnSync(['ffprobe', '-v', 'error', '-show_streams', '-of', 'json', file], { stdout: 'pipe' });
    const streams = (JSON.parse(probed.stdout.toString()) as { streams: Array<{ codec_name: string }> }).streams;
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  });

  test('TsIngest reads it back to the same frames, in 1316-byte datagrams or byte by byte', () => {
    const whole = new TsIngest();
    const datagrams = [];
    for (let at = 0; at < ts.byteLength; at += 1316) datagrams.push(...whole.push(ts.subarray(at, at + 1316)).tags);
    datagrams.push(...whole.flush());
    const single = new TsIngest();
    const bytewise = [];
    for (let at = 0; at < ts.byteLength; at++) bytewise.push(...single.push(ts.subarray(at, at + 1)).tags);
    bytewise.push(...single.flush());
    expect(datagrams.filter((t) => t.type === 8).length).toBe(packets.filter((p) => p.type === 8).length);
    expect(bytewise.map((t) => [t.type, t.timestampMs, t.body.byteLength])).toEqual(datagrams.map((t) => [t.type, t.timestampMs, t.body.byteLength]));
    // coded frames only: the fixture ends with an AVC end-of-sequence tag, which carries no picture
    const sourceVideo = packets.filter((p) => p.type === 9 && parseVideoTag(p.body).kind === 'frame').map((p) => p.timestampMs);
    const readVideo = datagrams.filter((t) => t.type === 9).slice(1).map((t) => t.timestampMs);
    expect(readVideo).toEqual(sourceVideo);
  });
});
