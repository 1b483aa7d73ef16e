// AAC to Opus for WHEP viewers, with ffmpeg: one transcoder per stream, started for its first WebRTC viewer that
// takes transcoded audio and stopped after its last. The stream's AAC frames go to ffmpeg's stdin as ADTS;
// ffmpeg sends Opus back as RTP to a loopback UDP socket of ours (one 20 ms frame a packet), whose payloads are
// handed to every viewer as the Opus track's frames, timed on the stream's clock (the first Opus packet is the
// first AAC frame written, later ones follow ffmpeg's RTP clock), so the viewers' sender reports keep lip sync.
// Bounded: stdin writes stop while more than MAX_PENDING_BYTES are unflushed (frames are dropped, not queued).
// An ffmpeg that dies while viewers listen is started again after a backoff that doubles up to MAX_RESTART_DELAY_MS
// (back to the first step once one has run for HEALTHY_MS); its Opus is timed afresh from the next AAC frame.
import type { Subprocess, udp } from 'bun';
import { DemuxTrackId, FlvMediaDemuxer } from '../../flv/flv-media-demuxer.ts';
import type { LiveStream, StreamReader } from '../../hub/live-stream.ts';
import type { MediaPacket } from '../../hub/media-packet.ts';
import { encodeAdtsHeader, parseAudioSpecificConfig, type AudioSpecificConfig } from '../../media/aac.ts';
import { AudioCodec } from '../../media/types.ts';
import type { RtpFrameOut, RtpViewer } from '../../outputs/rtp-output.ts';
import { parseRtpPacket } from '../../rtsp/rtp-packet.ts';
import type { Logger } from '../../shared/logger.ts';
import { isProtocolError } from '../../shared/protocol-error.ts';

const MAX_PENDING_BYTES = 256 * 1024;
const OPUS_CLOCK = 48_000;
const FIRST_RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 8000;
/** an ffmpeg that ran this long was healthy: the next restart waits the first step again */
const HEALTHY_MS = 10_000;

export class OpusTranscoder implements StreamReader {
  private readonly viewers = new Set<RtpViewer>();
  private readonly demuxer = new FlvMediaDemuxer();
  private config: AudioSpecificConfig | null = null;
  private proc: Subprocess<'pipe', 'ignore', 'pipe'> | null = null;
  private socket: udp.Socket<'uint8array'> | null = null;
  private pending = 0;
  /** the stream time (ms) of the first AAC frame written, and ffmpeg's RTP time of its first packet */
  private firstAacMs: number | null = null;
  private firstOpusTs: number | null = null;
  private ended = false;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private restartDelayMs = FIRST_RESTART_DELAY_MS;
  framesOut = 0;
  /** ffmpeg processes started again after dying */
  restarts = 0;

  constructor(
    readonly stream: LiveStream,
    private readonly ffmpeg: string,
    private readonly log: Logger,
    private readonly onEmpty: (t: OpusTranscoder) => void,
  ) {
    if (stream.audioHeader) this.learn(stream.audioHeader);
  }

  /** stopped for good (its last viewer left, or the stream ended): a new one is made for the next viewer */
  get stopped(): boolean {
    return this.ended;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** the running ffmpeg's process id, or null (not started yet, between restarts, stopped) */
  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  addViewer(viewer: RtpViewer): void {
    this.viewers.add(viewer);
    if (this.viewers.size === 1 && !this.socket && !this.ended) void this.start();
  }

  removeViewer(viewer: RtpViewer): void {
    if (!this.viewers.delete(viewer) || this.viewers.size > 0) return;
    this.stop();
    this.onEmpty(this);
  }

  private async start(): Promise<void> {
    const socket = await Bun.udpSocket({
      hostname: '127.0.0.1',
      port: 0,
      binaryType: 'uint8array',
      // ICMP errors from a transcoder that exited are reported on receive; its exit is handled where it is spawned
      socket: { data: (_s, data) => this.onOpusRtp(data), error: () => {} },
    });
    if (this.ended) {
      socket.close();
      return;
    }
    this.socket = socket;
    this.spawn();
    this.stream.addReader(this);
    this.log.info('AAC to Opus transcoder started', { stream: this.stream.path });
  }

  private spawn(): void {
    const socket = this.socket;
    if (!socket || this.ended) return;
    const startedAtMs = Date.now();
    this.proc = Bun.spawn(
      [this.ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-fflags', 'nobuffer',
        // a small probe: ADTS headers say all there is to know, and ffmpeg's default probe holds the first Opus back ~1 s
        '-probesize', '2048', '-analyzeduration', '0', '-f', 'aac', '-i', 'pipe:0',
        '-c:a', 'libopus', '-b:a', '96k', '-ar', '48000', '-ac', '2', '-application', 'lowdelay', '-frame_duration', '20',
        '-f', 'rtp', '-payload_type', '111', `rtp://127.0.0.1:${socket.port}?pkt_size=1200`],
      { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe' },
    );
    const proc = this.proc;
    void new Response(proc.stderr).text().then((text) => {
      if (!this.ended && text.trim()) this.log.warn('AAC to Opus transcoder', { stream: this.stream.path, reason: text.trim().slice(-300) });
    });
    void proc.exited.then((code) => this.onExit(proc, code, Date.now() - startedAtMs));
  }

  /** ffmpeg died under viewers: started again after the backoff, its Opus re-anchored to the next AAC frame. */
  private onExit(proc: Subprocess, code: number, ranMs: number): void {
    if (this.ended || this.proc !== proc) return;
    this.proc = null;
    this.pending = 0;
    this.firstAacMs = null;
    this.firstOpusTs = null;
    if (ranMs >= HEALTHY_MS) this.restartDelayMs = FIRST_RESTART_DELAY_MS;
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, MAX_RESTART_DELAY_MS);
    this.log.warn('AAC to Opus transcoder exited; restarting', { stream: this.stream.path, code, ranMs, delayMs });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.ended) return;
      this.restarts++;
      this.spawn();
    }, delayMs);
  }

  stop(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.stream.removeReader(this);
    try {
      void this.proc?.stdin.end();
    } catch {
      // already gone
    }
    this.proc?.kill('SIGKILL');
    this.socket?.close();
    this.proc = null;
    this.socket = null;
    this.log.info('AAC to Opus transcoder stopped', { stream: this.stream.path, framesOut: this.framesOut });
  }

  onPacket(packet: MediaPacket): void {
    if (packet.type !== 8) return;
    if (packet.header) {
      this.learn(packet);
      return;
    }
    const proc = this.proc;
    if (!proc || !this.config) return;
    for (const event of this.safeDemux(packet)) {
      if (event.type !== 'frame' || event.frame.trackId !== DemuxTrackId.Audio) continue;
      if (this.pending > MAX_PENDING_BYTES) continue; // ffmpeg is behind: drop rather than queue
      const data = event.frame.data;
      let header: Uint8Array;
      try {
        header = encodeAdtsHeader(this.config, data.byteLength);
      } catch (err) {
        if (!isProtocolError(err)) throw err;
        return;
      }
      try {
        proc.stdin.write(header);
        proc.stdin.write(data);
      } catch {
        return; // ffmpeg just died: its exit restarts it
      }
      this.firstAacMs ??= event.frame.pts;
      this.pending += header.byteLength + data.byteLength;
      void Promise.resolve(proc.stdin.flush()).then(() => {
        this.pending = 0;
      }, () => {});
    }
  }

  onPublisherStart(): void {}

  onPublisherStop(): void {}

  onStreamEnd(): void {
    this.stop();
    this.onEmpty(this);
  }

  private onOpusRtp(datagram: Uint8Array): void {
    if (this.ended || this.firstAacMs === null) return;
    let packet;
    try {
      packet = parseRtpPacket(datagram);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return;
    }
    if (packet.payloadType !== 111 || packet.payload.byteLength === 0) return;
    this.firstOpusTs ??= packet.timestamp;
    const elapsed = (packet.timestamp - this.firstOpusTs) >>> 0; // RTP time wraps at 2^32
    const frame: RtpFrameOut = {
      kind: 'audio',
      codec: AudioCodec.Opus,
      randomAccess: true,
      packetized: {
        rtpTime: Math.round(this.firstAacMs * (OPUS_CLOCK / 1000)) + elapsed,
        keyframe: false,
        chunks: [{ payload: packet.payload.slice(), marker: packet.marker, timestampDelta: 0 }],
      },
    };
    this.framesOut++;
    for (const viewer of this.viewers) viewer.onFrame(frame);
  }

  private learn(packet: MediaPacket): void {
    this.safeDemux(packet);
    const track = this.demuxer.audioTrack;
    if (track?.codec !== AudioCodec.AAC) return;
    try {
      this.config = parseAudioSpecificConfig(track.config);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      this.config = null;
    }
  }

  private safeDemux(packet: MediaPacket) {
    try {
      return this.demuxer.push(packet.type, packet.timestampMs, packet.body);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return [];
    }
  }
}

/** One transcoder per stream, made for its first viewer that needs one and forgotten after its last. */
export class OpusTranscoders {
  private readonly byStream = new Map<LiveStream, OpusTranscoder>();

  constructor(
    /** ffmpeg's path; null: none, so AAC streams play video-only over WebRTC */
    readonly ffmpeg: string | null,
    private readonly log: Logger,
  ) {}

  /** The stream's transcoder, started or not yet; null without ffmpeg. */
  obtain(stream: LiveStream): OpusTranscoder | null {
    if (!this.ffmpeg) return null;
    let t = this.byStream.get(stream);
    if (!t || t.stopped) {
      t = new OpusTranscoder(stream, this.ffmpeg, this.log, (done) => {
        if (this.byStream.get(stream) === done) this.byStream.delete(stream);
      });
      this.byStream.set(stream, t);
    }
    return t;
  }

  find(stream: LiveStream): OpusTranscoder | undefined {
    return this.byStream.get(stream);
  }

  /**
   * What a viewer holds: the transcoder is looked up when the viewer connects and when it goes, so a session that
   * never connects makes none, and one made for an earlier viewer set is never reused once stopped.
   */
  feedFor(stream: LiveStream): Pick<OpusTranscoder, 'addViewer' | 'removeViewer'> {
    return {
      addViewer: (viewer) => this.obtain(stream)?.addViewer(viewer),
      removeViewer: (viewer) => this.find(stream)?.removeViewer(viewer),
    };
  }

  stopAll(): void {
    for (const t of this.byStream.values()) t.stop();
    this.byStream.clear();
  }
}
