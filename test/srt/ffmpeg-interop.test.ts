// Interop with real libsrt (ffmpeg 5.1): our pure listener handshake + receiver take ffmpeg's
// SRT publish and deliver MPEG-TS; our caller handshake + sender push MPEG-TS into ffmpeg's
// SRT listener. Loopback only, bounded times, ffmpeg ended by PID.
import { concatBytes } from '../../src/media/bytes.ts';
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RejectReason } from '../../src/srt/constants.ts';
import { parseStreamId } from '../../src/srt/stream-id.ts';
import { freePort, killAll, probe, run, spawnBackground, tempDir, waitFor } from '../e2e/harness.ts';
import { runCaller, startListener } from './udp-harness.ts';

const dir = tempDir();
afterAll(async () => {
  await killAll();
  dir.remove();
});

function assertTransportStream(bytes: Uint8Array): void {
  expect(bytes.length % 188).toBe(0);
  for (let i = 0; i < bytes.length; i += 188) if (bytes[i] !== 0x47) throw new Error(`no sync byte at ${i}`);
}


async function publishInto(passphrase: string | undefined, callerPassphrase: string | undefined) {
  const listener = await startListener({ passphrase });
  const query = callerPassphrase ? `&passphrase=${callerPassphrase}` : '';
  const ffmpeg = spawnBackground([
    'ffmpeg', '-hide_banner', '-loglevel', 'warning', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '3', '-c:v', 'libx264', '-g', '25', '-f', 'mpegts',
    // libsrt takes the stream id verbatim (no percent-decoding)
    `srt://127.0.0.1:${listener.port}?mode=caller&latency=120000&streamid=#!::r=live/cam,m=publish,key=k1${query}`,
  ]);
  await waitFor(() => listener.state.closed !== undefined || listener.state.rejected !== undefined || ffmpeg.proc.exitCode !== null, 20_000);
  // let TSBPD deliver the tail
  await Bun.sleep(300);
  await ffmpeg.stop();
  listener.close();
  return { state: listener.state, stderr: await ffmpeg.stderr() };
}

describe('ffmpeg (libsrt) caller -> our listener and receiver', () => {
  test('handshake, stream id, ACK/ACKACK, and MPEG-TS delivered in order that ffprobe decodes', async () => {
    const { state } = await publishInto(undefined, undefined);
    expect(state.errors).toEqual([]);
    expect(state.negotiated).toBeDefined();
    expect(parseStreamId(state.negotiated!.streamId)).toMatchObject({ app: 'live', stream: 'cam', mode: 'publish', query: 'key=k1' });
    expect(state.negotiated!.recvLatencyMs).toBe(120);
    expect(state.closed).toBe('shutdown');
    const ts = concatBytes(state.delivered);
    expect(ts[0]).toBe(0x47);
    assertTransportStream(ts);
    const stats = state.connection!.stats.receive;
    expect(stats.packetsDelivered).toBeGreaterThan(50);
    expect(stats.packetsDropped).toBe(0);
    // nothing lost on loopback, and the shutdown hands over the last latency's worth too
    expect(stats.packetsDelivered).toBe(stats.packetsReceived - stats.packetsDuplicate);
    // ffmpeg answered our full ACKs, so RTT comes from real samples, not the 100 ms default
    expect(state.received.ackack).toBeGreaterThan(0);
    expect(stats.rttUs).toBeLessThan(50_000);
    const file = join(dir.path, 'from-ffmpeg.ts');
    writeFileSync(file, ts);
    const probed = await probe(file, { packets: true });
    expect(probed.streams.some((s) => s.codec_name === 'h264')).toBe(true);
  }, 60_000);

  test('with a passphrase: libsrt key material opens and payloads decrypt to MPEG-TS', async () => {
    const { state } = await publishInto('weir-srt-secret', 'weir-srt-secret');
    expect(state.errors).toEqual([]);
    expect(state.negotiated!.keys).toBeDefined();
    expect(state.connection!.stats.undecryptable).toBe(0);
    const ts = concatBytes(state.delivered);
    assertTransportStream(ts);
    expect(ts.length).toBeGreaterThan(50 * 188);
  }, 60_000);

  test('wrong passphrase: refused with BadSecret, and ffmpeg fails to connect', async () => {
    const { state, stderr } = await publishInto('weir-srt-secret', 'not-the-secret');
    expect(state.rejected).toBe(RejectReason.BadSecret);
    expect(state.delivered).toHaveLength(0);
    expect(stderr).toMatch(/passphrase|Input\/output error/i);
  }, 60_000);
});

describe('our caller and sender -> ffmpeg (libsrt) listener', () => {
  async function pushTo(passphrase?: string) {
    const source = join(dir.path, 'source.ts');
    if (!existsSync(source)) {
      const made = await run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', '3', '-c:v', 'libx264', '-g', '25', '-f', 'mpegts', source]);
      expect(made.exitCode).toBe(0);
    }
    const bytes = new Uint8Array(readFileSync(source));
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 1316) chunks.push(bytes.subarray(i, Math.min(bytes.length, i + 1316)));
    const port = freePort();
    const out = join(dir.path, `to-ffmpeg-${passphrase ? 'enc' : 'plain'}.ts`);
    const pass = passphrase ? `&passphrase=${passphrase}` : '';
    const ffmpeg = spawnBackground(['ffmpeg', '-hide_banner', '-loglevel', 'warning', '-y', '-i', `srt://127.0.0.1:${port}?mode=listener&latency=120000${pass}`, '-c', 'copy', '-f', 'mpegts', out]);
    const state = await runCaller({ port, chunks, streamId: 'live/cam', passphrase, paceUs: Math.round(2_500_000 / chunks.length), lingerMs: 600, deadlineMs: 20_000 });
    await waitFor(() => ffmpeg.proc.exitCode !== null, 10_000);
    await ffmpeg.stop();
    return { state, out };
  }

  for (const passphrase of [undefined, 'weir-srt-secret']) {
    test(`handshake as caller, data acknowledged, ffmpeg writes a decodable file${passphrase ? ' (encrypted)' : ''}`, async () => {
      const { state, out } = await pushTo(passphrase);
      expect(state.errors).toEqual([]);
      expect(state.negotiated).toBeDefined();
      expect(state.received.ack).toBeGreaterThan(0);
      expect(state.connection!.stats.send.packetsSent).toBeGreaterThan(20);
      expect(state.connection!.stats.send.packetsAcked).toBeGreaterThan(20);
      const probed = await probe(out, { packets: true });
      expect(probed.streams.some((s) => s.codec_name === 'h264')).toBe(true);
      expect(probed.packets.filter((p) => p.codec_type === 'video').length).toBeGreaterThan(20);
    }, 60_000);
  }
});

describe('ffmpeg (libsrt) listener -> our caller and receiver (pull)', () => {
  test('our caller connects to `ffmpeg ... srt://?mode=listener` and receives decodable MPEG-TS', async () => {
    const port = freePort();
    const ffmpeg = spawnBackground([
      'ffmpeg', '-hide_banner', '-loglevel', 'warning', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '4', '-c:v', 'libx264', '-g', '25', '-f', 'mpegts',
      `srt://127.0.0.1:${port}?mode=listener&latency=120000&passphrase=weir-pull-secret`,
    ]);
    const state = await runCaller({ port, chunks: [], passphrase: 'weir-pull-secret', paceUs: 0, lingerMs: 0, deadlineMs: 20_000, until: (s) => s.delivered.length >= 150 });
    await ffmpeg.stop();
    expect(state.errors).toEqual([]);
    expect(state.negotiated).toBeDefined();
    const ts = concatBytes(state.delivered);
    expect(ts[0]).toBe(0x47);
    assertTransportStream(ts);
    const file = join(dir.path, 'pulled.ts');
    writeFileSync(file, ts);
    const probed = await probe(file, { packets: true });
    expect(probed.streams.some((s) => s.codec_name === 'h264')).toBe(true);
  }, 60_000);
});
