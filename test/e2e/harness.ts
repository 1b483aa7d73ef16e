// Shared pieces of the end-to-end tests: an in-process engine on OS-assigned loopback ports,
// and real ffmpeg/ffprobe/rtmpdump processes that are always ended by PID.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEngine, type RunningEngine, type StartEngineOptions } from '../../src/engine/engine-runtime.ts';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_RTSP_SETTINGS, DEFAULT_SRT_SETTINGS, DEFAULT_WEBRTC_SETTINGS, type EngineConfig, type RtspSettings, type SrtSettings, type WebRtcSettings } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';

export type TestEngine = RunningEngine & { logs: string[]; rtmpUrl(path: string): string; httpUrl(path: string): string };

export function startTestEngine(
  overrides: {
    waitForPublisherMs?: number;
    writers?: Partial<EngineConfig['writers']>;
    rtmp?: Partial<EngineConfig['rtmp']>;
    hls?: Partial<EngineConfig['hls']>;
    /** an SRT listener on loopback (give it a port from freePort(); await engine.ready) */
    srt?: Partial<SrtSettings>;
    /** a WebRTC listener on loopback, UDP port 0 unless given (await engine.ready) */
    webrtc?: Partial<WebRtcSettings>;
    /** an RTSP server on loopback, port 0 (TCP transport; give a UDP range for UDP) */
    rtsp?: Partial<RtspSettings>;
    /** an admission in place of the app list (see StartEngineOptions) */
    admission?: StartEngineOptions['admission'];
    events?: StartEngineOptions['events'];
    apps?: EngineConfig['apps'];
  } = {},
): TestEngine {
  const logs: string[] = [];
  const config: EngineConfig = {
    ...DEFAULT_ENGINE_CONFIG,
    rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0, ...overrides.rtmp },
    http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
    streams: { ...DEFAULT_ENGINE_CONFIG.streams, waitForPublisherMs: overrides.waitForPublisherMs ?? 5000 },
    writers: { ...DEFAULT_ENGINE_CONFIG.writers, ...overrides.writers },
    hls: { ...DEFAULT_ENGINE_CONFIG.hls, ...overrides.hls },
    ...(overrides.apps ? { apps: overrides.apps } : {}),
    ...(overrides.srt ? { srt: { ...DEFAULT_SRT_SETTINGS, host: '127.0.0.1', ...overrides.srt } } : {}),
    ...(overrides.rtsp ? { rtsp: { ...DEFAULT_RTSP_SETTINGS, host: '127.0.0.1', port: 0, ...overrides.rtsp } } : {}),
    ...(overrides.webrtc ? { webrtc: { ...DEFAULT_WEBRTC_SETTINGS, host: '127.0.0.1', port: 0, ...overrides.webrtc } } : {}),
  };
  const engine = startEngine(config, {
    logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }),
    ...(overrides.admission ? { admission: overrides.admission } : {}),
    ...(overrides.events ? { events: overrides.events } : {}),
  });
  return {
    ...engine,
    logs,
    rtmpUrl: (path) => `rtmp://127.0.0.1:${engine.rtmpPort}/${path}`,
    httpUrl: (path) => `http://127.0.0.1:${engine.httpPort}/${path}`,
  };
}

const children = new Set<Bun.Subprocess>();

export type ProcessResult = { exitCode: number | null; stdout: string; stderr: string };

/** Runs a command to completion (or kills it at the deadline) and returns its output. */
export async function run(cmd: string[], timeoutMs = 30_000): Promise<ProcessResult> {
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
  children.add(proc);
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(timer);
  children.delete(proc);
  return { exitCode: proc.exitCode, stdout, stderr };
}

/** Starts a long-running command; stop it with stop(). */
export function spawnBackground(cmd: string[]): { proc: Bun.Subprocess; stop(): Promise<void>; stderr(): Promise<string> } {
  const proc = Bun.spawn(cmd, { stdout: 'ignore', stderr: 'pipe', stdin: 'ignore' });
  children.add(proc);
  const stderrText = new Response(proc.stderr as ReadableStream).text();
  return {
    proc,
    stderr: () => stderrText,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await proc.exited;
      clearTimeout(killer);
      children.delete(proc);
    },
  };
}

export async function killAll(): Promise<void> {
  for (const proc of children) {
    proc.kill('SIGKILL');
    await proc.exited;
  }
  children.clear();
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'weir-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** ffmpeg arguments for a synthetic H.264 + AAC test pattern published in real time. */
export function testPatternArgs(options: { seconds: number; bFrames: number; gop?: number; size?: string }): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${options.size ?? '320x240'}:rate=25`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(options.seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', String(options.bFrames), '-g', String(options.gop ?? 25),
    '-pix_fmt', 'yuv420p', '-b:v', '400k',
    '-c:a', 'aac', '-b:a', '64k',
  ];
}

export async function publishPattern(url: string, options: { seconds: number; bFrames: number; gop?: number }) {
  return spawnBackground(['ffmpeg', ...testPatternArgs(options), '-f', 'flv', url]);
}

/** Publishes the test pattern to a test engine and waits until the stream has its video header. */
export async function publishPatternUntilVideo(engine: TestEngine, path: string, options: { seconds: number; bFrames: number; gop?: number }) {
  const publisher = await publishPattern(engine.rtmpUrl(path), options);
  const live = await waitFor(() => engine.context.streams.list().some((s) => s.path === path && s.videoHeader !== null), 20_000);
  if (!live) {
    await publisher.stop();
    throw new Error(`${path}: no video header within 20 s of publishing`);
  }
  return publisher;
}

export type ProbedPacket = { codec_type: string; pts?: number; dts?: number; flags?: string; stream_index: number };
export type ProbedStream = { index: number; codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string };

/** ffprobe a URL or file: streams and (optionally) the first packets. */
export async function probe(target: string, options: { packets?: boolean; seconds?: number } = {}) {
  const args = ['ffprobe', '-v', 'error', '-of', 'json', '-show_streams'];
  if (options.packets) args.push('-show_packets', '-show_entries', 'packet=codec_type,stream_index,pts,dts,flags:stream=index,codec_type,codec_name,width,height,sample_rate');
  if (options.seconds) args.push('-read_intervals', `%+${options.seconds}`);
  args.push(target);
  const result = await run(args, 30_000);
  const parsed = JSON.parse(result.stdout || '{}') as { streams?: ProbedStream[]; packets?: ProbedPacket[] };
  return { ...result, streams: parsed.streams ?? [], packets: parsed.packets ?? [] };
}

/** Decodes every frame of a URL or file with ffmpeg; errors show up on stderr. */
export async function decode(target: string, seconds: number) {
  return run(['ffmpeg', '-hide_banner', '-v', 'error', '-xerror', '-i', target, '-t', String(seconds), '-f', 'null', '-'], (seconds + 20) * 1000);
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, stepMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await Bun.sleep(stepMs);
  }
  return predicate();
}

export { freePort } from '../free-port.ts';

/**
 * Whether some process listens on this TCP port, read from the kernel's socket table rather
 * than by connecting: a peer that takes one connection only (ffmpeg `-listen 1`) must not have
 * it used up by the check.
 */
export function isListening(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') return true;
    }
  }
  return false;
}

/** Whether a TCP connection to 127.0.0.1:`port` is accepted (then closed at once). */
export async function acceptsConnections(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/** Waits until a process we started listens on `port`. */
export function waitForListening(port: number, timeoutMs = 10_000): Promise<boolean> {
  return waitFor(() => isListening(port), timeoutMs);
}


const repoRoot = resolve(import.meta.dir, '../..');

/** The lines a process writes to stdout and stderr, collected as they come. */
export function collectLines(proc: Bun.Subprocess): string[] {
  const lines: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    if (!(stream instanceof ReadableStream)) continue;
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream as ReadableStream<Uint8Array>) lines.push(...decoder.decode(chunk).split('\n').filter(Boolean));
    })();
  }
  return lines;
}

export type Proc = Readonly<{ proc: Bun.Subprocess; logs: string[]; stop(): Promise<void> }>;

/**
 * `args` run under this Bun from the repository (or `binary`, a compiled executable, with the
 * arguments after the entry file); its output lines in `logs`; stop() sends SIGTERM, then SIGKILL
 * after 5 s.
 */
export function startProcess(args: string[], env: Record<string, string> = {}, binary: string | null = null): Proc {
  const proc = Bun.spawn(binary === null ? [process.execPath, ...args] : [binary, ...args.slice(1)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
  });
  const logs = collectLines(proc);
  return {
    proc,
    logs,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await proc.exited;
      clearTimeout(killer);
    },
  };
}

/** Collects a process's stderr; waitFor() returns the first capture group of a matching line. */
export function logReader(proc: Bun.Subprocess) {
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const state = { text: '' };
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      state.text += decoder.decode(value);
    }
  })();
  return {
    get text() {
      return state.text;
    },
    ended: pump,
    async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(state.text);
        if (match) return match[1] ?? match[0];
        if (Date.now() > deadline) throw new Error(`no log line matched ${pattern}:\n${state.text.slice(-4000)}`);
        await Bun.sleep(25);
      }
    },
  };
}
