// HlsSegmentConverter: segments to FLV tags on one monotonic timeline across 33-bit wrap and discontinuities.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EncodedTag } from '../../src/flv/encode-tag.ts';
import { HlsSegmentConverter } from '../../src/relay/hls-pull-media.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';

let dir = '';
const SOURCE = [
  '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
  '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k',
];
function segments(name: string, offsetSec: number): Uint8Array[] {
  const sub = join(dir, name);
  Bun.spawnSync(['mkdir', '-p', sub]);
  const r = Bun.spawnSync(['ffmpeg', '-hide_banner', '-v', 'error', '-y', ...SOURCE, '-t', '4', '-output_ts_offset', String(offsetSec),
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0', join(sub, 'index.m3u8')], { stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return readdirSync(sub).filter((f) => f.endsWith('.ts')).sort((a, b) => parseInt(a.replace(/\D/g, '')) - parseInt(b.replace(/\D/g, '')))
    .map((f) => new Uint8Array(readFileSync(join(sub, f))));
}
let plain: Uint8Array[] = [];
let wrapping: Uint8Array[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weir-hlsmedia-'));
  plain = segments('plain', 0);
  wrapping = segments('wrap', 95441); // crosses 2^33 ticks after about 2.7 s
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checkMonotonic(tags: EncodedTag[]): void {
  for (const type of [8, 9]) {
    const ts = tags.filter((t) => t.type === type).map((t) => t.timestampMs);
    for (let i = 1; i < ts.length; i++) expect(ts[i]!).toBeGreaterThanOrEqual(ts[i - 1]!);
  }
}
const isVideoHeader = (t: EncodedTag) => t.type === 9 && t.body[1] === 0;

describe('HlsSegmentConverter', () => {
  test('timestamps start near 0 and run on across the 33-bit wrap', () => {
    expect(wrapping.length).toBeGreaterThanOrEqual(3);
    const c = new HlsSegmentConverter();
    const tags = wrapping.flatMap((bytes) => c.convert({ bytes, discontinuity: false, targetDurationSec: 1 }).tags);
    checkMonotonic(tags);
    const video = tags.filter((t) => t.type === 9 && t.body[1] === 1);
    expect(video.length).toBe(100);
    expect(video[0]!.timestampMs).toBeLessThan(100);
    expect(video.at(-1)!.timestampMs - video[0]!.timestampMs).toBe(99 * 40);
  });

  test('a tagged or untagged discontinuity continues after the last tag and re-sends sequence headers', () => {
    for (const tagged of [true, false]) {
      const c = new HlsSegmentConverter();
      const first = plain.flatMap((bytes) => c.convert({ bytes, discontinuity: false, targetDurationSec: 1 }).tags);
      const second = wrapping.flatMap((bytes, i) => c.convert({ bytes, discontinuity: tagged && i === 0, targetDurationSec: 1 }).tags);
      const all = [...first, ...second];
      checkMonotonic(all);
      expect(isVideoHeader(second[0]!) || second.slice(0, 3).some(isVideoHeader)).toBe(true);
      const lastBefore = Math.max(...first.map((t) => t.timestampMs));
      const firstAfter = Math.min(...second.map((t) => t.timestampMs));
      expect(firstAfter).toBeGreaterThan(lastBefore);
      expect(firstAfter - lastBefore).toBeLessThan(100);
    }
  });

  test('an fMP4 segment is reported as unsupported', () => {
    const c = new HlsSegmentConverter();
    expect(() => c.convert({ bytes: Uint8Array.of(0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70), discontinuity: false, targetDurationSec: 1 })).toThrow(ProtocolError);
  });
});
