// A WHEP viewer without a browser, over the engine's real UDP path: it posts a recorded Chromium offer (our ICE
// credentials and openssl's certificate fingerprint in it), passes the ICE-lite check from a loopback port, lets
// `openssl s_client -dtls1_2 -bind` do the DTLS-SRTP handshake from that same port and export the SRTP keys, then
// (openssl killed, so no close_notify ends the session) takes the port back to decrypt the media and to send RTCP
// receiver reports and REMB at whatever rate the test sets. Counts video frames (keyframes apart) and audio packets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintOf } from '../../src/webrtc/certificate.ts';
import { SrtpReceiver, SrtpSender } from '../../src/webrtc/srtp.ts';
import { StunAttr, StunClass, StunMethod, encodeStunMessage, looksLikeStun } from '../../src/webrtc/stun.ts';
import { CHROME_OFFER } from '../webrtc/chrome-offer.ts';
import { run, waitFor } from './harness.ts';

const utf8 = new TextEncoder();

export type ReceivedFrame = Readonly<{ atMs: number; rtpTime: number; keyframe: boolean }>;

export type SyntheticWhepViewer = {
  /** the session resource id (the last part of the WHEP Location) */
  readonly id: string;
  readonly video: ReceivedFrame[];
  /** arrival times of audio packets */
  readonly audio: number[];
  readonly hasAudioTrack: boolean;
  /** the REMB sent every 200 ms with a receiver report; null: reports only */
  remb: number | null;
  close(): void;
};

/** A client certificate for openssl (made once per test file, in `dir`). */
export async function makeClientCertificate(dir: string): Promise<{ cert: string; key: string; fingerprint: string }> {
  const cert = join(dir, 'c.pem');
  const key = join(dir, 'k.pem');
  const made = await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=client', '-days', '1']);
  if (made.exitCode !== 0) throw new Error(`openssl req: ${made.stderr}`);
  await run(['openssl', 'x509', '-in', cert, '-outform', 'DER', '-out', join(dir, 'c.der')]);
  return { cert, key, fingerprint: fingerprintOf(new Uint8Array(readFileSync(join(dir, 'c.der')))) };
}

const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** H.264 RTP payload (RFC 6184) that starts or carries an IDR or SPS: a keyframe's packet. */
function carriesKeyframe(payload: Uint8Array): boolean {
  const type = payload[0]! & 0x1f;
  if (type === 5 || type === 7) return true;
  if (type === 28) return (payload[1]! & 0x80) !== 0 && (payload[1]! & 0x1f) === 5;
  if (type === 24) {
    for (let at = 1; at + 2 < payload.length; ) {
      const size = (payload[at]! << 8) | payload[at + 1]!;
      const nal = payload[at + 2]! & 0x1f;
      if (nal === 5 || nal === 7) return true;
      at += 2 + size;
    }
  }
  return false;
}

/** An RTCP packet of `bytes` with its header (count or FMT, packet type, length) and our SSRC written. */
function rtcpPacket(bytes: number, countOrFmt: number, type: number, ourSsrc: number): { pkt: Uint8Array; view: DataView } {
  const pkt = new Uint8Array(bytes);
  const view = new DataView(pkt.buffer);
  pkt[0] = 0x80 | countOrFmt;
  pkt[1] = type;
  view.setUint16(2, bytes / 4 - 1);
  view.setUint32(4, ourSsrc);
  return { pkt, view };
}

/** Receiver report (one block, no loss) and REMB, RFC 3550 §6.4.2 and draft-alvestrand-rmcat-remb. */
function feedback(ourSsrc: number, mediaSsrc: number, remb: number | null): Uint8Array {
  const { pkt: rr, view: v } = rtcpPacket(32, 1, 201, ourSsrc);
  v.setUint32(8, mediaSsrc);
  if (remb === null) return rr;
  const { pkt, view: w } = rtcpPacket(24, 15, 206, ourSsrc);
  pkt.set(utf8.encode('REMB'), 12);
  let exp = 0;
  let mantissa = Math.round(remb);
  while (mantissa > 0x3ffff) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  pkt[16] = 1;
  pkt[17] = (exp << 2) | (mantissa >> 16);
  pkt[18] = (mantissa >> 8) & 0xff;
  pkt[19] = mantissa & 0xff;
  w.setUint32(20, mediaSsrc);
  const out = new Uint8Array(rr.length + pkt.length);
  out.set(rr);
  out.set(pkt, rr.length);
  return out;
}

export async function connectSyntheticWhep(whepUrl: string, client: { cert: string; key: string; fingerprint: string }, remb: number | null): Promise<SyntheticWhepViewer> {
  const ufrag = `syn${Math.random().toString(36).slice(2, 8)}`;
  const pwd = `p${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`.padEnd(24, 'x');
  const offer = CHROME_OFFER.replace(/a=ice-ufrag:.*/g, `a=ice-ufrag:${ufrag}`)
    .replace(/a=ice-pwd:.*/g, `a=ice-pwd:${pwd}`)
    .replace(/a=fingerprint:sha-256 .*/g, `a=fingerprint:sha-256 ${client.fingerprint}`);
  const res = await fetch(whepUrl, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer });
  const answer = await res.text();
  if (res.status !== 201) throw new Error(`WHEP ${res.status}: ${answer}`);
  const id = (res.headers.get('location') ?? '').split('/').pop()!;
  const serverUfrag = /a=ice-ufrag:(\S+)/.exec(answer)![1]!;
  const serverPwd = /a=ice-pwd:(\S+)/.exec(answer)![1]!;
  const serverPort = Number(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/.exec(answer)![1]);
  const sections = answer.split(/\r?\nm=/).slice(1);
  const ssrcOf = (kind: string) => {
    const section = sections.find((s) => s.startsWith(`${kind} `) && !s.includes('a=inactive'));
    const m = section ? /a=ssrc:(\d+) /.exec(section) : null;
    return m ? Number(m[1]) : null;
  };
  const videoSsrc = ssrcOf('video');
  const audioSsrc = ssrcOf('audio');
  if (videoSsrc === null) throw new Error(`no video in the answer:\n${answer}`);

  // the ICE check, from the port DTLS will use
  let checked = false;
  const onAnswer = (data: Uint8Array) => {
    checked ||= looksLikeStun(data);
  };
  const stunSocket = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0, binaryType: 'uint8array', socket: { data: (_s, data) => onAnswer(data) } });
  const port = stunSocket.port;
  const check = encodeStunMessage({
    cls: StunClass.Request,
    method: StunMethod.Binding,
    transactionId: crypto.getRandomValues(new Uint8Array(12)),
    attributes: [{ type: StunAttr.Username, value: utf8.encode(`${serverUfrag}:${ufrag}`) }, { type: StunAttr.UseCandidate, value: new Uint8Array(0) }],
    integrityKey: utf8.encode(serverPwd),
    fingerprint: true,
  });
  for (let i = 0; i < 20 && !checked; i++) {
    stunSocket.send(check, serverPort, '127.0.0.1');
    await waitFor(() => checked, 250);
  }
  stunSocket.close();
  if (!checked) throw new Error('no answer to the ICE check');

  // DTLS by openssl from the same port; stdbuf so its summary (with the keys) is not held in a pipe buffer
  const proc = Bun.spawn(
    ['stdbuf', '-o0', 'openssl', 's_client', '-dtls1_2', '-bind', `127.0.0.1:${port}`, '-connect', `127.0.0.1:${serverPort}`, '-use_srtp', 'SRTP_AES128_CM_SHA1_80',
      '-cert', client.cert, '-key', client.key, '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '60'],
    { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' },
  );
  let out = '';
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 20_000;
  let material: string | undefined;
  while (!material && Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), Bun.sleep(500).then(() => null)]);
    if (chunk?.done) break;
    if (chunk?.value) out += decoder.decode(chunk.value);
    material = /Keying material:\s*([0-9A-F]{120})/i.exec(out)?.[1];
  }
  // killed, not told to quit: a close_notify would end the session
  proc.kill('SIGKILL');
  await proc.exited;
  if (!material) throw new Error(`no keys from openssl:\n${out}`);
  const keys = Buffer.from(material, 'hex');
  const serverKey = keys.subarray(16, 32);
  const clientKey = keys.subarray(0, 16);
  const clientSalt = keys.subarray(32, 46);
  const serverSalt = keys.subarray(46, 60);
  const rtpIn = new SrtpReceiver(new Uint8Array(serverKey), new Uint8Array(serverSalt));
  const rtcpOut = new SrtpSender(new Uint8Array(clientKey), new Uint8Array(clientSalt));

  const video: ReceivedFrame[] = [];
  const audio: number[] = [];
  let lastVideoTime: number | null = null;
  const onRtp = (datagram: Uint8Array) => {
    if (datagram.length < 12 || datagram[0]! >> 6 !== 2 || (datagram[1]! >= 192 && datagram[1]! <= 223)) return;
    let packet: Uint8Array;
    try {
      packet = rtpIn.unprotectRtp(datagram);
    } catch {
      return;
    }
    const ssrc = u32(packet, 8);
    if (ssrc === audioSsrc) {
      audio.push(Date.now());
      return;
    }
    if (ssrc !== videoSsrc) return;
    const csrcs = packet[0]! & 0x0f;
    let at = 12 + csrcs * 4;
    if (packet[0]! & 0x10) at += 4 + ((packet[at + 2]! << 8) | packet[at + 3]!) * 4;
    const rtpTime = u32(packet, 4);
    const key = carriesKeyframe(packet.subarray(at));
    if (rtpTime !== lastVideoTime) {
      lastVideoTime = rtpTime;
      video.push({ atMs: Date.now(), rtpTime, keyframe: key });
    } else if (key && video.length > 0 && !video[video.length - 1]!.keyframe) {
      video[video.length - 1] = { ...video[video.length - 1]!, keyframe: true };
    }
  };
  let socket: Bun.udp.Socket<'uint8array'> | null = null;
  for (let i = 0; i < 40 && !socket; i++) {
    try {
      socket = await Bun.udpSocket({ hostname: '127.0.0.1', port, binaryType: 'uint8array', socket: { data: (_s, data) => onRtp(data) } });
    } catch {
      await Bun.sleep(50);
    }
  }
  if (!socket) throw new Error(`could not take port ${port} back from openssl`);
  const ourSsrc = crypto.getRandomValues(new Uint32Array(1))[0]!;
  const viewer: SyntheticWhepViewer = {
    id,
    video,
    audio,
    hasAudioTrack: audioSsrc !== null,
    remb,
    close: () => {
      clearInterval(timer);
      socket!.close();
    },
  };
  const timer = setInterval(() => {
    try {
      socket!.send(rtcpOut.protectRtcp(feedback(ourSsrc, videoSsrc, viewer.remb)), serverPort, '127.0.0.1');
    } catch {
      // the engine may be gone at the end of a test
    }
  }, 200);
  return viewer;
}
