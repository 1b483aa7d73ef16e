// Test-only RTSP server that accepts one ffmpeg publish (ANNOUNCE/SETUP/RECORD over TCP interleaved), answers every
// request with 200, and records the raw bytes the client sent, so tests can depacketize real RTP.
import { freePort, run } from '../e2e/harness.ts';
import { encodeResponse } from '../../src/rtsp/rtsp-encode.ts';
import { headerValue, type RtspMessage } from '../../src/rtsp/rtsp-message.ts';
import { RtspParser } from '../../src/rtsp/rtsp-parser.ts';

export type Recording = { bytes: Uint8Array; messages: RtspMessage[]; sdp: string; url: string };

/** Runs ffmpeg with `args` (input and codec options) publishing to a recording server; resolves after ffmpeg exits. */
export async function recordFfmpegPublish(args: string[]): Promise<Recording> {
  const port = freePort();
  const url = `rtsp://127.0.0.1:${port}/live/cam`;
  const chunks: Uint8Array[] = [];
  const messages: RtspMessage[] = [];
  const parser = new RtspParser();
  let sdp = '';
  const server = Bun.listen({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(socket, data) {
        chunks.push(new Uint8Array(data));
        for (const m of parser.push(new Uint8Array(data))) {
          messages.push(m);
          if (m.kind !== 'request') continue;
          const headers: [string, string][] = [['CSeq', headerValue(m.headers, 'cseq') ?? '0']];
          if (m.method === 'OPTIONS') headers.push(['Public', 'OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN']);
          if (m.method === 'ANNOUNCE') sdp = new TextDecoder().decode(m.body);
          if (m.method === 'SETUP') headers.push(['Transport', headerValue(m.headers, 'transport') ?? '']);
          if (m.method !== 'OPTIONS' && m.method !== 'ANNOUNCE') headers.push(['Session', '12345678;timeout=60']);
          socket.write(encodeResponse({ status: 200, headers }));
        }
      },
    },
  });
  try {
    const result = await run(['ffmpeg', '-hide_banner', '-loglevel', 'error', ...args, '-f', 'rtsp', '-rtsp_transport', 'tcp', url], 60_000);
    if (result.exitCode !== 0) throw new Error(`ffmpeg failed: ${result.stderr}`);
  } finally {
    server.stop(true);
  }
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, messages, sdp, url };
}
