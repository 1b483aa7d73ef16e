// A Weir engine for the RTSP, SRT and recording benchmarks: pinned to a core, every listener
// (RTMP, HTTP, RTSP, SRT, engine API) on its own free loopback port so that two engines (a camera
// farm and the engine under test) or a test suite on the same machine never collide, optionally
// under a config server (--config-url), and stopped by its own PID only.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { freePort } from './free-port.ts';
import { stopProcesses } from './process-stop.ts';
import { WORK_DIR, waitForPort, weirEngineCommand } from './servers.ts';

export type WeirEngine = {
  pid: number;
  rtmpPort: number;
  httpPort: number;
  rtspPort: number;
  /** UDP; 0 when SRT is off */
  srtPort: number;
  apiPort: number;
  dir: string;
  logPath: string;
  stop(): Promise<void>;
};

export type WeirEngineOptions = {
  core: number;
  /** names the run directory under WORK_DIR */
  runId: string;
  config?: { url: string; secret: string };
  srt?: boolean;
  args?: readonly string[];
  env?: Record<string, string>;
};

/**
 * What the scripts that start an engine themselves (slow-viewers.ts, cpu-profile.ts) give it: every
 * bench client comes from one loopback address, so the per-address caps are lifted; RTSP, SRT and
 * the engine API on ports of the OS's choosing, so other engines on this machine do not collide.
 */
export const SOLO_ENGINE_ENV: Record<string, string> = {
  WEIR_RTMP_MAX_PER_ADDRESS: '0',
  WEIR_HTTP_MAX_PER_ADDRESS: '0',
  WEIR_RTMP_MAX_PUBLISHES_PER_ADDRESS: '0',
  WEIR_RTSP_PORT: '0',
  WEIR_SRT_PORT: '0',
  WEIR_API_PORT: '0',
};

/** an engine's flags for RTMP and HTTP-FLV on loopback ports, warnings only, a merge window */
export function soloEngineFlags(rtmpPort: number, httpPort: number, mergeWriteMs: number): string[] {
  return ['--rtmp-host', '127.0.0.1', '--http-host', '127.0.0.1', '--rtmp-port', String(rtmpPort), '--http-port', String(httpPort), '--log-level', 'warn', '--merge-write-ms', String(mergeWriteMs)];
}

/** Starts the engine prepareWeir() fixed; resolves once RTMP, HTTP (and RTSP, the API) accept connections. */
export async function startWeirEngine(o: WeirEngineOptions): Promise<WeirEngine> {
  const dir = `${WORK_DIR}/run-${o.runId}`;
  mkdirSync(dir, { recursive: true });
  const [rtmpPort, httpPort, rtspPort, apiPort] = [freePort(), freePort(), freePort(), freePort()];
  // freePort() probes TCP; the SRT listener is UDP, and the same free number is almost always free for UDP too
  const srtPort = o.srt ? freePort() : 0;
  const cmd = [
    ...weirEngineCommand(),
    ...['--rtmp-host', '127.0.0.1', '--rtmp-port', String(rtmpPort), '--http-host', '127.0.0.1', '--http-port', String(httpPort)],
    ...['--rtsp-host', '127.0.0.1', '--rtsp-port', String(rtspPort), '--api-host', '127.0.0.1', '--api-port', String(apiPort)],
    ...['--srt-host', '127.0.0.1', '--srt-port', String(srtPort)],
    // no WebRTC: two engines of one benchmark would both want its default UDP port 8189
    ...['--webrtc-port', '0'],
    ...(o.config ? ['--config-url', o.config.url] : []),
    '--log-level',
    'warn',
    ...(o.args ?? []),
  ];
  const logPath = `${dir}/engine.log`;
  const proc = Bun.spawn(['taskset', '-c', String(o.core), ...cmd], {
    cwd: dir,
    env: {
      ...process.env,
      // every bench client comes from 127.0.0.1: per-address caps would cut a run short
      WEIR_RTMP_MAX_PER_ADDRESS: '0',
      WEIR_HTTP_MAX_PER_ADDRESS: '0',
      WEIR_RTMP_MAX_PUBLISHES_PER_ADDRESS: '0',
      WEIR_RTSP_MAX_PER_ADDRESS: '0',
      WEIR_RTSP_MAX_PUBLISHES_PER_ADDRESS: '0',
      WEIR_SRT_MAX_PER_ADDRESS: '0',
      WEIR_SRT_MAX_CONNECTIONS: '100000',
      ...(o.config ? { WEIR_ENGINE_SECRET: o.config.secret } : {}),
      ...o.env,
    },
    stdout: Bun.file(logPath),
    stderr: Bun.file(`${dir}/engine.err.log`),
    stdin: 'ignore',
  });
  const stop = (): Promise<void> => stopProcesses([proc], 8000);
  try {
    for (const port of [rtmpPort, httpPort, rtspPort, apiPort]) await waitForPort(port, 20_000, proc);
  } catch (err) {
    await stop();
    const errLog = existsSync(`${dir}/engine.err.log`) ? readFileSync(`${dir}/engine.err.log`, 'utf8').slice(-2000) : '';
    throw new Error(`weir did not start: ${String(err)}\n${errLog}`);
  }
  return { pid: proc.pid, rtmpPort, httpPort, rtspPort, srtPort, apiPort, dir, logPath, stop };
}

/** GET on the engine API with the engine secret; undefined on any failure */
export async function engineApi<T>(e: WeirEngine, secret: string, path: string): Promise<T | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${e.apiPort}${path}`, { headers: { Authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return undefined;
    return (await res.json()) as T;
  } catch {
    return undefined;
  }
}
