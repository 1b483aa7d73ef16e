// TEST-ONLY RTSP "camera": accepts one publish from a real ffmpeg (`-f rtsp -rtsp_transport tcp`: ANNOUNCE/SETUP/RECORD)
// and serves what it records to viewers (DESCRIBE/SETUP/PLAY over TCP interleaved or UDP), forwarding every RTP and RTCP
// packet as it arrives. Players must authenticate (Basic or Digest) when asked; `udp: 'silent'` accepts UDP SETUPs and
// never sends a datagram (as a camera behind a firewall looks). Built on the src/rtsp codec; no engine code involved.
import type { Socket, TCPSocketListener, udp } from 'bun';
import { digestChallenge, verifyDigest } from '../../src/rtsp/rtsp-auth-verify.ts';
import { DigestAlgorithm, digestHa1 } from '../../src/rtsp/rtsp-auth.ts';
import { encodeInterleaved, encodeResponse } from '../../src/rtsp/rtsp-encode.ts';
import { headerValue, type RtspRequest } from '../../src/rtsp/rtsp-message.ts';
import { RtspParser } from '../../src/rtsp/rtsp-parser.ts';
import { encodeTransport, parseTransport } from '../../src/rtsp/rtsp-transport.ts';
import { isRtcp } from '../../src/rtsp/rtp-packet.ts';
import { spawnBackground } from '../e2e/harness.ts';

export type CameraOptions = Readonly<{
  port: number;
  auth: 'none' | 'basic' | 'digest-md5' | 'digest-sha256';
  user?: string;
  password?: string;
  udp?: 'send' | 'silent';
  /** serve rtsps:// (RTSP over TLS) with this certificate */
  tls?: Readonly<{ cert: string; key: string }>;
}>;

type Viewer = {
  socket: Socket<Conn>;
  /** per published stream index: where its RTP/RTCP go */
  outputs: Map<number, { tcp?: readonly [number, number]; udp?: readonly [number, number] }>;
  playing: boolean;
  session: string;
};

type Conn = { parser: RtspParser; role: 'unknown' | 'publisher' | 'viewer'; viewer?: Viewer };

const REALM = 'test-camera';

export class TestCamera {
  readonly requests: { method: string; authorized: boolean; uri: string }[] = [];
  /** RTCP packets viewers sent (receiver reports) */
  rtcpFromViewers = 0;
  /** datagrams viewers sent to the camera's UDP port (receiver reports over UDP) */
  udpFromPlayers = 0;
  sdp: string | undefined;
  /** a hung camera: connections stay open, no media goes out */
  frozen = false;
  private readonly publisherChannels = new Map<number, { stream: number; rtcp: boolean }>();
  private recording = false;
  private readonly viewers = new Set<Viewer>();
  private readonly nonces = new Set<string>();
  private server: TCPSocketListener<Conn> | null = null;
  private udpSocket: udp.Socket<'uint8array'> | null = null;
  private sessionCounter = 0;
  private publisher: ReturnType<typeof spawnBackground> | null = null;

  constructor(readonly options: CameraOptions) {}

  get url(): string {
    return `${this.options.tls ? 'rtsps' : 'rtsp'}://127.0.0.1:${this.options.port}/cam`;
  }

  get isRecording(): boolean {
    return this.recording;
  }

  get playingCount(): number {
    return [...this.viewers].filter((p) => p.playing).length;
  }

  async start(): Promise<void> {
    this.udpSocket = await Bun.udpSocket({
      binaryType: 'uint8array',
      socket: {
        data: (_socket, data) => {
          if (isRtcp(data)) this.udpFromPlayers++;
        },
        // RTP sent to a player's port after it closed comes back as an ICMP error on the next
        // receive; a real camera ignores it, and unhandled it would fail whichever test runs next
        error: () => {},
      },
    });
    this.server = Bun.listen<Conn>({
      hostname: '127.0.0.1',
      port: this.options.port,
      ...(this.options.tls ? { tls: this.options.tls } : {}),
      socket: {
        open: (socket) => {
          socket.data = { parser: new RtspParser(), role: 'unknown' };
        },
        data: (socket, data) => this.receive(socket, new Uint8Array(data)),
        close: (socket) => {
          // a TLS client that refused the certificate closes before open() ran
          if (socket.data?.viewer) this.viewers.delete(socket.data.viewer);
          if (socket.data?.role === 'publisher') this.recording = false;
        },
      },
    });
  }

  /** Runs ffmpeg publishing `inputArgs` (inputs and encoder options) into this camera. */
  publish(inputArgs: string[]): ReturnType<typeof spawnBackground> {
    // ffmpeg publishes over plain RTSP; a TLS camera takes that on a second, plain listener
    const url = this.options.tls ? `rtsp://127.0.0.1:${this.startPlainIngest()}/cam` : this.url;
    this.publisher = spawnBackground(['ffmpeg', '-hide_banner', '-loglevel', 'error', ...inputArgs, '-f', 'rtsp', '-rtsp_transport', 'tcp', `${url}/publish`]);
    return this.publisher;
  }

  private plainIngest: TCPSocketListener<Conn> | null = null;

  private startPlainIngest(): number {
    this.plainIngest = Bun.listen<Conn>({
      hostname: '127.0.0.1',
      port: 0,
      socket: {
        open: (socket) => {
          socket.data = { parser: new RtspParser(), role: 'unknown' };
        },
        data: (socket, data) => this.receive(socket, new Uint8Array(data)),
        close: () => {
          this.recording = false;
        },
      },
    });
    return this.plainIngest.port;
  }

  /** Everything goes away: viewers see their connection close. */
  async stop(): Promise<void> {
    await this.publisher?.stop();
    this.publisher = null;
    this.plainIngest?.stop(true);
    this.plainIngest = null;
    this.server?.stop(true);
    this.server = null;
    this.udpSocket?.close();
    this.udpSocket = null;
    this.viewers.clear();
    this.publisherChannels.clear();
    this.recording = false;
  }

  private receive(socket: Socket<Conn>, data: Uint8Array): void {
    let messages;
    try {
      messages = socket.data.parser.push(data);
    } catch {
      socket.end();
      return;
    }
    for (const m of messages) {
      if (m.kind === 'interleaved') {
        if (socket.data.role === 'publisher') this.forward(m.channel, m.payload);
        else if (socket.data.role === 'viewer' && m.channel % 2 === 1) this.rtcpFromViewers++;
      } else if (m.kind === 'request') {
        this.answer(socket, m);
      }
    }
  }

  private forward(channel: number, payload: Uint8Array): void {
    const route = this.publisherChannels.get(channel);
    if (!route || this.frozen) return;
    for (const p of this.viewers) {
      if (!p.playing) continue;
      const out = p.outputs.get(route.stream);
      if (!out) continue;
      if (out.tcp) p.socket.write(encodeInterleaved(out.tcp[route.rtcp ? 1 : 0], payload));
      else if (out.udp && this.options.udp !== 'silent') this.udpSocket?.send(payload, out.udp[route.rtcp || isRtcp(payload) ? 1 : 0], '127.0.0.1');
    }
  }

  private authorized(req: RtspRequest): boolean {
    const { auth, user = '', password = '' } = this.options;
    if (auth === 'none') return true;
    const header = headerValue(req.headers, 'authorization');
    if (!header) return false;
    if (auth === 'basic') return header === `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const algorithm = auth === 'digest-md5' ? DigestAlgorithm.Md5 : DigestAlgorithm.Sha256;
    const verdict = verifyDigest({
      authorization: header,
      method: req.method,
      realm: REALM,
      nonceValid: (n) => this.nonces.has(n),
      ha1For: (u, alg) => (u === user && alg === algorithm ? digestHa1(alg, user, REALM, password) : undefined),
    });
    return verdict.ok;
  }

  private answer(socket: Socket<Conn>, req: RtspRequest): void {
    const cseq = headerValue(req.headers, 'cseq') ?? '0';
    const reply = (status: number, headers: [string, string][] = [], body?: Uint8Array): void => {
      socket.write(encodeResponse({ status, headers: [['CSeq', cseq], ...headers], ...(body ? { body } : {}) }));
    };
    const isPublish = req.uri.includes('/cam/publish');
    if (isPublish) return this.answerPublisher(socket, req, reply);
    const authorized = this.authorized(req);
    this.requests.push({ method: req.method, authorized, uri: req.uri });
    if (!authorized && req.method !== 'OPTIONS') {
      const { auth } = this.options;
      if (auth === 'basic') return reply(401, [['WWW-Authenticate', `Basic realm="${REALM}"`]]);
      const nonce = crypto.randomUUID().replaceAll('-', '');
      this.nonces.add(nonce);
      return reply(401, [['WWW-Authenticate', digestChallenge(REALM, nonce, auth === 'digest-md5' ? DigestAlgorithm.Md5 : DigestAlgorithm.Sha256)]]);
    }
    socket.data.role = 'viewer';
    if (!socket.data.viewer) {
      socket.data.viewer = { socket, outputs: new Map(), playing: false, session: `${100000 + ++this.sessionCounter}` };
      this.viewers.add(socket.data.viewer);
    }
    const viewer = socket.data.viewer;
    switch (req.method) {
      case 'OPTIONS':
        return reply(200, [['Public', 'OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN']]);
      case 'DESCRIBE':
        if (!this.recording || !this.sdp) return reply(404);
        return reply(200, [['Content-Type', 'application/sdp'], ['Content-Base', `${this.url}/`]], new TextEncoder().encode(this.sdp));
      case 'SETUP': {
        const stream = Number(/streamid=(\d+)/.exec(req.uri)?.[1] ?? NaN);
        const spec = parseTransport(headerValue(req.headers, 'transport') ?? '')[0];
        if (!spec || !Number.isInteger(stream)) return reply(400);
        if (spec.lower === 'tcp') {
          const channels = spec.interleaved ?? ([2 * stream, 2 * stream + 1] as const);
          viewer.outputs.set(stream, { tcp: channels });
          return reply(200, [['Transport', encodeTransport({ profile: 'RTP/AVP/TCP', lower: 'tcp', delivery: 'unicast', interleaved: channels })], ['Session', `${viewer.session};timeout=4`]]);
        }
        if (!spec.clientPort) return reply(461);
        viewer.outputs.set(stream, { udp: spec.clientPort });
        const port = this.udpSocket!.port;
        return reply(200, [['Transport', encodeTransport({ profile: 'RTP/AVP', lower: 'udp', delivery: 'unicast', clientPort: spec.clientPort, serverPort: [port, port] })], ['Session', `${viewer.session};timeout=4`]]);
      }
      case 'PLAY':
        viewer.playing = true;
        return reply(200, [['Session', viewer.session], ['Range', 'npt=0.000-']]);
      case 'GET_PARAMETER':
        return reply(200, [['Session', viewer.session]]);
      case 'TEARDOWN':
        viewer.playing = false;
        reply(200);
        socket.end();
        return;
      default:
        return reply(405);
    }
  }

  private answerPublisher(socket: Socket<Conn>, req: RtspRequest, reply: (status: number, headers?: [string, string][]) => void): void {
    socket.data.role = 'publisher';
    switch (req.method) {
      case 'OPTIONS':
        return reply(200, [['Public', 'OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN']]);
      case 'ANNOUNCE':
        this.sdp = new TextDecoder().decode(req.body);
        return reply(200);
      case 'SETUP': {
        const stream = Number(/streamid=(\d+)/.exec(req.uri)?.[1] ?? NaN);
        const spec = parseTransport(headerValue(req.headers, 'transport') ?? '')[0];
        if (!spec?.interleaved || !Number.isInteger(stream)) return reply(461);
        this.publisherChannels.set(spec.interleaved[0], { stream, rtcp: false });
        this.publisherChannels.set(spec.interleaved[1], { stream, rtcp: true });
        return reply(200, [['Transport', headerValue(req.headers, 'transport') ?? ''], ['Session', 'publisher;timeout=60']]);
      }
      case 'RECORD':
        this.recording = true;
        return reply(200, [['Session', 'publisher']]);
      default:
        return reply(200, [['Session', 'publisher']]);
    }
  }
}
