// RTSP camera-pull benchmark (issue 15 item 6): the engine's CPU per pulled 1080p camera stream,
// and how many camera pulls one core sustains while serving each as HLS.
//
// A "camera farm" Weir engine on the client core serves one looped 1080p30 H.264 + AAC stream
// (bench/.cache/src-1080p-4000k.flv, published into it over RTMP at real-time pace by this
// process) from its RTSP server. The engine under test, pinned to core 0, runs under a config
// server (this process, test/engine/fake-config-server.ts) whose snapshot lists N pull sources
// rtsp://127.0.0.1:P/live/cam -> live/camK, with HLS and LL-HLS on (the defaults). Per point:
// a fresh engine under test, a warm-up, then a measured window: its CPU, every pull's relay
// state (engine API /v1/relays) and whether every stream's index.m3u8 keeps advancing.
// Loopback only, bounded in time; it stops only the engines it started.
import { appSettings, makeSnapshot, startFakeConfigServer, type FakeConfigServer } from '../test/engine/fake-config-server.ts';
import type { RelayStatus } from '../src/shared/config-protocol.ts';
import { choiceFlag, ENGINE_RUN_OPTIONS, listFlag, numberFlag, parseBenchArgs } from './lib/bench-args.ts';
import { CLIENT_CORE, REPO, SERVER_CORE, finishReport, log, onInterrupt, reportHead, runMain, runStamp, startRun, waitUntil } from './lib/bench-run.ts';
import { searchCapacity } from './lib/capacity-search.ts';
import { readFlvFile } from './lib/flv-file.ts';
import { noisyMark, perUnit, startCpuWindow, type CpuWindow } from './lib/hls-machine.ts';
import { withoutEndOfSequence } from './lib/hls-send-times.ts';
import { round, SendTimeTable } from './lib/metrics.ts';
import { PlaylistWatcher, type PlaylistVerdict } from './lib/playlist-watch.ts';
import { Publisher } from './lib/publisher.ts';
import { parseEndpoint } from './lib/viewers.ts';
import { engineApi, startWeirEngine, type WeirEngine } from './lib/weir-engine.ts';

const SOURCE = `${REPO}/bench/.cache/src-1080p-4000k.flv`;
const SECRET = 'bench-rtsp-secret-0123456789abcdef';

const USAGE = `usage: bun run bench/rtsp.ts [options]
  --counts LIST        pull counts to measure, in order (default 1,8,16,32,64,96,128,160,192)
  --search             after the first failing count, bisect between it and the last passing one
                       to within 10% (default on; --no-search to measure the list only)
  --keep-going         measure every count of the list even after one fails
  --duration S         measured seconds per point (default 20)
  --warmup S           seconds after every pull went live before the window (default 6)
  --max-cpu PCT        a point passes only below this engine CPU, % of one core (default 90)
  --max-gap-ms MS      longest allowed time without a new segment in a stream's index.m3u8 (default 5000;
                       segments are about 2 s)
  --poll-ms MS         index.m3u8 poll interval per stream (default 1000)
  --transport T        tcp (interleaved, default) | udp: how the engine pulls
  --weir-source S      head (default: the committed src/, copied) | worktree | dist
  --no-pin             do not pin this process to core ${CLIENT_CORE}
  --out PATH           JSON report path (default bench/results/rtsp-<time>.json)
  --help
Prints a Markdown table; the JSON report has every point.`;

// one line per flag: option tables look alike across the scripts (and within one), the flags differ
const args = parseBenchArgs(USAGE, {
  counts: { type: 'string', default: '1,8,16,32,64,96,128,160,192' },
  search: { type: 'boolean', default: true },
  'no-search': { type: 'boolean', default: false },
  'keep-going': { type: 'boolean', default: false },
  duration: { type: 'string', default: '20' },
  warmup: { type: 'string', default: '6' },
  'max-cpu': { type: 'string', default: '90' },
  'max-gap-ms': { type: 'string', default: '5000' },
  'poll-ms': { type: 'string', default: '1000' },
  transport: { type: 'string', default: 'tcp' },
  ...ENGINE_RUN_OPTIONS,
});
const counts = listFlag(args.counts, 'counts', USAGE);
const durationSec = numberFlag(args.duration, 'duration', USAGE, 1);
const warmupSec = numberFlag(args.warmup, 'warmup', USAGE);
const maxCpu = numberFlag(args['max-cpu'], 'max-cpu', USAGE, 1);
const maxGapMs = numberFlag(args['max-gap-ms'], 'max-gap-ms', USAGE, 100);
const pollMs = numberFlag(args['poll-ms'], 'poll-ms', USAGE, 50);
const transport = choiceFlag(args.transport, 'transport', ['tcp', 'udp'], USAGE);
const search = args.search && !args['no-search'];

type Point = {
  pulls: number;
  pass: boolean;
  why: string[];
  /** the client core was full: a failure then says nothing of the engine */
  clientLimited: boolean;
  engine: CpuWindow;
  /** engine CPU % of a core / pulls */
  percentPerPull: number;
  cpuSecondsPerPullMinute: number;
  /** pulls whose relay was 'live' at the window's end */
  live: number;
  relayRetries: number;
  relayBytesInMbps: number;
  playlistsOk: number;
  worstGapMs: number;
  playlistErrors: number;
  /** the first few streams whose playlist did not keep advancing */
  failedPlaylists: PlaylistVerdict[];
  /** the camera farm engine and this process, on the client core */
  farmPercent: number;
  clientPercent: number;
  clientCoreBusyPercent: number;
  secondsToAllLive: number;
};

async function measure(n: number, farm: WeirEngine, fake: FakeConfigServer, runId: string): Promise<Point> {
  const camUrl = `rtsp://127.0.0.1:${farm.rtspPort}/live/cam${transport === 'udp' ? '?transport=udp' : ''}`;
  fake.snapshot = makeSnapshot({
    revision: Date.now(),
    apps: [appSettings('live')],
    pulls: Array.from({ length: n }, (_, i) => ({ id: `cam${i}`, app: 'live', stream: `cam${i}`, url: camUrl, enabled: true })),
  });
  const engine = await startWeirEngine({ core: SERVER_CORE, runId: `${runId}-dut-${n}`, config: { url: fake.url, secret: SECRET } });
  const unregister = onInterrupt(() => engine.stop());
  const watcher = new PlaylistWatcher(
    Array.from({ length: n }, (_, i) => `http://127.0.0.1:${engine.httpPort}/live/cam${i}/index.m3u8`),
    pollMs,
  );
  try {
    const t0 = performance.now();
    const relays = async () => (await engineApi<RelayStatus[]>(engine, SECRET, '/v1/relays')) ?? [];
    const allLive = await waitUntil(async () => (await relays()).filter((r) => r.state === 'live').length >= n, 30_000 + n * 500, 250);
    const secondsToAllLive = round((performance.now() - t0) / 1000, 1)!;
    watcher.start();
    // every playlist lists a segment (or the wait is over), then the warm-up
    await waitUntil(() => watcher.listing >= n, 15_000, 250);
    await Bun.sleep(warmupSec * 1000);
    const before = await relays();
    watcher.beginWindow();
    const endEngine = startCpuWindow(engine.pid, SERVER_CORE);
    const endFarm = startCpuWindow(farm.pid, CLIENT_CORE);
    await Bun.sleep(durationSec * 1000);
    const e = endEngine();
    const f = endFarm();
    const verdicts: PlaylistVerdict[] = watcher.endWindow(maxGapMs);
    const after = await relays();
    const live = after.filter((r) => r.state === 'live').length;
    const bytesIn = after.reduce((a, r) => a + r.bytesIn, 0) - before.reduce((a, r) => a + r.bytesIn, 0);
    const retries = after.reduce((a, r) => a + r.retries, 0);
    const ok = verdicts.filter((v) => v.ok).length;
    const why: string[] = [];
    if (!allLive) why.push('not every pull went live');
    if (live < n) why.push(`${live}/${n} pulls live at the end`);
    if (ok < n) why.push(`${ok}/${n} playlists advancing`);
    if (e.enginePercent >= maxCpu) why.push(`engine CPU ${e.enginePercent}% >= ${maxCpu}%`);
    // the farm and this process share core 1: past 90% of it they, not the engine, may be the limit
    const clientLimited = f.enginePercent + f.clientPercent > 90;
    const share = perUnit(e.enginePercent, n);
    if (clientLimited) why.push(`camera farm + bench process at ${round(f.enginePercent + f.clientPercent)}% of core ${CLIENT_CORE}: client-limited`);
    return {
      pulls: n,
      pass: why.length === 0,
      why,
      clientLimited,
      engine: e,
      percentPerPull: share.percent,
      cpuSecondsPerPullMinute: share.cpuSecondsPerMinute,
      live,
      relayRetries: retries,
      relayBytesInMbps: round((bytesIn * 8) / e.seconds / 1e6, 2)!,
      playlistsOk: ok,
      worstGapMs: Math.max(0, ...verdicts.map((v) => v.longestGapMs)),
      playlistErrors: verdicts.reduce((a, v) => a + v.errors, 0),
      failedPlaylists: verdicts.filter((v) => !v.ok).slice(0, 5),
      farmPercent: f.enginePercent,
      clientPercent: f.clientPercent,
      clientCoreBusyPercent: f.serverCoreBusyPercent,
      secondsToAllLive,
    };
  } finally {
    watcher.stop();
    await engine.stop();
    unregister();
  }
}

function row(p: Point): string {
  return `| ${p.pulls} | ${p.pass ? 'pass' : `fail: ${p.why.join('; ')}`}${noisyMark(p.engine.otherPercent)} | ${p.engine.enginePercent} | ${p.percentPerPull} | ${p.cpuSecondsPerPullMinute} | ${p.live}/${p.pulls} | ${p.playlistsOk}/${p.pulls} | ${p.worstGapMs} | ${p.relayBytesInMbps} | ${p.engine.serverCoreBusyPercent} | ${p.farmPercent} / ${p.clientPercent} / ${p.clientCoreBusyPercent} | ${p.engine.otherPercent} |`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const runId = `rtsp-${runStamp()}`;
  const run = startRun([SOURCE], args);
  log(`bench: engine ${run.engine}; engine under test on core ${SERVER_CORE}, camera farm and this process on core ${CLIENT_CORE}`);
  const tags = withoutEndOfSequence(readFlvFile(SOURCE));

  // the camera farm: a Weir engine (standalone, app live) serving live/cam over RTSP
  // its RTP/RTCP ports for UDP players: a window of its own, not the default 30000-30999 that
  // engines of test suites on the same machine use
  const rtpMin = 40000 + 2 * Math.floor(Math.random() * 4000);
  const farm = await startWeirEngine({
    core: CLIENT_CORE,
    runId: `${runId}-farm`,
    args: ['--no-hls', '--no-ll-hls', '--rtsp-rtp-port-min', String(rtpMin), '--rtsp-rtp-port-max', String(rtpMin + 1999)],
  });
  onInterrupt(() => farm.stop());
  const publisher = new Publisher(parseEndpoint(`rtmp://127.0.0.1:${farm.rtmpPort}/live/cam`), tags, new SendTimeTable());
  onInterrupt(() => publisher.stop());
  await publisher.start();
  const fake = startFakeConfigServer({ secret: SECRET, snapshot: makeSnapshot({ revision: 1 }) });
  onInterrupt(() => fake.stop());
  await Bun.sleep(1500); // a keyframe cached at the farm

  const points: Point[] = [];
  const measureAt = async (n: number): Promise<Point> => {
    log(`bench: ${n} pull(s)...`);
    const p = await measure(n, farm, fake, runId);
    log(`bench:   ${p.pass ? 'pass' : 'FAIL'} engine ${p.engine.enginePercent}% (${p.percentPerPull}% per pull), live ${p.live}/${n}, playlists ${p.playlistsOk}/${n}, worst gap ${p.worstGapMs} ms, farm ${p.farmPercent}%, other ${p.engine.otherPercent}%${p.why.length ? ` (${p.why.join('; ')})` : ''}`);
    points.push(p);
    return p;
  };
  const { sustained, firstFail } = await searchCapacity(counts, measureAt, { keepGoing: args['keep-going'], bisect: search });
  const lines = [
    `RTSP pulls of a 1080p30 4 Mbit/s H.264 + AAC camera (${transport}), served as HLS + LL-HLS; ${durationSec} s windows`,
    '',
    '| pulls | result | engine % of core | % per pull | CPU s per pull-minute | pulls live | playlists advancing | worst segment gap ms | pulled Mbit/s | core 0 busy % | farm / bench process / core 1 busy % | other processes % |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    ...points.map(row),
    '',
    `Pulls one core sustains: **${sustained}**${firstFail ? ` (first failing: ${firstFail})` : ' (no count failed: raise --counts)'}.`,
  ];
  const report = {
    ...reportHead(run, SOURCE),
    sourceBitrateMbps: round(publisher.fileBitrateBps / 1e6, 2),
    transport,
    options: { counts, durationSec, warmupSec, maxCpu, maxGapMs, pollMs, search },
    sustained,
    firstFail,
    points,
    publisher: publisher.stats,
  };
  finishReport('rtsp', report, lines, started, args.out);
}

runMain(main);
