// Two fan-out benchmarks at once (or one beside a test suite) must not collide: every Weir the
// benchmark starts keeps off the fixed default ports of the listeners it does not use (RTSP
// 8554, SRT 10080, WebRTC 8189, engine API 8087). Bun's listeners may share a port with another
// process, so "both started" is not enough: the test looks at which sockets each engine holds.
import { afterAll, expect, test } from 'bun:test';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { prepareWeir, startServer, type RunningServer } from './servers.ts';

const DEFAULT_PORTS = [8554, 10080, 8189, 8087];

const started: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

/** socket inodes the process holds open */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (m) out.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** local port of every TCP and UDP socket of the machine's network namespace, by inode */
function localPortsByInode(): Map<string, number> {
  const out = new Map<string, number>();
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      out.set(f[9]!, parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return out;
}

test('two Weir servers at once: both come up, neither holds a default RTSP/SRT/WebRTC/API port', async () => {
  prepareWeir('worktree');
  const runId = `servers-test-${process.pid}`;
  const results = await Promise.allSettled([startServer('weir', 0, runId, { tag: 'a' }), startServer('weir', 1, runId, { tag: 'b' })]);
  for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
  expect(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
  const ports = localPortsByInode();
  for (const s of started) {
    const held = [...socketInodes(s.pid)].map((inode) => ports.get(inode)).filter((p): p is number => p !== undefined);
    expect(held).toContain(s.rtmpPort);
    expect(held).toContain(s.httpPort);
    expect(held.filter((p) => DEFAULT_PORTS.includes(p))).toEqual([]);
  }
}, 60_000);
