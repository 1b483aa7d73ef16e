// A minimal RTSP client on a real socket for tests that need exact control: raw requests, reading the answers and
// interleaved packets with the engine's own parser, and a client that stops reading (a stalled viewer).
import { connect, type Socket } from 'node:net';
import { RtspParser } from '../../src/rtsp/rtsp-parser.ts';
import { encodeRequest } from '../../src/rtsp/rtsp-encode.ts';
import { headerValue, type InterleavedFrame, type RtspResponse } from '../../src/rtsp/rtsp-message.ts';

export type TestRtspClient = {
  socket: Socket;
  responses: RtspResponse[];
  interleaved: InterleavedFrame[];
  /** interleaved frames seen (counted even when `keepInterleaved` is off) */
  interleavedCount(): number;
  /** RTP packets with the marker bit (one per video frame) on channel 0 */
  videoMarkers(): number;
  request(method: string, uri: string, headers?: Array<[string, string]>, body?: Uint8Array): Promise<RtspResponse>;
  closed: Promise<void>;
  isClosed(): boolean;
  close(): void;
};

export async function connectRtsp(port: number, options: { keepInterleaved?: boolean } = {}): Promise<TestRtspClient> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const parser = new RtspParser({ maxBodyBytes: 1024 * 1024 });
  const responses: RtspResponse[] = [];
  const interleaved: InterleavedFrame[] = [];
  let count = 0;
  let markers = 0;
  let cseq = 0;
  let closedFlag = false;
  const waiters = new Map<number, (r: RtspResponse) => void>();
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      closedFlag = true;
      resolve();
    });
  });
  socket.on('error', () => {});
  socket.on('data', (data: Buffer) => {
    for (const m of parser.push(data)) {
      if (m.kind === 'interleaved') {
        count++;
        if (m.channel === 0 && m.payload.length >= 12 && (m.payload[1]! & 0x80) !== 0) markers++;
        if (options.keepInterleaved) interleaved.push(m);
      } else if (m.kind === 'response') {
        responses.push(m);
        const seq = Number(headerValue(m.headers, 'cseq'));
        waiters.get(seq)?.(m);
        waiters.delete(seq);
      }
    }
  });
  return {
    socket,
    responses,
    interleaved,
    interleavedCount: () => count,
    videoMarkers: () => markers,
    request: (method, uri, headers = [], body) => {
      const seq = ++cseq;
      const answer = new Promise<RtspResponse>((resolve, reject) => {
        waiters.set(seq, resolve);
        void closed.then(() => reject(new Error(`connection closed before the answer to ${method}`)));
      });
      socket.write(encodeRequest({ method, uri, headers: [['CSeq', String(seq)], ...headers], ...(body ? { body } : {}) }));
      return answer;
    },
    closed,
    isClosed: () => closedFlag,
    close: () => socket.destroy(),
  };
}

/** DESCRIBE, SETUP of every track over TCP interleaved, PLAY; returns the session id. */
export async function playInterleaved(client: TestRtspClient, url: string): Promise<string> {
  const described = await client.request('DESCRIBE', url, [['Accept', 'application/sdp']]);
  if (described.status !== 200) throw new Error(`DESCRIBE: ${described.status}`);
  const sdp = new TextDecoder().decode(described.body);
  const controls = [...sdp.matchAll(/a=control:(trackID=\d+)/g)].map((m) => m[1]!);
  const base = headerValue(described.headers, 'content-base') ?? `${url}/`;
  let session: string | undefined;
  for (const [i, control] of controls.entries()) {
    const headers: Array<[string, string]> = [['Transport', `RTP/AVP/TCP;unicast;interleaved=${2 * i}-${2 * i + 1}`]];
    if (session) headers.push(['Session', session]);
    const setup = await client.request('SETUP', base + control, headers);
    if (setup.status !== 200) throw new Error(`SETUP: ${setup.status}`);
    session = headerValue(setup.headers, 'session')!.split(';')[0]!;
  }
  const play = await client.request('PLAY', url, [['Session', session!], ['Range', 'npt=0.000-']]);
  if (play.status !== 200) throw new Error(`PLAY: ${play.status}`);
  return session!;
}

/**
 * Raw RTSP requests to 127.0.0.1:`port`, one after another on one connection (the next goes when the answer to
 * the last is in, body and all; a function gets that answer's head); the answers' heads.
 */
export async function rawRtspRequests(port: number, requests: Array<string[] | ((previous: string) => string[])>): Promise<string[]> {
  const answers: string[] = [];
  let text = '';
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('no answer within 10 s')), 10_000);
    let next = 0;
    const send = (s: { write(t: string): unknown }) => {
      const r = requests[next++]!;
      const lines = typeof r === 'function' ? r(answers[answers.length - 1] ?? '') : r;
      s.write(`${lines.join('\r\n')}\r\n\r\n`);
    };
    void Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open: send,
        data(s, d) {
          text += new TextDecoder().decode(d);
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = text.slice(0, end);
          const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (text.length < end + 4 + length) return;
          answers.push(head);
          text = text.slice(end + 4 + length);
          if (next < requests.length) return send(s);
          clearTimeout(timer);
          s.end();
          done();
        },
        error(_s, err) {
          clearTimeout(timer);
          fail(err);
        },
      },
    }).catch(fail);
  });
  return answers;
}
