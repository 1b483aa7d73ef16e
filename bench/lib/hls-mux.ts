// The "mux" phase of the HLS benchmark: HLS + LL-HLS muxing alone, in one process, without
// sockets. The source file's tags go through N streams' ingest (classified as the RTMP edge
// does) as fast as they can, once with only the hub and once with an HLS output on each
// stream; the CPU difference per minute of media is the muxing cost. Then, with every output
// still holding its window, what the windows hold per stream: the distinct bytes of their
// segments and parts, and the process RSS they added. Each engine version (a src/ directory,
// e.g. a git archive of a base commit) runs in its own child process, so modules, JIT and
// heap are its own. Far less noisy than the engine's CPU on a machine shared with other jobs.
import { readFlvFile } from './flv-file.ts';
import { withoutEndOfSequence } from './hls-send-times.ts';
import { round } from './metrics.ts';

export type MuxOptions = {
  /** a directory holding src/ of the engine version to measure */
  srcDir: string;
  sourcePath: string;
  streams: number;
  /** times each stream goes through the file (its timestamps moved on each time) */
  loops: number;
  /** LL-HLS part target; undefined: that version's default */
  partTargetMs?: number;
};

export type MuxResult = {
  srcDir: string;
  streams: number;
  mediaMinutesPerStream: number;
  partTargetMs: number;
  /** CPU seconds (user + system) of the ingest alone and with HLS */
  ingestCpuSec: number;
  withHlsCpuSec: number;
  /** (with HLS - ingest alone) per stream per minute of media */
  muxCpuSecPerStreamMinute: number;
  /** the same as % of a core for a stream in real time */
  muxPercentOfCorePerStream: number;
  /** distinct bytes the HLS windows hold, per stream (TS + fMP4 segments and parts) */
  windowMiBPerStream: number;
  /** process RSS added by the outputs and their windows, per stream (after a full GC) */
  rssMiBPerStream: number;
};

type Segment = { bytes: Uint8Array | null; parts: Array<{ bytes: Uint8Array }> };
type Variant = { segments: Segment[]; open: Segment | null };
type Output = { ts: Variant | null; ll: Variant | null };

/** every distinct buffer a variant holds, once (a part that is a view of its segment is not counted again) */
function heldBytes(variant: Variant | null): number {
  if (!variant) return 0;
  const sizes = new Map<ArrayBufferLike, number>();
  for (const segment of variant.open ? [...variant.segments, variant.open] : variant.segments) {
    for (const bytes of [...(segment.bytes ? [segment.bytes] : []), ...segment.parts.map((p) => p.bytes)]) {
      sizes.set(bytes.buffer, Math.max(sizes.get(bytes.buffer) ?? 0, bytes.byteOffset + bytes.byteLength));
    }
  }
  let n = 0;
  for (const size of sizes.values()) n += size;
  return n;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs in the child: both passes over one engine version. */
async function measure(o: MuxOptions): Promise<MuxResult> {
  const src = `${o.srcDir}/src`;
  const { LiveStream } = await import(`${src}/hub/live-stream.ts`);
  const { HlsOutput } = await import(`${src}/outputs/hls/hls-output.ts`);
  const { classifyTag } = await import(`${src}/flv/classify-tag.ts`);
  const { hlsMemoryCaps } = await import(`${src}/outputs/hls/hls-memory-caps.ts`);
  const { DEFAULT_ENGINE_CONFIG } = await import(`${src}/shared/engine-config.ts`);
  const { createLogger } = await import(`${src}/shared/logger.ts`);
  const hls = DEFAULT_ENGINE_CONFIG.hls;
  const partTargetMs = o.partTargetMs ?? hls.partTargetMs;
  const options = {
    classic: true,
    lowLatency: true,
    targetDurationMs: hls.targetDurationMs,
    partTargetMs,
    windowSegments: hls.windowSegments,
    ...hlsMemoryCaps(hls, { classic: true, lowLatency: true }),
  };
  const tags = withoutEndOfSequence(readFlvFile(o.sourcePath)).filter((t) => t.type === 8 || t.type === 9);
  const fileMs = tags[tags.length - 1]!.timestampMs + 40;
  const log = createLogger({ level: 'error', sink: () => {} });
  const gop = { maxPackets: 8192, maxBytes: 64 << 20 };

  const pass = (withHls: boolean) => {
    let clockMs = 0;
    const outputs: Output[] = [];
    const streams = Array.from({ length: o.streams }, (_, i) => {
      const stream = new LiveStream('bench', `mux${i}`, gop);
      if (withHls) {
        // the clock the output dates segments by: the media time, as if published in real time
        const output = new HlsOutput(stream, options, log, () => 1_700_000_000_000 + clockMs);
        stream.addReader(output);
        outputs.push(output);
      }
      stream.attachPublisher({ id: `p${i}`, kick() {} }, 0);
      return stream;
    });
    Bun.gc(true);
    const rssBefore = process.memoryUsage().rss;
    const before = cpuSeconds();
    for (let loop = 0; loop < o.loops; loop++) {
      for (const tag of tags) {
        const timestampMs = tag.timestampMs + loop * fileMs;
        clockMs = timestampMs;
        for (const stream of streams) stream.ingest({ type: tag.type, timestampMs, body: tag.body, ...classifyTag(tag.type, tag.body) });
      }
    }
    const cpu = cpuSeconds() - before;
    Bun.gc(true);
    const rssAdded = process.memoryUsage().rss - rssBefore;
    let window = 0;
    for (const output of outputs) window += heldBytes(output.ts) + heldBytes(output.ll);
    return { cpu, rssAdded, window, keep: [streams, outputs] };
  };

  // a warm-up pass so both measured passes run JIT-compiled code
  pass(true);
  Bun.gc(true);
  const ingest = pass(false);
  Bun.gc(true);
  const withHls = pass(true);
  const minutes = (o.loops * fileMs) / 60_000;
  const muxPerStreamMinute = (withHls.cpu - ingest.cpu) / o.streams / minutes;
  return {
    srcDir: o.srcDir,
    streams: o.streams,
    mediaMinutesPerStream: round(minutes, 2)!,
    partTargetMs,
    ingestCpuSec: round(ingest.cpu, 3)!,
    withHlsCpuSec: round(withHls.cpu, 3)!,
    muxCpuSecPerStreamMinute: round(muxPerStreamMinute, 4)!,
    muxPercentOfCorePerStream: round((muxPerStreamMinute / 60) * 100, 3)!,
    windowMiBPerStream: round(withHls.window / o.streams / 2 ** 20, 2)!,
    rssMiBPerStream: round(withHls.rssAdded / o.streams / 2 ** 20, 2)!,
  };
}

/** Measures one engine version in a child process of its own. */
export async function runMuxPhase(o: MuxOptions): Promise<MuxResult> {
  const proc = Bun.spawn([process.execPath, 'run', import.meta.path, JSON.stringify(o)], { stdout: 'pipe', stderr: 'inherit' });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`mux phase for ${o.srcDir} failed`);
  return JSON.parse(out) as MuxResult;
}

if (import.meta.main) {
  const result = await measure(JSON.parse(process.argv[2] ?? '{}') as MuxOptions);
  process.stdout.write(JSON.stringify(result));
}
