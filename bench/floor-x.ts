// The floor of fan-out on this machine: no media server, just a plain loop that writes the same
// buffers to N loopback sockets at the stream's rate. The test file's FLV tags are paced in
// real time; every merge window (default 50 ms; 0: each tag at once) its tags are joined once
// and that one buffer is written to every socket, the way a server with shared batches would.
// Viewers are HTTP-FLV clients of bench/load.ts, so its figures compare with Weir's directly.
//
//   bun run bench/floor.ts --viewers 800 [--merge-ms 50] [--duration 15]
//   (the driver pins the floor server to core 0 and the load tool to core 1)
import { spawnSync } from 'node:child_process';
import { concatBytes } from '../src/media/bytes.ts';
import { numberFlag, parseBenchArgs } from './lib/bench-args.ts';
import { readFlvFile } from './lib/flv-file.ts';
import { freePort } from './lib/free-port.ts';
import { BUN, REPO } from './lib/repo.ts';
import { ConnectionWriter, DEFAULT_WRITER_LIMITS } from '../src/server/connection-writer.ts';
import { writerViewer } from '../src/server/writer-viewer.ts';
const VIA = process.env.VIA === '1';
const views = new Map<unknown, ReturnType<typeof writerViewer>>();
const counters = { n: 0 };

const FILE = `${REPO}/bench/.cache/src-720p-2500k.flv`;

const USAGE = `usage: bun run bench/floor.ts [options]
  --viewers N     HTTP-FLV viewers of bench/load.ts (default 800)
  --merge-ms MS   the merge window; 0: each tag at once (default 50)
  --duration S    the load tool's measured seconds (default 15)
  --help
Prints one JSON line. (--serve PORT: the floor server itself, which the driver starts.)`;

// one line per flag: option tables look alike across the scripts (and within one), the flags differ
const values = parseBenchArgs(USAGE, {
  serve: { type: 'string' },
  viewers: { type: 'string', default: '800' },
  'merge-ms': { type: 'string', default: '50' },
  duration: { type: 'string', default: '15' },
});
const mergeMs = numberFlag(values['merge-ms'], 'merge-ms', USAGE);
const viewers = numberFlag(values.viewers, 'viewers', USAGE, 1);
const durationSec = numberFlag(values.duration, 'duration', USAGE, 1);

function flvTag(type: number, timestampMs: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(11 + body.byteLength + 4);
  const view = new DataView(out.buffer);
  out[0] = type;
  out[1] = body.byteLength >> 16;
  out[2] = body.byteLength >> 8;
  out[3] = body.byteLength;
  out[4] = timestampMs >> 16;
  out[5] = timestampMs >> 8;
  out[6] = timestampMs;
  out[7] = timestampMs >>> 24;
  out.set(body, 11);
  view.setUint32(11 + body.byteLength, 11 + body.byteLength);
  return out;
}

function serve(port: number): void {
  const tags = readFlvFile(FILE);
  const headerCount = tags.findIndex((t) => !(t.type === 18 || (t.type === 9 && t.body[1] === 0) || (t.type === 8 && t.body[1] === 0)));
  const head = [
    new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nConnection: close\r\n\r\n'),
    new Uint8Array([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]),
    ...tags.slice(0, headerCount).map((t) => flvTag(t.type, 0, t.body)),
  ];
  const greeting = concatBytes(head);
  const media = tags.slice(headerCount);
  /** sockets that got the headers and wait for a window that starts with a keyframe */
  const waiting = new Set<import('bun').Socket<undefined>>();
  const live = new Set<import('bun').Socket<undefined>>();
  Bun.listen<undefined>({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(socket) {
        if (live.has(socket) || waiting.has(socket)) return;
        socket.write(greeting);
        waiting.add(socket);
        if (VIA) { const w = new ConnectionWriter({ write: (b) => socket.write(b), end() {}, abort() {} }, { ...DEFAULT_WRITER_LIMITS, mergeWriteMs: 0 }, () => {}, (n) => { counters.n += n; }); views.set(socket, writerViewer(w, { onPublisherStart() {}, onPublisherStop() {}, onStreamEnd() {} })); }
      },
      close(socket) {
        waiting.delete(socket);
        live.delete(socket);
      },
      drain() {},
    },
  });
  const start = performance.now();
  const base = media[0]!.timestampMs;
  let next = 0;
  const tick = (): void => {
    const now = performance.now() - start;
    const due: Uint8Array[] = [];
    let key = false;
    while (next < media.length && media[next]!.timestampMs - base <= now) {
      const t = media[next++]!;
      if (t.type === 9 && (t.body[0]! >> 4) === 1) key = true;
      due.push(flvTag(t.type, t.timestampMs, t.body));
    }
    if (due.length > 0) {
      const batch = concatBytes(due);
      if (key) {
        for (const s of waiting) live.add(s);
        waiting.clear();
      }
      // The whole floor: one write of the same buffer per socket (what the kernel does not take is dropped).
      if (VIA) { const b = { bytes: batch, entries: [{ bytes: batch, kind: 'video' as const, randomAccess: false, timestampMs: now }] }; for (const s of live) views.get(s)!.sendBatch!(b); } else for (const s of live) s.write(batch);
    }
    if (next >= media.length) process.exit(0);
    setTimeout(tick, mergeMs > 0 ? mergeMs : 1);
  };
  tick();
}

if (values.serve) {
  serve(numberFlag(values.serve, 'serve', USAGE, 1));
} else {
  const port = freePort();
  const server = Bun.spawn(['taskset', '-c', '0', BUN, 'run', import.meta.path, '--serve', String(port), '--merge-ms', String(mergeMs)], { stderr: 'inherit' });
  await Bun.sleep(1000);
  const load = spawnSync('taskset', ['-c', '1', BUN, 'run', `${REPO}/bench/load.ts`, '--no-publish', '--url', `http://127.0.0.1:${port}/live/bench.flv`,
    '--viewers', String(viewers), '--duration', String(durationSec), '--server-pid', String(server.pid), '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  server.kill('SIGKILL');
  if (load.status !== 0) throw new Error(`load tool failed: ${load.stderr}`);
  const report = JSON.parse(load.stdout) as {
    viewers: { passing: number }; server: { cpuPercentOfOneCore: number; rssMiB: number } | null;
    machine: { otherProcessesPercentOfOneCore: number };
  };
  console.log(JSON.stringify({
    floor: true, viewers, mergeMs, passing: report.viewers.passing, cpuPercent: report.server?.cpuPercentOfOneCore,
    cpuPer100Viewers: report.server ? +(report.server.cpuPercentOfOneCore / (viewers / 100)).toFixed(2) : null,
    rssMiB: report.server?.rssMiB, otherCpu: report.machine.otherProcessesPercentOfOneCore,
  }));
}
