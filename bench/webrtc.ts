// WebRTC benchmark: the engine pinned to core 0; everything else (the RTMP publisher, headless
// Chromium) pinned to core 1.
//
// Viewers phase: a looped H.264 file (ffmpeg -c copy, no encoding on the client core) is published
// over RTMP; N WHEP sessions are opened from one Chromium page (N RTCPeerConnections, video
// recvonly, no <video> sink so Chromium does not decode them: the client core only does ICE, DTLS
// and SRTP). Over the measured window it reports the engine's CPU (% of its core), CPU per viewer,
// every viewer's received bitrate against the source, loss, and the viewers one core would carry:
// the engine's share with the publisher alone is measured first (baseline), and each viewer's cost
// is the share above it over N; viewers per core = (1 - baseline) / that cost. This is a linear
// extrapolation, not a measured saturation point: the points step N up until one fails or the
// client core saturates, which on a 2-core machine comes long before the engine's core does.
// Viewers are Chromium peer connections, not a lighter load tool: Weir has a DTLS server only,
// so a client of its own would need a DTLS client first. Chromium's per-connection cost caps N
// on a 2-core machine well before the engine's core does, which the report says (client CPU %).
//
// Latency phase (the method of test/e2e/webrtc-latency.test.ts): one Chromium page draws its
// millisecond clock as bars on a canvas and publishes it over WHIP; another plays it over WHEP and
// reads the bars back from every decoded frame (requestVideoFrameCallback): glass to glass,
// including both browsers' capture, encode, jitter buffer and decode, on one machine clock.
//
//   bun run bench/webrtc.ts                          # viewers 25,50,100,200 then latency
//   bun run bench/webrtc.ts --viewers 10,20 --duration 10 --latency-frames 300
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/browser/browser.ts';
import { freePort } from './lib/free-port.ts';
import { cpuTimes, treeCpuSeconds } from './lib/proc-cpu.ts';

const REPO = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const BUN = `${REPO}/node_modules/.bin/bun`;
const SERVER_CORE = 0;
const CLIENT_CORE = 1;
const STREAM = 'live/bench';
const CLOCK_STREAM = 'live/clock';
/** a viewer passes at this share of the source's bitrate */
const MIN_RATIO = 0.95;
/** above this share of its core the client (Chromium), not the engine, may be the limit */
const CLIENT_SATURATION = 0.9;

const USAGE = `usage: bun run bench/webrtc.ts [options]
  --viewers LIST        WebRTC viewer counts to measure (default 25,50,100,200; stops at the first failing point)
  --duration S          measured seconds per point (default 20)
  --bitrate KBPS        video bitrate of the published file (default 1500, 1280x720 25 fps, GOP 2 s)
  --latency-frames N    frames measured for glass-to-glass latency (default 600; 0 skips the phase)
  --out PATH            JSON results (default bench/results/webrtc-<time>.json)
`;

const { values: args } = parseArgs({
  options: {
    viewers: { type: 'string', default: '25,50,100,200' },
    duration: { type: 'string', default: '20' },
    bitrate: { type: 'string', default: '1500' },
    'latency-frames': { type: 'string', default: '600' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const viewerCounts = args.viewers.split(',').map(Number);
if (viewerCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--viewers: a comma-separated list of whole numbers');
const durationSec = Number(args.duration);
const bitrateKbps = Number(args.bitrate);
const latencyFrames = Number(args['latency-frames']);

const cleanups: Array<() => Promise<void> | void> = [];
async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().finally(() => process.exit(130)));

// this process (and so Chromium and ffmpeg, which inherit it) on the client core
Bun.spawnSync(['taskset', '-cp', String(CLIENT_CORE), String(process.pid)]);

const work = `/tmp/weir-bench/webrtc-${Date.now()}`;
mkdirSync(work, { recursive: true });

async function run(cmd: string[]): Promise<void> {
  const p = Bun.spawn(cmd, { stdout: 'ignore', stderr: 'pipe' });
  if ((await p.exited) !== 0) throw new Error(`${cmd[0]} failed: ${(await new Response(p.stderr).text()).slice(-500)}`);
}

/** Polls `check` every 100 ms until it is true or `timeoutMs` passes. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out: ${what}`);
}

async function startEngine(): Promise<{ pid: number; http: number; rtmp: number; logs: () => string }> {
  const rtmp = freePort();
  const http = freePort();
  const webrtc = freePort();
  const logPath = `${work}/engine.err.log`; // the engine logs to stderr
  const proc = Bun.spawn(['taskset', '-c', String(SERVER_CORE), BUN, 'run', `${REPO}/src/engine.ts`,
    '--rtmp-host', '127.0.0.1', '--http-host', '127.0.0.1', '--rtmp-port', String(rtmp), '--http-port', String(http),
    '--webrtc-host', '127.0.0.1', '--webrtc-port', String(webrtc), '--webrtc-max-sessions', '100000',
    // no listener on a fixed port (the machine may run other engines): no RTSP, no SRT, the API on any port
    '--no-rtsp', '--srt-port', '0', '--api-port', '0'], {
    // every bench client comes from one loopback address: no per-address caps
    env: { ...process.env, WEIR_WEBRTC_MAX_PER_ADDRESS: '0', WEIR_RTMP_MAX_PER_ADDRESS: '0', WEIR_HTTP_MAX_PER_ADDRESS: '0' },
    stdout: Bun.file(`${work}/engine.out.log`),
    stderr: Bun.file(logPath),
    stdin: 'ignore',
  });
  cleanups.push(async () => {
    proc.kill('SIGTERM');
    await Promise.race([proc.exited, Bun.sleep(5000)]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  const logs = (): string => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  await until(() => logs().includes('WebRTC listening') && logs().includes('RTMP listening'), 20_000, 'engine listening');
  return { pid: proc.pid, http, rtmp, logs };
}

/** A 20 s H.264 file (no audio: WebRTC would not carry AAC) published in a loop without re-encoding. */
async function startPublisher(rtmpPort: number, path: string): Promise<void> {
  const file = `${work}/source.flv`;
  await run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', '20',
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '50', '-b:v', `${bitrateKbps}k`, '-maxrate', `${bitrateKbps}k`,
    '-bufsize', `${bitrateKbps * 2}k`, '-pix_fmt', 'yuv420p', '-f', 'flv', file]);
  const p = Bun.spawn(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file, '-c', 'copy', '-f', 'flv',
    `rtmp://127.0.0.1:${rtmpPort}/${path}`], { stdout: 'ignore', stderr: 'ignore' });
  cleanups.push(() => { p.kill('SIGKILL'); });
}

// ---- viewers phase --------------------------------------------------------------------------

const VIEWERS_PAGE = `<!doctype html><meta charset="utf-8"><title>webrtc bench</title><script>
window.pcs = [];
window.errors = [];
window.openViewers = async (url, n) => {
  for (let i = 0; i < n; i++) {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    const text = await res.text();
    if (res.status !== 201) { window.errors.push(res.status + ' ' + text); pc.close(); continue; }
    pc.__location = new URL(res.headers.get('Location'), url).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
    window.pcs.push(pc);
  }
};
window.connected = () => window.pcs.filter((pc) => pc.connectionState === 'connected').length;
window.sample = async () => Promise.all(window.pcs.map(async (pc) => {
  let bytes = 0, packets = 0, lost = 0;
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') { bytes = r.bytesReceived || 0; packets = r.packetsReceived || 0; lost = r.packetsLost || 0; }
  });
  return { bytes, packets, lost };
}));
window.closeAll = async () => {
  await Promise.all(window.pcs.map((pc) => fetch(pc.__location, { method: 'DELETE' }).catch(() => {}).then(() => pc.close())));
  window.pcs = [];
};
</script>`;

type ViewerSample = { bytes: number; packets: number; lost: number };

type ViewerPoint = {
  viewers: number;
  connected: number;
  pass: boolean;
  sourceKbps: number;
  minRatio: number;
  medianKbps: number;
  lossPercent: number;
  engineCpuPercent: number;
  engineCpuMsPerViewerSecond: number;
  engineCpuMsPerViewerSecondAboveBaseline: number;
  clientCpuPercent: number;
  otherCpuPercent: number;
  extrapolatedViewersPerCore: number | null;
  errors: string[];
};

async function servePage(html: string): Promise<string> {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } }) });
  cleanups.push(() => server.stop(true));
  return `http://127.0.0.1:${server.port}/`;
}

/** busy seconds of one core (all but idle and iowait), from /proc/stat */
const coreBusy = (core: number): number => {
  const t = cpuTimes().get(core);
  return t ? t.busy : 0;
};

/** the engine's share of its core with the publisher alone (ingest, GOP cache, packetization) */
async function baselineShare(enginePid: number): Promise<number> {
  const cpu0 = treeCpuSeconds([enginePid]);
  const t0 = performance.now();
  await Bun.sleep(durationSec * 1000);
  return (treeCpuSeconds([enginePid]) - cpu0) / ((performance.now() - t0) / 1000);
}

async function viewerPoint(browser: Browser, engine: { pid: number; http: number }, n: number, baseline: number): Promise<ViewerPoint> {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(await servePage(VIEWERS_PAGE));
    const url = `http://127.0.0.1:${engine.http}/${STREAM}/whep`;
    await page.evaluate(`window.openViewers(${JSON.stringify(url)}, ${n})`);
    await until(async () => (await page.evaluate('window.connected()')) === n || ((await page.evaluate('window.errors.length')) as number) > 0, 60_000, `${n} viewers connected`).catch(() => {});
    await Bun.sleep(3000); // past the first keyframe and the jitter buffers' start
    const before = (await page.evaluate('window.sample()')) as ViewerSample[];
    const cpu0 = treeCpuSeconds([engine.pid]);
    const core0 = { server: coreBusy(SERVER_CORE), client: coreBusy(CLIENT_CORE) };
    const t0 = performance.now();
    await Bun.sleep(durationSec * 1000);
    const after = (await page.evaluate('window.sample()')) as ViewerSample[];
    const seconds = (performance.now() - t0) / 1000;
    const engineCpu = treeCpuSeconds([engine.pid]) - cpu0;
    const serverCoreBusy = coreBusy(SERVER_CORE) - core0.server;
    const clientCoreBusy = coreBusy(CLIENT_CORE) - core0.client;
    const kbps = after.map((a, i) => ((a.bytes - (before[i]?.bytes ?? 0)) * 8) / seconds / 1000);
    const received = after.reduce((s, a, i) => s + a.packets - (before[i]?.packets ?? 0), 0);
    const lost = after.reduce((s, a, i) => s + a.lost - (before[i]?.lost ?? 0), 0);
    const sorted = [...kbps].sort((a, b) => a - b);
    // the source's rate as the best-fed viewer saw it (payload bytes, so RTP and SRTP overhead are left out)
    const source = sorted[sorted.length - 1] ?? 0;
    const minRatio = source > 0 ? (sorted[0] ?? 0) / source : 0;
    const connected = (await page.evaluate('window.connected()')) as number;
    const errors = (await page.evaluate('window.errors')) as string[];
    const engineShare = engineCpu / seconds;
    const pass = connected === n && errors.length === 0 && minRatio >= MIN_RATIO && source > bitrateKbps * 0.5;
    return {
      viewers: n,
      connected,
      pass,
      sourceKbps: Math.round(source),
      minRatio: Number(minRatio.toFixed(3)),
      medianKbps: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
      lossPercent: Number(((100 * lost) / Math.max(1, received + lost)).toFixed(3)),
      engineCpuPercent: Number((100 * engineShare).toFixed(1)),
      engineCpuMsPerViewerSecond: Number(((1000 * engineShare) / n).toFixed(3)),
      clientCpuPercent: Number(((100 * clientCoreBusy) / seconds).toFixed(1)),
      // what else ran on the engine's core besides the engine: noise on a shared machine
      otherCpuPercent: Number((Math.max(0, (100 * (serverCoreBusy - engineCpu)) / seconds)).toFixed(1)),
      engineCpuMsPerViewerSecondAboveBaseline: Number(((1000 * Math.max(0, engineShare - baseline)) / n).toFixed(3)),
      // the core's remaining share over one viewer's share above the publisher-only baseline
      extrapolatedViewersPerCore: pass && engineShare > baseline ? Math.floor((n * (1 - baseline)) / (engineShare - baseline)) : null,
      errors: errors.slice(0, 5),
    };
  } finally {
    await page.evaluate('window.closeAll()').catch(() => {});
    await context.close();
  }
}

// ---- latency phase --------------------------------------------------------------------------

const BITS = 20;
const CLOCK_PAGE = `<!doctype html><meta charset="utf-8"><title>clock</title><body><video id="video" muted autoplay playsinline></video><script>
const BITS = ${BITS};
window.publishClock = async (url) => {
  const canvas = document.createElement('canvas');
  canvas.width = 320; canvas.height = 240;
  document.body.appendChild(canvas);
  const ctx = canvas.getContext('2d');
  setInterval(() => {
    const now = Date.now() % 2 ** BITS;
    ctx.fillStyle = '#808080'; ctx.fillRect(0, 0, 320, 240);
    for (let i = 0; i < BITS; i++) { ctx.fillStyle = (now >> (BITS - 1 - i)) & 1 ? '#ffffff' : '#000000'; ctx.fillRect(i * 16, 0, 16, 240); }
  }, 5);
  const pc = new RTCPeerConnection();
  pc.addTransceiver(canvas.captureStream(30).getVideoTracks()[0], { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
  const text = await res.text();
  if (res.status !== 201) throw new Error('WHIP POST ' + res.status + ': ' + text);
  await pc.setRemoteDescription({ type: 'answer', sdp: text });
};
window.samples = [];
window.watchClock = async (url) => {
  const video = document.getElementById('video');
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); video.play().catch(() => {}); };
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
  const text = await res.text();
  if (res.status !== 201) throw new Error('WHEP POST ' + res.status + ': ' + text);
  await pc.setRemoteDescription({ type: 'answer', sdp: text });
  const canvas = document.createElement('canvas');
  canvas.width = 320; canvas.height = 240;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = () => {
    ctx.drawImage(video, 0, 0, 320, 240);
    const row = ctx.getImageData(0, 120, 320, 1).data;
    let value = 0;
    for (let i = 0; i < BITS; i++) value = (value << 1) | (row[(i * 16 + 8) * 4] > 128 ? 1 : 0);
    const m = 2 ** BITS;
    window.samples.push((((Date.now() % m) - value) % m + m) % m);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
};
</script>`;

type LatencyResult = { frames: number; p50Ms: number; p90Ms: number; p99Ms: number; minMs: number; maxMs: number };

async function latencyPhase(browser: Browser, engine: { http: number }): Promise<LatencyResult> {
  const url = await servePage(CLOCK_PAGE);
  const pubContext = await browser.newContext();
  const viewContext = await browser.newContext();
  try {
    const publisher = await pubContext.newPage();
    const viewer: Page = await viewContext.newPage();
    await publisher.goto(url);
    await viewer.goto(url);
    await publisher.evaluate(`window.publishClock(${JSON.stringify(`http://127.0.0.1:${engine.http}/${CLOCK_STREAM}/whip`)})`);
    await Bun.sleep(1000);
    await viewer.evaluate(`window.watchClock(${JSON.stringify(`http://127.0.0.1:${engine.http}/${CLOCK_STREAM}/whep`)})`);
    // the first frames out of the jitter buffer are the oldest: 30 are left out, as in the test
    const wanted = latencyFrames + 30;
    await until(async () => ((await viewer.evaluate('window.samples.length')) as number) >= wanted, 60_000 + latencyFrames * 100, `${wanted} clock frames`);
    const steady = ((await viewer.evaluate('window.samples')) as number[]).slice(30).sort((a, b) => a - b);
    const at = (q: number) => steady[Math.min(steady.length - 1, Math.floor(steady.length * q))]!;
    return { frames: steady.length, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), minMs: steady[0]!, maxMs: steady[steady.length - 1]! };
  } finally {
    await viewContext.close();
    await pubContext.close();
  }
}

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const engine = await startEngine();
  await startPublisher(engine.rtmp, STREAM);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, '--allow-loopback-in-peer-connection'],
    timeout: 30_000,
  });
  cleanups.push(() => browser.close());
  // the stream is live once its WHEP answer is a 201 (the engine waits for a publish that is coming)
  await Bun.sleep(2000);
  const baseline = await baselineShare(engine.pid);
  console.log(JSON.stringify({ baselineEngineCpuPercent: Number((100 * baseline).toFixed(1)) }));
  const points: ViewerPoint[] = [];
  for (const n of viewerCounts) {
    const point = await viewerPoint(browser, engine, n, baseline);
    points.push(point);
    console.log(JSON.stringify(point));
    if (!point.pass || point.clientCpuPercent >= CLIENT_SATURATION * 100) break;
  }
  const latency = latencyFrames > 0 ? await latencyPhase(browser, engine) : null;
  if (latency) console.log(JSON.stringify({ latency }));
  const result = {
    at: new Date().toISOString(),
    commit: Bun.spawnSync(['git', '-C', REPO, 'rev-parse', '--short', 'HEAD']).stdout.toString().trim(),
    chromium: Bun.spawnSync([CHROMIUM_PATH, '--version']).stdout.toString().trim(),
    cores: { server: SERVER_CORE, client: CLIENT_CORE },
    durationSec,
    bitrateKbps,
    baselineEngineCpuPercent: Number((100 * baseline).toFixed(1)),
    points,
    latency,
  };
  const out = args.out ?? `${REPO}/bench/results/webrtc-${result.at.replace(/[:.]/g, '-')}.json`;
  mkdirSync(out.slice(0, out.lastIndexOf('/')), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`results: ${out}`);
}

try {
  await main();
} finally {
  await cleanup();
}
