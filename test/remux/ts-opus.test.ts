// Opus in MPEG-TS both ways, byte for byte against ffmpeg: the demuxer finds the Opus track by its registration
// descriptor and splits ffmpeg's PES (several Opus packets each, control headers with start_trim) into the very
// packets ffprobe lists; TsIngest turns them into Enhanced RTMP Opus tags with an OpusHead; the shared MPEG-TS
// output writes them back as stream_type 0x06 / stream_id 0xBD with ffmpeg's descriptors, and ffmpeg decodes it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyTag } from '../../src/flv/classify-tag.ts';
import { parseAudioTag } from '../../src/flv/parse-audio-tag.ts';
import { TsIngest } from '../../src/flv/ts-ingest.ts';
import type { MediaPacket } from '../../src/hub/media-packet.ts';
import { concatBytes } from '../../src/media/bytes.ts';
import { encodeOpusHead, parseOpusHead } from '../../src/media/opus-head.ts';
import { AudioCodec } from '../../src/media/types.ts';
import { mpegtsPacketEncoder } from '../../src/outputs/mpegts-encoder.ts';
import { TsDemuxer, type TsAccessUnit, type TsDemuxEvent } from '../../src/remux/ts-demuxer.ts';
import { isTsMuxable, isTsSupported, TsMuxer } from '../../src/remux/ts-muxer.ts';
import { encodeOpusControlHeader, opusChannelsFromDescriptors, opusPacketSamples, splitOpusPes } from '../../src/remux/ts-opus.ts';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { prng } from '../seeded-random.ts';
import { readPes, readTsPackets } from './ts-demux.ts';
import { expectProtocolError } from '../protocol-errors.ts';

let dir = '';
const captured: Record<'stereo' | 'mono', Uint8Array> = { stereo: new Uint8Array(0), mono: new Uint8Array(0) };

function ffmpeg(args: string[]): void {
  const r = Bun.spawnSync(['ffmpeg', '-hide_banner', '-v', 'error', '-y', ...args], { stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
}

type ProbedPacket = { pts: number; size: number };
function probePackets(path: string): ProbedPacket[] {
  const r = Bun.spawnSync(['ffprobe', '-v', 'error', '-select_streams', 'a', '-show_entries', 'packet=pts,size', '-of', 'json', path]);
  const json = JSON.parse(r.stdout.toString()) as { packets: { pts: number; size: string }[] };
  return json.packets.map((p) => ({ pts: p.pts, size: Number(p.size) }));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weir-tsopus-'));
  for (const [name, channels] of [['stereo', 2], ['mono', 1]] as const) {
    const path = join(dir, `${name}.ts`);
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1', '-ac', String(channels), '-c:a', 'libopus', '-b:a', '64k', '-f', 'mpegts', path]);
    captured[name] = new Uint8Array(readFileSync(path));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function demux(bytes: Uint8Array, chunk = bytes.length): TsDemuxEvent[] {
  const d = new TsDemuxer();
  const events: TsDemuxEvent[] = [];
  for (let at = 0; at < bytes.length; at += chunk) events.push(...d.push(bytes.subarray(at, at + chunk)));
  return [...events, ...d.flush()];
}
const units = (events: TsDemuxEvent[]) => events.filter((e): e is TsDemuxEvent & TsAccessUnit => e.kind === 'access-unit');

describe('Opus in MPEG-TS from ffmpeg', () => {
  test('the PMT entry is stream_type 0x06 with ffmpeg\'s registration "Opus" and extension 0x7F/0x80 descriptors', () => {
    const pmt = readTsPackets(captured.stereo).find((p) => p.pid === 0x1000)!;
    // pointer 0, table 0x02 ... the one ES entry: type 06, PID 0x100, ES_info_length 10
    const entry = [0x06, 0xe1, 0x00, 0xf0, 0x0a, 0x05, 0x04, 0x4f, 0x70, 0x75, 0x73, 0x7f, 0x02, 0x80, 0x02];
    expect([...pmt.payload.subarray(13, 13 + entry.length)]).toEqual(entry);
    expect(opusChannelsFromDescriptors(Uint8Array.of(0x05, 0x04, 0x4f, 0x70, 0x75, 0x73, 0x7f, 0x02, 0x80, 0x01))).toBe(1);
    expect(opusChannelsFromDescriptors(Uint8Array.of(0x05, 0x04, 0x48, 0x45, 0x56, 0x43))).toBeUndefined();
  });

  for (const [name, channels] of [['stereo', 2], ['mono', 1]] as const) {
    test(`${name}: one access unit per Opus packet ffprobe lists, same PTS and size, whatever the split`, () => {
      const events = demux(captured[name]);
      expect(events.find((e) => e.kind === 'tracks')).toEqual({
        kind: 'tracks',
        tracks: [{ pid: 256, codec: 'opus', streamType: 0x06, kind: 'audio', channels }],
      });
      const aus = units(events);
      const probed = probePackets(join(dir, `${name}.ts`));
      expect(probed.length).toBeGreaterThan(40);
      expect(aus.map((a) => ({ pts: a.ptsTicks90k, size: a.data.length }))).toEqual(probed);
      // ffmpeg packs several Opus packets into one PES: the later ones are timed by their TOC durations
      const pesCount = readPes(readTsPackets(captured[name]), 256).length;
      expect(pesCount).toBeGreaterThan(0);
      expect(pesCount).toBeLessThan(aus.length);
      // the encoder delay rides on the first packet's start_trim (libopus: 312 samples)
      expect(aus[0]!.startTrimSamples).toBe(312);
      expect(aus.slice(1).every((a) => a.startTrimSamples === 0)).toBe(true);
      const split = units(demux(captured[name], 100));
      expect(split.map((a) => `${a.ptsTicks90k}:${Bun.hash(a.data)}`)).toEqual(aus.map((a) => `${a.ptsTicks90k}:${Bun.hash(a.data)}`));
    });
  }

  test('TsIngest: an Enhanced RTMP Opus sequence start with OpusHead (channels, pre-skip) then one tag per packet', () => {
    const ingest = new TsIngest();
    const out = ingest.push(captured.stereo);
    const tags = [...out.tags, ...ingest.flush()];
    const parsed = tags.map((t) => parseAudioTag(t.body));
    expect(parsed[0]!.kind).toBe('sequence-header');
    const head = parsed[0]!.kind === 'sequence-header' ? parsed[0]!.config : new Uint8Array(0);
    expect(parseOpusHead(head)).toEqual({ channels: 2, preSkipSamples: 312, inputSampleRateHz: 48_000, mappingFamily: 0 });
    const frames = parsed.slice(1);
    expect(frames.every((f) => f.kind === 'frame' && f.codec === AudioCodec.Opus)).toBe(true);
    const aus = units(demux(captured.stereo));
    expect(frames.map((f) => (f.kind === 'frame' ? Bun.hash(f.data) : 0))).toEqual(aus.map((a) => Bun.hash(a.data)));
    expect(tags.slice(1).map((t) => t.timestampMs)).toEqual(aus.map((a) => Math.round(a.ptsTicks90k / 90)));
  });
});

describe('Opus into MPEG-TS', () => {
  test('control headers: au_size as 0xFF runs, ffmpeg\'s 0x7FE0 prefix, and split back exactly', () => {
    expect([...encodeOpusControlHeader(100)]).toEqual([0x7f, 0xe0, 100]);
    expect([...encodeOpusControlHeader(255)]).toEqual([0x7f, 0xe0, 0xff, 0x00]);
    expect([...encodeOpusControlHeader(600)]).toEqual([0x7f, 0xe0, 0xff, 0xff, 90]);
    const a = new Uint8Array(255).fill(1);
    const b = new Uint8Array(7).fill(2);
    const pes = concatBytes([encodeOpusControlHeader(255), a, encodeOpusControlHeader(7), b]);
    expect(splitOpusPes(pes).map((p) => p.data)).toEqual([a, b]);
    // bad control headers are a ProtocolError, never a crash or a wrong slice
    for (const bad of [Uint8Array.of(0x7f, 0xe0), Uint8Array.of(0x7e, 0xe0, 1, 0), Uint8Array.of(0x7f, 0xe0, 5, 1, 2), Uint8Array.of(0x7f, 0xf0, 1)]) {
      expectProtocolError(() => splitOpusPes(bad));
    }
  });

  test('TOC durations (RFC 6716 §3.1): CELT 20 ms, SILK 60 ms, two frames, code 3 counts', () => {
    expect(opusPacketSamples(Uint8Array.of(0xfc))).toBe(960); // config 31, code 0
    expect(opusPacketSamples(Uint8Array.of(0x18))).toBe(2880); // config 3, SILK 60 ms
    expect(opusPacketSamples(Uint8Array.of(0xfd))).toBe(1920); // code 1: two frames
    expect(opusPacketSamples(Uint8Array.of(0x83, 0x03))).toBe(360); // config 16 (2.5 ms) × 3
  });

  test('TS-HLS and TS recordings still refuse Opus; the live MPEG-TS output muxes it', () => {
    const track = { id: 2, kind: 'audio', codec: AudioCodec.Opus, timescale: 90_000, config: encodeOpusHead(2) } as const;
    expect(isTsSupported(track)).toBe(false);
    expect(isTsMuxable(track)).toBe(true);
    const surround = { ...track, config: Uint8Array.of(...encodeOpusHead(2).subarray(0, 9), 6, ...encodeOpusHead(2).subarray(10, 18), 1) };
    expect(() => new TsMuxer({ audio: surround })).toThrow(/6 channels/);
  });

  test('ffmpeg TS -> TsIngest -> hub packets -> shared MPEG-TS output: ffmpeg\'s layout, the same packets, and ffmpeg decodes it', () => {
    const ingest = new TsIngest();
    const tags = [...ingest.push(captured.stereo).tags, ...ingest.flush()];
    const encode = mpegtsPacketEncoder();
    const packets: MediaPacket[] = tags.map((t) => {
      const c = classifyTag(t.type, t.body);
      return { type: t.type, timestampMs: t.timestampMs, body: t.body, header: c.header, randomAccess: c.keyframe, discontinuity: false };
    });
    const ts = concatBytes(packets.map((p) => encode(p)));
    const pmt = readTsPackets(ts).find((p) => p.pid === 0x1000)!;
    expect([...pmt.payload.subarray(13, 28)]).toEqual([0x06, 0xe1, 0x01, 0xf0, 0x0a, 0x05, 0x04, 0x4f, 0x70, 0x75, 0x73, 0x7f, 0x02, 0x80, 0x02]);
    const pes = readPes(readTsPackets(ts), 0x101);
    expect(pes.every((p) => p.streamId === 0xbd)).toBe(true);
    const source = units(demux(captured.stereo));
    expect(pes.length).toBe(source.length);
    // one Opus packet per PES behind its control header
    expect([...pes[0]!.es.subarray(0, 4)]).toEqual([0x7f, 0xe0, 0xff, 297 - 255]);
    const back = units(demux(ts));
    expect(back.map((a) => Bun.hash(a.data))).toEqual(source.map((a) => Bun.hash(a.data)));
    // hub timestamps are milliseconds: each PTS within one 90 kHz millisecond of the source's
    expect(back.every((a, i) => Math.abs(a.ptsTicks90k - source[i]!.ptsTicks90k) <= 90)).toBe(true);

    const path = join(dir, 'out.ts');
    writeFileSync(path, ts);
    const probe = Bun.spawnSync(['ffprobe', '-v', 'error', '-show_entries', 'stream=codec_name,channels', '-of', 'json', path]);
    expect(JSON.parse(probe.stdout.toString()).streams).toEqual([{ codec_name: 'opus', channels: 2 }]);
    const decoded = Bun.spawnSync(['ffmpeg', '-v', 'error', '-i', path, '-f', 'null', '-'], { stderr: 'pipe' });
    expect({ exit: decoded.exitCode, stderr: decoded.stderr.toString() }).toEqual({ exit: 0, stderr: '' });
    expect(probePackets(path).map((p) => p.size)).toEqual(source.map((a) => a.data.length));
  });
});

describe('Opus in MPEG-TS: mutated input', () => {
  test('flipped bytes in ffmpeg\'s Opus TS only ever yield tags or a ProtocolError (500 seeded mutations)', () => {
    const next = prng(14);
    let errors = 0;
    for (let round = 0; round < 500; round++) {
      const bytes = captured.stereo.slice();
      const flips = 1 + Math.floor(next() * 20);
      for (let i = 0; i < flips; i++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      const ingest = new TsIngest();
      try {
        ingest.push(bytes);
        ingest.flush();
      } catch (err) {
        if (!isProtocolError(err)) throw err;
        errors++;
      }
    }
    // some mutations hit control headers or PES lengths and are refused, most only damage a packet's content
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(500);
  });

  test('random control-header bytes split or throw ProtocolError, never slice past the payload', () => {
    const next = prng(7);
    for (let round = 0; round < 2000; round++) {
      const payload = Uint8Array.from({ length: 2 + Math.floor(next() * 40) }, () => Math.floor(next() * 256));
      if (next() < 0.5) payload.set([0x7f, 0xe0 | Math.floor(next() * 32)]);
      try {
        const packets = splitOpusPes(payload);
        expect(packets.reduce((n, p) => n + p.data.length, 0)).toBeLessThanOrEqual(payload.length);
      } catch (err) {
        expect(isProtocolError(err)).toBe(true);
      }
    }
  });
});
