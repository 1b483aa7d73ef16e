// TsDemuxer against ffmpeg-written MPEG-TS and our own muxer's strict reader: tracks, access units, PTS/DTS,
// split invariance, resync, continuity gaps, 33-bit wrap, and garbage that must end in a ProtocolError.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsDemuxer, type TsAccessUnit, type TsDemuxEvent } from '../../src/remux/ts-demuxer.ts';
import { crc32Mpeg2 } from '../../src/remux/ts-crc32.ts';
import { isProtocolError, ProtocolError } from '../../src/shared/protocol-error.ts';
import { readPes, readTsPackets } from './ts-demux.ts';

let dir = '';
let ts: Uint8Array;
let wrapped: Uint8Array;

function ffmpeg(args: string[]): void {
  const r = Bun.spawnSync(['ffmpeg', '-hide_banner', '-v', 'error', '-y', ...args], { stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
}

const SOURCE = [
  '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
  '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k',
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weir-tsdemux-'));
  ffmpeg([...SOURCE, '-t', '2', '-f', 'mpegts', join(dir, 'a.ts')]);
  // 2^33 / 90000 = 95443.72 s: starting at 95442 s crosses the 33-bit wrap.
  ffmpeg([...SOURCE, '-t', '3', '-output_ts_offset', '95442', '-f', 'mpegts', join(dir, 'wrap.ts')]);
  ts = new Uint8Array(readFileSync(join(dir, 'a.ts')));
  wrapped = new Uint8Array(readFileSync(join(dir, 'wrap.ts')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function demuxAll(bytes: Uint8Array, chunk = bytes.length): TsDemuxEvent[] {
  const d = new TsDemuxer();
  const events: TsDemuxEvent[] = [];
  for (let at = 0; at < bytes.length; at += chunk) events.push(...d.push(bytes.subarray(at, at + chunk)));
  events.push(...d.flush());
  return events;
}

const units = (events: TsDemuxEvent[]) => events.filter((e): e is TsDemuxEvent & TsAccessUnit => e.kind === 'access-unit');
const summary = (events: TsDemuxEvent[]) =>
  events.map((e) => (e.kind === 'access-unit' ? `${e.pid}:${e.ptsTicks90k}:${e.dtsTicks90k}:${e.data.length}:${Bun.hash(e.data)}` : JSON.stringify(e)));

describe('TsDemuxer', () => {
  test('finds H.264 and AAC tracks and every PES the strict reader finds', () => {
    const events = demuxAll(ts);
    const tracks = events.find((e) => e.kind === 'tracks');
    expect(tracks).toEqual({
      kind: 'tracks',
      tracks: [
        { pid: 256, codec: 'h264', streamType: 0x1b, kind: 'video' },
        { pid: 257, codec: 'aac', streamType: 0x0f, kind: 'audio' },
      ],
    });
    const packets = readTsPackets(ts);
    for (const pid of [256, 257]) {
      const expected = readPes(packets, pid);
      const got = units(events).filter((u) => u.pid === pid);
      expect(got.length).toBe(expected.length);
      got.forEach((u, i) => {
        expect(u.ptsTicks90k).toBe(expected[i]!.pts);
        expect(u.dtsTicks90k).toBe(expected[i]!.dts);
        expect(Bun.hash(u.data)).toBe(Bun.hash(expected[i]!.es));
      });
    }
    const video = units(events).filter((u) => u.pid === 256);
    expect(video.length).toBe(50);
    expect(video.some((u) => u.ptsTicks90k !== u.dtsTicks90k)).toBe(true); // B-frames
    expect(video[0]!.randomAccess).toBe(true);
    expect(events.some((e) => e.kind === 'continuity-gap' || e.kind === 'resync')).toBe(false);
  });

  test('any split gives the same events (byte by byte on the first 40 kB)', () => {
    const head = ts.subarray(0, 188 * 213);
    const whole = summary(demuxAll(head));
    expect(summary(demuxAll(head, 1))).toEqual(whole);
    for (const chunk of [7, 188, 1000, 4096]) expect(summary(demuxAll(ts, chunk))).toEqual(summary(demuxAll(ts)));
  });

  test('unwraps the 33-bit clock into a growing timeline', () => {
    const video = units(demuxAll(wrapped, 5000)).filter((u) => u.pid === 256);
    expect(video.length).toBe(75);
    expect(video.at(-1)!.dtsTicks90k).toBeGreaterThan(2 ** 33);
    for (let i = 1; i < video.length; i++) expect(video[i]!.dtsTicks90k).toBeGreaterThan(video[i - 1]!.dtsTicks90k);
    for (const u of video) expect(Math.abs(u.ptsTicks90k - u.dtsTicks90k)).toBeLessThan(90000);
  });

  test('skips junk between packets and reports the resync', () => {
    const junk = new Uint8Array(100).fill(0x55);
    const spliced = new Uint8Array(ts.length + junk.length);
    const cut = 188 * 50;
    spliced.set(ts.subarray(0, cut));
    spliced.set(junk, cut);
    spliced.set(ts.subarray(cut), cut + junk.length);
    const events = demuxAll(spliced, 333);
    expect(events.filter((e) => e.kind === 'resync')).toEqual([{ kind: 'resync', skippedBytes: 100 }]);
    expect(units(events).length).toBeGreaterThan(units(demuxAll(ts)).length - 3);
  });

  test('reports a continuity gap and drops the damaged access unit, not the stream', () => {
    const packets = readTsPackets(ts);
    const index = packets.findIndex((p, i) => i > 60 && p.pid === 256 && !p.payloadUnitStart);
    const cut = new Uint8Array(ts.length - 188);
    cut.set(ts.subarray(0, index * 188));
    cut.set(ts.subarray((index + 1) * 188), index * 188);
    const events = demuxAll(cut);
    const gaps = events.filter((e) => e.kind === 'continuity-gap');
    expect(gaps.length).toBe(1);
    expect(gaps[0]).toMatchObject({ pid: 256 });
    expect(units(events).filter((u) => u.pid === 256).length).toBe(49);
  });

  test('a PES header split across TS packets: PES_packet_length read once, bounded and unbounded PES whole', () => {
    const packets = readTsPackets(ts);
    const pat = packets.findIndex((p) => p.pid === 0);
    const pmt = packets.findIndex((p) => p.pid === 0x1000); // ffmpeg's PMT PID
    const psi = [ts.subarray(pat * 188, pat * 188 + 188), ts.subarray(pmt * 188, pmt * 188 + 188)];
    let cc = 0;
    /** one TS packet on PID 256 carrying `payload` (up to 184 bytes), stuffed by an adaptation field */
    const packet = (payload: Uint8Array, unitStart: boolean) => {
      const p = new Uint8Array(188);
      p.set([0x47, (unitStart ? 0x40 : 0) | 0x01, 0x00, 0x30 | (cc++ & 0x0f)]);
      const stuffing = 184 - payload.length;
      if (stuffing === 0) p[3] = 0x10 | (p[3]! & 0x0f);
      else {
        p[4] = stuffing - 1;
        if (stuffing > 1) p.fill(0xff, 6, 4 + stuffing).set([0x00], 5);
      }
      p.set(payload, 188 - payload.length);
      return p;
    };
    /** a PES with a PTS, its 14-byte header split after `firstBytes` bytes, the rest in full packets */
    const pes = (es: Uint8Array, bounded: boolean, firstBytes: number) => {
      const header = [0x00, 0x00, 0x01, 0xe0, 0, 0, 0x80, 0x80, 5, 0x21, 0x00, 0x01, 0x00, 0x01];
      const whole = new Uint8Array(header.length + es.length);
      whole.set(header);
      whole.set(es, header.length);
      if (bounded) whole.set([(whole.length - 6) >> 8, (whole.length - 6) & 0xff], 4);
      const out = [packet(whole.subarray(0, firstBytes), true)];
      for (let at = firstBytes; at < whole.length; at += 184) out.push(packet(whole.subarray(at, at + 184), false));
      return out;
    };
    const es = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
    const first = es(30_000, 1);
    const second = es(4_000, 2);
    for (const firstBytes of [1, 4, 5, 6, 184]) {
      cc = 0;
      const d = new TsDemuxer();
      const got: TsAccessUnit[] = [];
      for (const p of psi) got.push(...units(d.push(p)));
      // bounded: the access unit comes out with its last packet, no flush needed
      for (const p of pes(first, true, firstBytes)) got.push(...units(d.push(p)));
      expect(got.map((u) => u.data.length)).toEqual([first.length]);
      // unbounded (PES_packet_length 0, as video usually has): out at the next unit start
      for (const p of pes(second, false, firstBytes)) got.push(...units(d.push(p)));
      expect(got.length).toBe(1);
      got.push(...units(d.push(pes(es(10, 3), false, 184)[0]!)));
      expect(got.map((u) => u.data.length)).toEqual([first.length, second.length]);
      expect(Bun.hash(got[0]!.data)).toBe(Bun.hash(first));
      expect(Bun.hash(got[1]!.data)).toBe(Bun.hash(second));
    }
  });

  test('a PSI section with a bad CRC is a ProtocolError', () => {
    const bad = ts.slice(0, 188 * 4);
    const index = readTsPackets(bad).findIndex((p) => p.pid === 0);
    const pat = bad.subarray(index * 188, index * 188 + 188);
    expect(crc32Mpeg2(pat.subarray(5, 5 + 16))).toBe(0); // the PAT section is 16 bytes, CRC included
    pat[5 + 8] = pat[5 + 8]! ^ 0xff;
    expect(() => new TsDemuxer().push(bad)).toThrow(ProtocolError);
  });

  test('data that is not TS is a ProtocolError, never a hang', () => {
    const text = new TextEncoder().encode('#EXTM3U\n'.repeat(400));
    expect(() => demuxAll(text, 100)).toThrow(ProtocolError);
  });

  test('fuzz: random damage gives events or a ProtocolError, quickly', () => {
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const sample = ts.subarray(0, 188 * 300);
    const started = performance.now();
    let errors = 0;
    for (let round = 0; round < 300; round++) {
      const bytes = sample.slice();
      const flips = 1 + Math.floor(random() * 20);
      for (let i = 0; i < flips; i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      if (round % 10 === 0) bytes.fill(Math.floor(random() * 256), Math.floor(random() * bytes.length / 2), bytes.length);
      try {
        demuxAll(bytes, 1 + Math.floor(random() * 2000));
      } catch (err) {
        if (!isProtocolError(err)) throw err;
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
