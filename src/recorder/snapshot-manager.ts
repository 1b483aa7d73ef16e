// Snapshots of live streams (issue 13): every second it looks at the live streams of apps with
// snapshots on; a stream whose interval has passed and whose latest keyframe (the first packet of the
// hub's GOP cache) is new gets a decode job: its sequence header and that keyframe as a tiny FLV,
// decoded by ffmpeg to a JPEG. Jobs go through a bounded queue (one decoder per CPU core; a stream
// whose previous job is still waiting skips its turn). The newest `keep` JPEGs of each live stream
// stay in memory; a stream that ended or whose app turned snapshots off loses them.
// Without ffmpeg on the engine's PATH nothing is decoded: status says so and one warning is logged.
import { availableParallelism } from 'node:os';
import { encodeKeyframeFlv } from '../flv/encode-keyframe-flv.ts';
import { FlvTagType } from '../flv/flv-tag-type.ts';
import type { LiveStream } from '../hub/live-stream.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import type { SnapshotSettings } from '../shared/config-protocol.ts';
import type { EngineConfig } from '../shared/engine-config.ts';
import type { Logger } from '../shared/logger.ts';
import { decodeKeyframeJpeg } from './snapshot-decoder.ts';
import { SnapshotQueue, type SnapshotQueueCounters } from './snapshot-queue.ts';

export type Snapshot = Readonly<{ takenAtMs: number; jpeg: Uint8Array }>;

/** What a request for a snapshot gets: the JPEG, or why there is none (HTTP status and reason). */
export type SnapshotAnswer = Readonly<{ ok: true; snapshot: Snapshot }> | Readonly<{ ok: false; status: 404 | 503; reason: string }>;

export type SnapshotStatus = Readonly<{
  /** the ffmpeg snapshots are decoded with; null: none on the engine's PATH */
  decoder: string | null;
  maxRunning: number;
  running: number;
  waiting: number;
  /** live streams with at least one snapshot */
  streams: number;
  counters: Readonly<SnapshotQueueCounters>;
}>;

export type SnapshotManagerOptions = Readonly<{
  /** the ffmpeg to run; null: none (snapshots are off whatever the apps say) */
  decoder: string | null;
  /** decoders at once; default: the number of CPU cores */
  maxRunning?: number;
  /** jobs waiting for a decoder; default 64 */
  maxQueued?: number;
  /** how often streams are looked at (default 1000 ms) */
  tickMs?: number;
  now?: () => number;
  /** replaces ffmpeg (tests of the policy) */
  decode?: (ffmpeg: string, flv: Uint8Array) => Promise<Uint8Array>;
}>;

type StreamState = { stream: LiveStream; lastTurnMs: number; lastKeyframe: MediaPacket | null; snapshots: Snapshot[] };

export class SnapshotManager {
  readonly decoder: string | null;
  private readonly queue: SnapshotQueue<string>;
  private readonly states = new Map<string, StreamState>();
  private readonly now: () => number;
  private readonly decode: (ffmpeg: string, flv: Uint8Array) => Promise<Uint8Array>;
  private timer: ReturnType<typeof setInterval> | null = null;
  private warnedNoDecoder = false;

  constructor(
    private readonly config: () => EngineConfig,
    private readonly live: () => readonly LiveStream[],
    private readonly log: Logger,
    private readonly options: SnapshotManagerOptions,
  ) {
    this.decoder = options.decoder;
    this.now = options.now ?? Date.now;
    this.decode = options.decode ?? ((ffmpeg, flv) => decodeKeyframeJpeg(ffmpeg, flv));
    this.queue = new SnapshotQueue<string>(options.maxRunning ?? availableParallelism(), options.maxQueued ?? 64, (path, err) =>
      this.log.warn('snapshot failed', { stream: path, reason: err instanceof Error ? err.message : String(err) }),
    );
  }

  // Alike in shape to RecordingManager's start/stop/settingsFor (a timer, one app section): their sweeps and sections differ.
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 1000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  settingsFor(app: string): SnapshotSettings | null {
    const settings = this.config().apps.find((a) => a.name === app)?.snapshot;
    return settings?.enabled ? settings : null;
  }

  /** One look at every live stream: forget the ones that went, offer a job to those whose turn it is. */
  tick(): void {
    const now = this.now();
    const live = new Map<string, LiveStream>();
    for (const stream of this.live()) if (stream.publisher !== null && this.settingsFor(stream.app)) live.set(stream.path, stream);
    for (const [path, state] of this.states) if (live.get(path) !== state.stream) this.states.delete(path);
    if (live.size > 0 && this.decoder === null && !this.warnedNoDecoder) {
      this.warnedNoDecoder = true;
      this.log.warn('snapshots are on for an app but ffmpeg is not on the engine PATH: no snapshots are taken');
    }
    if (this.decoder === null) return;
    for (const [path, stream] of live) {
      let state = this.states.get(path);
      if (!state) this.states.set(path, (state = { stream, lastTurnMs: -Infinity, lastKeyframe: null, snapshots: [] }));
      const settings = this.settingsFor(stream.app)!;
      if (now - state.lastTurnMs < settings.intervalSec * 1000) continue;
      const keyframe = stream.gop[0];
      const header = stream.videoHeader;
      // no picture yet (audio only, or the GOP cache overflowed), or the same one as last time
      if (!keyframe || keyframe.type !== FlvTagType.Video || !keyframe.randomAccess || !header || keyframe === state.lastKeyframe) continue;
      state.lastTurnMs = now;
      const current = state;
      this.queue.offer(path, () => this.take(current, header, keyframe));
    }
  }

  private async take(state: StreamState, header: MediaPacket, keyframe: MediaPacket): Promise<void> {
    const jpeg = await this.decode(this.decoder!, encodeKeyframeFlv(header.body, keyframe.body));
    if (this.states.get(state.stream.path) !== state) return; // the stream ended meanwhile
    state.lastKeyframe = keyframe;
    state.snapshots.unshift({ takenAtMs: this.now(), jpeg });
    const keep = this.settingsFor(state.stream.app)?.keep ?? 1;
    state.snapshots.length = Math.min(state.snapshots.length, keep);
  }

  /** Snapshot `index` (0: the newest) of a live stream, or why there is none. */
  find(app: string, stream: string, index = 0): SnapshotAnswer {
    const settings = this.settingsFor(app);
    if (!settings) return { ok: false, status: 404, reason: `snapshots are off for app '${app}'` };
    if (this.decoder === null) return { ok: false, status: 503, reason: 'no snapshot decoder: ffmpeg is not installed on the engine host' };
    const state = this.states.get(`${app}/${stream}`);
    const snapshot = state?.snapshots[index];
    if (snapshot) return { ok: true, snapshot };
    if (!state || state.snapshots.length === 0) return { ok: false, status: 404, reason: `no snapshot of '${app}/${stream}' yet` };
    return { ok: false, status: 404, reason: `'${app}/${stream}' has ${state.snapshots.length} snapshot(s); ${index} is past the oldest` };
  }

  /** Every queued job done (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  status(): SnapshotStatus {
    let streams = 0;
    for (const state of this.states.values()) if (state.snapshots.length > 0) streams++;
    return {
      decoder: this.decoder,
      maxRunning: this.queue.maxRunning,
      running: this.queue.runningCount,
      waiting: this.queue.waitingCount,
      streams,
      counters: { ...this.queue.counters },
    };
  }
}
