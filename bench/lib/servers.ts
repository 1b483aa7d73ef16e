// Servers under test for the fan-out benchmark: how to start each one pinned to a core on free
// loopback ports, where its streams are, and how to stop it (by its own PID only).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Subprocess } from 'bun';
import { fillTemplate } from './conf-template.ts';
import { freePort } from './free-port.ts';
import type { ViewerProtocol } from './viewers.ts';

/** srs-hls: SRS with HLS on, as its shipped conf/srs.conf has it (Weir muxes HLS and LL-HLS by default) */
export type ServerName = 'weir' | 'srs' | 'srs-hls' | 'nms' | 'nginx';

export const SERVER_PROTOCOLS: Record<ServerName, readonly ViewerProtocol[]> = {
  weir: ['rtmp', 'flv', 'ws'],
  srs: ['rtmp', 'flv'],
  'srs-hls': ['rtmp', 'flv'],
  nms: ['rtmp', 'flv', 'ws'],
  nginx: ['rtmp'], // nginx-rtmp has no HTTP-FLV
};

const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const BENCH = `${REPO}/bench`;
export const WORK_DIR = process.env.WEIR_BENCH_TMP ?? '/tmp/weir-bench';
export const NMS_PREFIX = process.env.NMS_PREFIX ?? `${WORK_DIR}/nms`;
const NMS_APP = `${NMS_PREFIX}/node_modules/node-media-server/bin/app.js`;
const NGINX_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
/** where bench/peers/build-srs.sh installed SRS (bin/srs, BUILD_INFO) */
export const SRS_PREFIX = process.env.SRS_PREFIX ?? `${WORK_DIR}/srs`;
const SRS_BIN = `${SRS_PREFIX}/bin/srs`;

/** null when the server can run here, else what is missing and how to get it */
export function serverMissing(name: ServerName): string | null {
  switch (name) {
    case 'weir':
      return null;
    case 'srs':
    case 'srs-hls':
      return existsSync(SRS_BIN) ? null : `SRS is not built (${SRS_BIN} missing): run SRS_SOURCE=<srs git dir or source tree> bash bench/setup.sh`;
    case 'nms':
      return existsSync(NMS_APP) ? null : `node-media-server is not installed (${NMS_APP} missing): run bash bench/setup.sh`;
    case 'nginx':
      return existsSync(NGINX_MODULE) ? null : `nginx-rtmp is not installed (${NGINX_MODULE} missing): run bash bench/setup.sh`;
  }
}

export type RunningServer = {
  name: ServerName;
  pid: number;
  rtmpPort: number;
  httpPort: number;
  stop(): Promise<void>;
  logPath: string;
};

export function streamUrls(s: RunningServer, stream: string): { publish: string; view: Record<ViewerProtocol, string> } {
  return {
    publish: `rtmp://127.0.0.1:${s.rtmpPort}/live/${stream}`,
    view: {
      rtmp: `rtmp://127.0.0.1:${s.rtmpPort}/live/${stream}`,
      flv: `http://127.0.0.1:${s.httpPort}/live/${stream}.flv`,
      ws: `ws://127.0.0.1:${s.httpPort}/live/${stream}.flv`,
    },
  };
}

/** `git:REF` or `rev:REF` (the same): src/ of any commit or branch of this repository (git archive), e.g. a base beside HEAD */
export type WeirSource = 'head' | 'worktree' | 'dist' | `git:${string}` | `rev:${string}`;

/** the engine snapshot a benchmark run measures, so that edits in progress do not change it mid-run */
let weirEntry: { command: string[]; describe: string } | undefined;

/**
 * Fixes which engine the run measures: `head` copies the committed src/ (git archive HEAD),
 * `worktree` copies src/ as it is now, `dist` uses dist/weir-engine. Call once before startServer.
 */
export function prepareWeir(source: WeirSource): string {
  const bun = `${REPO}/node_modules/.bin/bun`;
  if (source === 'dist') {
    const bin = `${REPO}/dist/weir-engine`;
    if (!existsSync(bin)) throw new Error('dist/weir-engine not built (bun run build)');
    weirEntry = { command: [bin], describe: 'dist/weir-engine' };
    return weirEntry.describe;
  }
  const ref = source.startsWith('git:') || source.startsWith('rev:') ? source.slice(4) : 'HEAD';
  if (!/^[\w.~^/-]+$/.test(ref)) throw new Error(`--weir-source ${source}: not a git ref`);
  const sha = tryRun('git', ['-C', REPO, 'rev-parse', '--short', ref]);
  const archived = source === 'head' || source.startsWith('git:') || source.startsWith('rev:');
  const dir = archived ? `${WORK_DIR}/weir-${sha}` : `${WORK_DIR}/weir-worktree-${Date.now()}`;
  if (archived) {
    if (!existsSync(`${dir}/src/engine.ts`)) {
      mkdirSync(dir, { recursive: true });
      const r = spawnSync('bash', ['-c', `git -C '${REPO}' archive '${ref}' src package.json | tar -x -C '${dir}'`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`git archive failed: ${r.stderr}`);
    }
  } else {
    mkdirSync(dir, { recursive: true });
    const r = spawnSync('cp', ['-r', `${REPO}/src`, `${REPO}/package.json`, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`copying src failed: ${r.stderr}`);
  }
  const dirty = source === 'worktree' && tryRun('git', ['-C', REPO, 'status', '--porcelain', 'src']) !== '';
  weirEntry = { command: [bun, 'run', `${dir}/src/engine.ts`], describe: `${source} ${sha}${dirty ? ' + uncommitted src changes' : ''}` };
  return weirEntry.describe;
}

/** the command that runs the engine prepareWeir fixed (before any engine flag) */
export function weirEngineCommand(): string[] {
  if (!weirEntry) prepareWeir('head');
  return [...weirEntry!.command];
}

function weirCommand(rtmpPort: number, httpPort: number, extraArgs: readonly string[]): string[] {
  if (!weirEntry) prepareWeir('head');
  const args = ['--rtmp-host', '127.0.0.1', '--http-host', '127.0.0.1', '--rtmp-port', String(rtmpPort), '--http-port', String(httpPort), '--log-level', 'warn'];
  return [...weirEntry!.command, ...args, ...extraArgs];
}

/**
 * The listeners a fan-out run does not use, kept off the machine's fixed default ports so that
 * two benchmarks (or a test suite) at once do not collide: no RTSP, SRT or WebRTC, and the
 * engine API (it always listens, for /healthz and /metrics) on a free loopback port. Environment
 * rather than flags, so sources from before those listeners existed still start.
 */
function weirQuietListenersEnv(apiPort: number): Record<string, string> {
  return { WEIR_RTSP: '0', WEIR_SRT_PORT: '0', WEIR_WEBRTC_PORT: '0', WEIR_API_HOST: '127.0.0.1', WEIR_API_PORT: String(apiPort) };
}

function srsCommand(dir: string, rtmpPort: number, httpPort: number, hls: boolean): string[] {
  const conf = fillTemplate(readFileSync(`${BENCH}/peers/srs.conf`, 'utf8'), { RTMP_PORT: rtmpPort, HTTP_PORT: httpPort, PREFIX: dir, HLS: hls ? 'on' : 'off' });
  const confPath = `${dir}/srs.conf`;
  writeFileSync(confPath, conf);
  return [SRS_BIN, '-c', confPath];
}

function nmsCommand(dir: string, rtmpPort: number, httpPort: number): string[] {
  const config = JSON.parse(readFileSync(`${BENCH}/peers/nms-config.json`, 'utf8')) as Record<string, unknown>;
  const configPath = `${dir}/nms-config.json`;
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return ['node', NMS_APP, '-c', configPath, '--rtmp-port', String(rtmpPort), '--http-port', String(httpPort), '--data-path', `${dir}/data`, '--no-admin'];
}

function nginxCommand(dir: string, rtmpPort: number): string[] {
  const conf = fillTemplate(readFileSync(`${BENCH}/peers/nginx-rtmp.conf`, 'utf8'), { RTMP_PORT: rtmpPort, PREFIX: dir, MODULE: NGINX_MODULE });
  const confPath = `${dir}/nginx.conf`;
  writeFileSync(confPath, conf);
  return ['nginx', '-p', dir, '-c', confPath, '-g', 'daemon off;'];
}

export async function waitForPort(port: number, timeoutMs: number, proc: Subprocess): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      Bun.connect({
        hostname: '127.0.0.1',
        port,
        socket: {
          open(s) {
            s.end();
            resolve(true);
          },
          data() {},
          connectError() {
            resolve(false);
          },
        },
      }).catch(() => resolve(false));
    });
    if (ok) return;
    await Bun.sleep(100);
  }
  throw new Error(`port ${port} not listening after ${timeoutMs} ms`);
}

export type StartOptions = {
  /** engine flags appended for Weir (a mode such as --merge-write-ms 0); ignored for the peers */
  weirArgs?: readonly string[];
  /** variables over Weir's environment (a mode's); ignored for the peers */
  weirEnv?: Readonly<Record<string, string>>;
  /** names the run directory beside the server's name (e.g. the Weir mode) */
  tag?: string;
};

/** the environment a server starts with */
function serverEnv(name: ServerName, weirEnv: Readonly<Record<string, string>> = {}): Record<string, string | undefined> {
  if (name === 'srs' || name === 'srs-hls') {
    // SRS reads SRS_* variables as config overrides (SRS_LISTEN, SRS_VHOST_PLAY_MW_LATENCY, ...);
    // ours (SRS_SOURCE, SRS_PREFIX) or a stray one must not change the config under test
    return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SRS_')));
  }
  if (name !== 'weir') return { ...process.env };
  return {
    ...process.env,
    // every bench client comes from one loopback address: Weir's per-address caps would cut the
    // run short (environment, not flags, so sources from before the caps still start)
    WEIR_RTMP_MAX_PER_ADDRESS: '0',
    WEIR_HTTP_MAX_PER_ADDRESS: '0',
    WEIR_RTMP_MAX_PUBLISHES_PER_ADDRESS: '0',
    ...weirQuietListenersEnv(freePort()),
    // a mode's own variables (fanout.ts --weir-modes)
    ...weirEnv,
  };
}

/** Starts a server pinned to `core`; resolves once its ports accept connections. */
export async function startServer(name: ServerName, core: number, runId: string, opts: StartOptions = {}): Promise<RunningServer> {
  const missing = serverMissing(name);
  if (missing) throw new Error(missing);
  const dir = `${WORK_DIR}/run-${runId}-${name}${opts.tag ? `-${opts.tag}` : ''}`;
  mkdirSync(dir, { recursive: true });
  const rtmpPort = freePort();
  const httpPort = name === 'nginx' ? 0 : freePort();
  const cmd =
    name === 'weir'
      ? weirCommand(rtmpPort, httpPort, opts.weirArgs ?? [])
      : name === 'srs' || name === 'srs-hls'
        ? srsCommand(dir, rtmpPort, httpPort, name === 'srs-hls')
        : name === 'nms'
          ? nmsCommand(dir, rtmpPort, httpPort)
          : nginxCommand(dir, rtmpPort);
  const logPath = `${dir}/server.log`;
  const proc = Bun.spawn(['taskset', '-c', String(core), ...cmd], {
    cwd: dir,
    env: serverEnv(name, opts.weirEnv),
    stdout: Bun.file(logPath),
    stderr: Bun.file(`${dir}/server.err.log`),
    stdin: 'ignore',
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
    if (!exited) {
      proc.kill('SIGKILL');
      await proc.exited;
    }
  };
  try {
    await waitForPort(rtmpPort, 15_000, proc);
    if (httpPort) await waitForPort(httpPort, 15_000, proc);
  } catch (err) {
    await stop();
    const errLog = existsSync(`${dir}/server.err.log`) ? readFileSync(`${dir}/server.err.log`, 'utf8').slice(-2000) : '';
    throw new Error(`${name} did not start: ${String(err)}\n${errLog}`);
  }
  return { name, pid: proc.pid, rtmpPort, httpPort, stop, logPath };
}

/** stdout, or stderr when stdout is empty (nginx -v prints there) */
function tryRun(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return 'unknown';
  return (r.stdout.trim() || r.stderr.trim()) ?? '';
}

/** SRS's version and how it was built, from build-srs.sh's BUILD_INFO */
function srsVersion(): string {
  let info: string;
  try {
    info = readFileSync(`${SRS_PREFIX}/BUILD_INFO`, 'utf8');
  } catch {
    return existsSync(SRS_BIN) ? tryRun(SRS_BIN, ['-v']) : 'not built';
  }
  const field = (k: string) => info.match(new RegExp(`^${k}=(.*)$`, 'm'))?.[1]?.trim() ?? '?';
  return `${field('version')} (${field('source').replace(/^git ([0-9a-f]{12})[0-9a-f]*/, 'git $1')}; ${field('configure').replace(/ --prefix=\S+/, '')})`;
}

export function versions(): Record<string, string> {
  let nms = 'not installed';
  try {
    nms = (JSON.parse(readFileSync(`${NMS_PREFIX}/node_modules/node-media-server/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    // not installed
  }
  const weirPkg = JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string };
  return {
    weir: `${weirPkg.version} (${weirEntry?.describe ?? 'not run'})`,
    bun: tryRun(`${REPO}/node_modules/.bin/bun`, ['--version']),
    node: tryRun('node', ['--version']),
    'node-media-server': nms,
    srs: srsVersion(),
    nginx: tryRun('nginx', ['-v']).replace('nginx version: ', ''),
    'libnginx-mod-rtmp': tryRun('dpkg-query', ['-W', '-f=${Version}', 'libnginx-mod-rtmp']),
    kernel: tryRun('uname', ['-r']),
    cpu: (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown').trim(),
    cores: tryRun('nproc', []),
  };
}
