// WebRTC benchmark: the engine pinned to core 0; everything else (the RTMP publisher, the viewers,
// headless Chromium) pinned to core 1.
//
// Viewers phase: a looped H.264 file (ffmpeg -c copy, no encoding on the client core) is published
// over RTMP; N WHEP viewers play it. Over the measured window it reports the engine's CPU (% of its
// core), CPU per viewer, every viewer's received bitrate against the source, and loss. N steps up
// until a point fails (a viewer below 95% of the best-fed viewer's bitrate, loss above --max-loss,
// a viewer that did not connect or, with the Weir client, received no keyframe or an SRTP packet
// that does not authenticate) or a core saturates (the engine's or the client's at 90%).
//
// --client weir (the default): the viewers are light WHEP clients in this Bun process
// (bench/lib/webrtc-load-client.ts on Weir's own DTLS client): ICE, DTLS, SRTP, consent checks and
// receiver reports as a browser sends them, each packet counted from its clear RTP header and a
// sample authenticated and decrypted (--sample-every). They cost the client core far less than
// Chromium does, so the engine's core saturates first and the result is a measured limit: the
// largest N that passed with the engine below 90% of its core.
// --client chromium: N RTCPeerConnections in one headless Chromium page (video recvonly, no <video>
// sink, so nothing is decoded). Chromium saturates the client core at ~40 connections on a 2-core
// machine, so with it the viewers per core are only a linear extrapolation: the engine's share with
// the publisher alone is measured first (baseline), each viewer's cost is the share above it over N,
// and viewers per core = (1 - baseline) / that cost. Both clients report that extrapolation too.
//
// Latency phase (the method of test/e2e/webrtc-latency.test.ts), always in Chromium: one page draws
// its millisecond clock as bars on a canvas and publishes it over WHIP; another plays it over WHEP
// and reads the bars back from every decoded frame (requestVideoFrameCallback): glass to glass,
// including both browsers' capture, encode, jitter buffer and decode, on one machine clock.
//
//   bun run bench/webrtc.ts                                    # Weir viewers 100…1600, then latency
//   bun run bench/webrtc.ts --viewers 20,50 --duration 8 --latency-frames 0
//   bun run bench/webrtc.ts --client chromium --viewers 10,20,40 --duration 15
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/browser/browser.ts';
import { freePort } from './lib/free-port.ts';
import { cpuTimes, treeCpuSeconds } from './lib/proc-cpu.ts';
import { WhepLoadClient, type ViewerCounts } from './lib/webrtc-load-client.ts';

const REPO = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const BUN = `${REPO}/node_modules/.bin/bun`;
const SERVER_CORE = 0;
const CLIENT_CORE = 1;
const STREAM = 'live/bench';
const CLOCK_STREAM = 'live/clock';
/** a viewer passes at this share of the source's bitrate */
const MIN_RATIO = 0.95;
/** above this share of its core the client, not the engine, may be the limit */
const CLIENT_SATURATION = 0.9;
/** the engine's core counts as saturated at this share: the measured limit is the largest N below it */
const ENGINE_SATURATION = 0.9;
const DEFAULT_VIEWERS = { weir: '100,200,300,400,500,600,800,1000,1200,1600', chromium: '25,50,100,200' } as const;

const USAGE = `usage: bun run bench/webrtc.ts [options]
  --client weir|chromium  who plays in the viewers phase (default weir: light WHEP clients in this process;
                        chromium: RTCPeerConnections in headless Chromium). The latency phase is always Chromium.
  --viewers LIST        WebRTC viewer counts to measure (default ${DEFAULT_VIEWERS.weir} for weir,
                        ${DEFAULT_VIEWERS.chromium} for chromium; stops at the first failing or saturated point)
  --duration S          measured seconds per point (default 20)
  --max-loss PCT        a point fails above this packet loss (default 0.5)
  --sample-every K      weir client: each viewer authenticates and decrypts its first 50 RTP packets, then 1 in K
                        (default 100; 1 = all)
  --bitrate KBPS        video bitrate of the published file (default 1500, 1280x720 25 fps, GOP 2 s)
  --latency-frames N    frames measured for glass-to-glass latency (default 600; 0 skips the phase)
  --out PATH            JSON results (default bench/results/webrtc-<time>.json)
`;

const { values: args } = parseArgs({
  options: {
    client: { type: 'string', default: 'weir' },
    viewers: { type: 'string' },
    duration: { type: 'string', default: '20' },
    'max-loss': { type: 'string', default: '0.5' },
    'sample-every': { type: 'string', default: '100' },
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
if (args.client !== 'weir' && args.client !== 'chromium') throw new Error('--client: weir or chromium');
const clientKind: 'weir' | 'chromium' = args.client;
const viewerCounts = (args.viewers ?? DEFAULT_VIEWERS[clientKind]).split(',').map(Number);
if (viewerCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--viewers: a comma-separated list of whole numbers');
const durationSec = Number(args.duration);
const bitrateKbps = Number(args.bitrate);
const latencyFrames = Number(args['latency-frames']);
const maxLossPercent = Number(args['max-loss']);
const sampleEvery = Number(args['sample-every']);
if (!Number.isInteger(sampleEvery) || sampleEvery < 1) throw new Error('--sample-every: a whole number of at least 1');
if (!(maxLossPercent >= 0)) throw new Error('--max-loss: a percentage');

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

/** one viewer's cumulative counts; the Weir client adds keyframes, authenticated packets and its failure */
type ViewerSample = { bytes: number; packets: number; lost: number; keyframes?: number; verified?: number; failure?: string | null };

type ViewerPoint = {
  client: 'weir' | 'chromium';
  viewers: number;
  connected: number;
  pass: boolean;
  /** why it failed, or null */
  failedBecause: string | null;
  sourceKbps: number;
  minRatio: number;
  medianKbps: number;
  lossPercent: number;
  engineCpuPercent: number;
  engineCpuMsPerViewerSecond: number;
  engineCpuMsPerViewerSecondAboveBaseline: number;
  /** core 1 busy, whoever used it (on a shared machine, other processes too) */
  clientCpuPercent: number;
  /** this bench process and its children (the Weir viewers, or Chromium; the ffmpeg publisher): what saturation is judged on */
  clientToolsCpuPercent: number;
  otherCpuPercent: number;
  extrapolatedViewersPerCore: number | null;
  /** weir client: fewest keyframes a viewer got in the window, and RTP packets authenticated in it (all viewers) */
  minKeyframes: number | null;
  verifiedPackets: number | null;
  errors: string[];
};

/** The viewers of one point, whichever client plays them. */
type Viewers = {
  sample(): Promise<ViewerSample[]>;
  connected(): Promise<number>;
  errors(): Promise<string[]>;
  close(): Promise<void>;
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

async function chromiumViewers(browser: Browser, engine: { http: number }, n: number): Promise<Viewers> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const viewers: Viewers = {
    sample: async () => (await page.evaluate('window.sample()')) as ViewerSample[],
    connected: async () => (await page.evaluate('window.connected()')) as number,
    errors: async () => (await page.evaluate('window.errors')) as string[],
    close: async () => {
      await page.evaluate('window.closeAll()').catch(() => {});
      await context.close();
    },
  };
  try {
    await page.goto(await servePage(VIEWERS_PAGE));
    const url = `http://127.0.0.1:${engine.http}/${STREAM}/whep`;
    await page.evaluate(`window.openViewers(${JSON.stringify(url)}, ${n})`);
    await until(async () => (await viewers.connected()) === n || (await viewers.errors()).length > 0, 60_000, `${n} viewers connected`).catch(() => {});
  } catch (err) {
    await viewers.close();
    throw err;
  }
  return viewers;
}

async function weirViewers(engine: { http: number }, n: number): Promise<Viewers> {
  const client = new WhepLoadClient({ whepUrl: `http://127.0.0.1:${engine.http}/${STREAM}/whep`, sampleEvery });
  await client.open(n);
  const toSample = (c: ViewerCounts): ViewerSample => ({ bytes: c.bytes, packets: c.packets, lost: c.lost, keyframes: c.keyframes, verified: c.verified, failure: c.failure });
  const failures = () => client.counts().flatMap((c) => (c.failure ? [c.failure] : []));
  return {
    sample: async () => client.counts().map(toSample),
    connected: async () => client.counts().filter((c) => c.connected && !c.failure).length,
    // the same reason repeated by many viewers is said once, with how many
    errors: async () => [...Map.groupBy(failures(), (f) => f)].map(([f, list]) => `${list.length}× ${f}`),
    close: () => client.close(),
  };
}

async function viewerPoint(browser: () => Promise<Browser>, engine: { pid: number; http: number }, n: number, baseline: number): Promise<ViewerPoint> {
  const viewers = clientKind === 'weir' ? await weirViewers(engine, n) : await chromiumViewers(await browser(), engine, n);
  try {
    await Bun.sleep(3000); // past the first keyframe and the jitter buffers' start
    const before = await viewers.sample();
    const cpu0 = treeCpuSeconds([engine.pid]);
    // this process's tree holds the engine too: it is taken out
    const toolsCpu = (): number => treeCpuSeconds([process.pid]) - treeCpuSeconds([engine.pid]);
    const tools0 = toolsCpu();
    const core0 = { server: coreBusy(SERVER_CORE), client: coreBusy(CLIENT_CORE) };
    const t0 = performance.now();
    await Bun.sleep(durationSec * 1000);
    const after = await viewers.sample();
    const seconds = (performance.now() - t0) / 1000;
    const engineCpu = treeCpuSeconds([engine.pid]) - cpu0;
    const tools = toolsCpu() - tools0;
    const serverCoreBusy = coreBusy(SERVER_CORE) - core0.server;
    const clientCoreBusy = coreBusy(CLIENT_CORE) - core0.client;
    const kbps = after.map((a, i) => ((a.bytes - (before[i]?.bytes ?? 0)) * 8) / seconds / 1000);
    const received = after.reduce((s, a, i) => s + a.packets - (before[i]?.packets ?? 0), 0);
    const lost = after.reduce((s, a, i) => s + a.lost - (before[i]?.lost ?? 0), 0);
    const sorted = [...kbps].sort((a, b) => a - b);
    // the source's rate as the best-fed viewer saw it (Chromium: payload bytes; Weir: SRTP datagrams, headers and tag included)
    const source = sorted[sorted.length - 1] ?? 0;
    const minRatio = source > 0 ? (sorted[0] ?? 0) / source : 0;
    const connected = await viewers.connected();
    const errors = await viewers.errors();
    const engineShare = engineCpu / seconds;
    const lossPercent = (100 * lost) / Math.max(1, received + lost);
    const weir = clientKind === 'weir';
    const minKeyframes = weir ? Math.min(...after.map((a, i) => (a.keyframes ?? 0) - (before[i]?.keyframes ?? 0))) : null;
    const verifiedPackets = weir ? after.reduce((s, a, i) => s + (a.verified ?? 0) - (before[i]?.verified ?? 0), 0) : null;
    // a 2 s GOP: a window of at least two GOPs has a keyframe for every viewer that is being fed
    const keyframesExpected = durationSec >= 4;
    const failedBecause =
      connected !== n || errors.length > 0 ? `${n - connected} of ${n} viewers not connected${errors.length > 0 ? `: ${errors[0]}` : ''}`
      : source <= bitrateKbps * 0.5 ? `source rate ${Math.round(source)} kbit/s is under half of --bitrate`
      : minRatio < MIN_RATIO ? `a viewer got ${(100 * minRatio).toFixed(1)}% of the source rate`
      : lossPercent > maxLossPercent ? `loss ${lossPercent.toFixed(2)}% over ${maxLossPercent}%`
      : weir && keyframesExpected && minKeyframes === 0 ? 'a viewer received no keyframe in the window'
      : null;
    return {
      client: clientKind,
      viewers: n,
      connected,
      pass: failedBecause === null,
      failedBecause,
      sourceKbps: Math.round(source),
      minRatio: Number(minRatio.toFixed(3)),
      medianKbps: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
      lossPercent: Number(lossPercent.toFixed(3)),
      engineCpuPercent: Number((100 * engineShare).toFixed(1)),
      engineCpuMsPerViewerSecond: Number(((1000 * engineShare) / n).toFixed(3)),
      clientCpuPercent: Number(((100 * clientCoreBusy) / seconds).toFixed(1)),
      clientToolsCpuPercent: Number(((100 * tools) / seconds).toFixed(1)),
      // what else ran on the engine's core besides the engine: noise on a shared machine
      otherCpuPercent: Number((Math.max(0, (100 * (serverCoreBusy - engineCpu)) / seconds)).toFixed(1)),
      engineCpuMsPerViewerSecondAboveBaseline: Number(((1000 * Math.max(0, engineShare - baseline)) / n).toFixed(3)),
      // the core's remaining share over one viewer's share above the publisher-only baseline
      extrapolatedViewersPerCore: failedBecause === null && engineShare > baseline ? Math.floor((n * (1 - baseline)) / (engineShare - baseline)) : null,
      minKeyframes,
      verifiedPackets,
      errors: errors.slice(0, 5),
    };
  } finally {
    await viewers.close();
  }
}

type MeasuredLimit = {
  /** the largest N that passed with the engine under ENGINE_SATURATION of its core; null when none did */
  viewers: number | null;
  engineCpuPercent: number | null;
  /** what ended the sweep: a failing point, a saturated core, or the end of --viewers (then the limit is a lower bound) */
  stoppedBy: 'viewer-failed' | 'engine-core' | 'client-core' | 'list-exhausted';
  lowerBound: boolean;
};

function measuredLimit(points: readonly ViewerPoint[]): MeasuredLimit {
  const passing = points.filter((p) => p.pass && p.engineCpuPercent < ENGINE_SATURATION * 100);
  const best = passing.reduce<ViewerPoint | null>((a, p) => (a === null || p.viewers > a.viewers ? p : a), null);
  const last = points[points.length - 1];
  const stoppedBy: MeasuredLimit['stoppedBy'] =
    !last ? 'list-exhausted'
    // a failure with the client's core saturated may be the client's, not the engine's
    : !last.pass ? (last.clientToolsCpuPercent >= CLIENT_SATURATION * 100 ? 'client-core' : 'viewer-failed')
    : last.engineCpuPercent >= ENGINE_SATURATION * 100 ? 'engine-core'
    : last.clientToolsCpuPercent >= CLIENT_SATURATION * 100 ? 'client-core'
    : 'list-exhausted';
  // only a failure or the engine's own saturation bounds the engine; otherwise more viewers might have passed
  return { viewers: best?.viewers ?? null, engineCpuPercent: best?.engineCpuPercent ?? null, stoppedBy, lowerBound: stoppedBy === 'client-core' || stoppedBy === 'list-exhausted' };
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
  // Chromium only when something needs it: --client chromium, or the latency phase
  let launched: Promise<Browser> | null = null;
  const browser = (): Promise<Browser> => {
    launched ??= chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, '--allow-loopback-in-peer-connection'],
      timeout: 30_000,
    }).then((b) => {
      cleanups.push(() => b.close());
      return b;
    });
    return launched;
  };
  // the stream is live once its WHEP answer is a 201 (the engine waits for a publish that is coming)
  await Bun.sleep(2000);
  const baseline = await baselineShare(engine.pid);
  console.log(JSON.stringify({ baselineEngineCpuPercent: Number((100 * baseline).toFixed(1)) }));
  const points: ViewerPoint[] = [];
  for (const n of viewerCounts) {
    const point = await viewerPoint(browser, engine, n, baseline);
    points.push(point);
    console.log(JSON.stringify(point));
    if (!point.pass || point.clientToolsCpuPercent >= CLIENT_SATURATION * 100 || point.engineCpuPercent >= ENGINE_SATURATION * 100) break;
  }
  const limit = measuredLimit(points);
  console.log(JSON.stringify({ measuredLimit: limit }));
  const latency = latencyFrames > 0 ? await latencyPhase(await browser(), engine) : null;
  if (latency) console.log(JSON.stringify({ latency }));
  const result = {
    at: new Date().toISOString(),
    commit: Bun.spawnSync(['git', '-C', REPO, 'rev-parse', '--short', 'HEAD']).stdout.toString().trim(),
    chromium: Bun.spawnSync([CHROMIUM_PATH, '--version']).stdout.toString().trim(),
    cores: { server: SERVER_CORE, client: CLIENT_CORE },
    client: clientKind,
    durationSec,
    bitrateKbps,
    maxLossPercent,
    ...(clientKind === 'weir' ? { sampling: { first: 50, every: sampleEvery } } : {}),
    baselineEngineCpuPercent: Number((100 * baseline).toFixed(1)),
    points,
    measuredLimit: limit,
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
