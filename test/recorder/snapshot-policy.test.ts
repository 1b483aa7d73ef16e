// The snapshot queue and the manager's policy, without ffmpeg: at most maxRunning decoders at once, a
// bounded wait list, one job per stream (a stream with a job pending skips its turn), turns every
// intervalSec, no decode for a keyframe already decoded, keep N newest, state dropped when a stream ends.
import { describe, expect, test } from 'bun:test';
import { FlvTagType } from '../../src/flv/flv-tag-type.ts';
import type { LiveStream } from '../../src/hub/live-stream.ts';
import type { MediaPacket } from '../../src/hub/media-packet.ts';
import { SnapshotManager } from '../../src/recorder/snapshot-manager.ts';
import { SnapshotQueue } from '../../src/recorder/snapshot-queue.ts';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('SnapshotQueue', () => {
  test('runs at most maxRunning jobs, keeps at most maxQueued waiting, refuses a key already pending', async () => {
    const queue = new SnapshotQueue<string>(2, 1);
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const started: string[] = [];
    const job = (key: string) => () => {
      started.push(key);
      const gate = deferred();
      gates.set(key, gate);
      return gate.promise;
    };
    expect(queue.offer('a', job('a'))).toBe('queued');
    expect(queue.offer('b', job('b'))).toBe('queued');
    expect(queue.offer('c', job('c'))).toBe('queued'); // waits: two running
    expect(started).toEqual(['a', 'b']);
    expect(queue.offer('d', job('d'))).toBe('full');
    expect(queue.offer('a', job('a'))).toBe('busy'); // running
    expect(queue.offer('c', job('c'))).toBe('busy'); // waiting
    expect([queue.runningCount, queue.waitingCount]).toEqual([2, 1]);
    gates.get('a')!.resolve();
    await Bun.sleep(0);
    expect(started).toEqual(['a', 'b', 'c']);
    gates.get('b')!.reject(new Error('decoder failed'));
    gates.get('c')!.resolve();
    await queue.idle();
    expect(queue.counters).toEqual({ queued: 3, skippedBusy: 2, skippedFull: 1, completed: 2, failed: 1 });
    expect(queue.offer('a', job('a'))).toBe('queued'); // done jobs free their key
  });

  test('a failing job is reported with its key and frees the slot', async () => {
    const errors: string[] = [];
    const queue = new SnapshotQueue<string>(1, 0, (key, err) => errors.push(`${key}: ${(err as Error).message}`));
    expect(queue.offer('x', () => Promise.reject(new Error('boom')))).toBe('queued');
    expect(queue.offer('y', () => Promise.resolve())).toBe('full');
    await queue.idle();
    expect(errors).toEqual(['x: boom']);
    expect(queue.offer('y', () => Promise.resolve())).toBe('queued');
    await queue.idle();
  });

  test('refuses a queue that could run nothing', () => {
    expect(() => new SnapshotQueue(0, 1)).toThrow(RangeError);
  });
});

const packet = (type: number, randomAccess: boolean, tag: number): MediaPacket => ({
  type: type as MediaPacket['type'],
  timestampMs: tag,
  body: new Uint8Array([tag]),
  header: false,
  randomAccess,
  discontinuity: false,
});

/** The parts of a LiveStream the manager reads. */
function fakeStream(app: string, name: string): LiveStream {
  return {
    app,
    name,
    path: `${app}/${name}`,
    publisher: {},
    videoHeader: { ...packet(FlvTagType.Video, false, 0), header: true },
    gop: [packet(FlvTagType.Video, true, 1)],
  } as unknown as LiveStream;
}

describe('SnapshotManager policy', () => {
  const setup = (options: { keep?: number; intervalSec?: number; maxRunning?: number } = {}) => {
    let now = 1_000_000;
    const streams: LiveStream[] = [];
    const decodes: Array<{ flv: Uint8Array; gate: ReturnType<typeof deferred> }> = [];
    const config: EngineConfig = {
      ...DEFAULT_ENGINE_CONFIG,
      apps: [{ name: 'cams', snapshot: { enabled: true, intervalSec: options.intervalSec ?? 5, keep: options.keep ?? 2 } }, { name: 'plain' }],
    };
    let jpegs = 0;
    const manager = new SnapshotManager(() => config, () => streams, createLogger({ level: 'error', sink: () => {} }), {
      decoder: '/usr/bin/ffmpeg',
      maxRunning: options.maxRunning ?? 1,
      maxQueued: 8,
      now: () => now,
      decode: async (_ffmpeg, flv) => {
        const gate = deferred();
        decodes.push({ flv, gate });
        await gate.promise;
        return new Uint8Array([0xff, 0xd8, ++jpegs]);
      },
    });
    return { manager, streams, decodes, advance: (ms: number) => (now += ms) };
  };

  test('one decoder at a time: a stream whose job is still pending skips its turn', async () => {
    const { manager, streams, decodes, advance } = setup({ intervalSec: 1, maxRunning: 1 });
    streams.push(fakeStream('cams', 'a'), fakeStream('cams', 'b'), fakeStream('plain', 'c'));
    manager.tick();
    expect(decodes).toHaveLength(1); // a runs, b waits; plain takes no snapshots
    expect(manager.status()).toMatchObject({ running: 1, waiting: 1 });
    // the FLV fed to the decoder: header, sequence header tag, keyframe tag
    expect([...decodes[0]!.flv.subarray(0, 3)]).toEqual([0x46, 0x4c, 0x56]);
    advance(1000);
    streams[0]!.gop = [packet(FlvTagType.Video, true, 2)];
    manager.tick(); // both turns come again while their jobs are pending: skipped
    expect(manager.status().counters.skippedBusy).toBe(2);
    decodes[0]!.gate.resolve();
    await Bun.sleep(0);
    expect(decodes).toHaveLength(2); // b's job starts once a's is done
    decodes[1]!.gate.resolve();
    await manager.idle();
    expect(manager.find('cams', 'a')).toMatchObject({ ok: true });
    expect(manager.find('cams', 'b')).toMatchObject({ ok: true });
  });

  test('turns every intervalSec; the same keyframe is not decoded twice; the newest `keep` are kept', async () => {
    const { manager, streams, decodes, advance } = setup({ intervalSec: 5, keep: 2 });
    const stream = fakeStream('cams', 'a');
    streams.push(stream);
    const turn = async (): Promise<void> => {
      manager.tick();
      for (const d of decodes) d.gate.resolve();
      await manager.idle();
    };
    await turn();
    expect(decodes).toHaveLength(1);
    advance(4999);
    stream.gop = [packet(FlvTagType.Video, true, 2)];
    await turn();
    expect(decodes).toHaveLength(1); // not its turn yet
    advance(1);
    await turn();
    expect(decodes).toHaveLength(2);
    advance(5000);
    await turn(); // same keyframe as last time: nothing to decode
    expect(decodes).toHaveLength(2);
    stream.gop = [packet(FlvTagType.Video, true, 3)];
    advance(5000);
    await turn();
    expect(decodes).toHaveLength(3);
    const newest = manager.find('cams', 'a', 0);
    const older = manager.find('cams', 'a', 1);
    expect(newest.ok && newest.snapshot.jpeg[2]).toBe(3);
    expect(older.ok && older.snapshot.jpeg[2]).toBe(2);
    expect(manager.find('cams', 'a', 2)).toMatchObject({ ok: false, status: 404 });
  });

  test('no keyframe yet (audio only, or the GOP cache overflowed): no job; a stream that ended loses its snapshots', async () => {
    const { manager, streams, decodes } = setup();
    const stream = fakeStream('cams', 'a');
    stream.gop = [packet(FlvTagType.Audio, true, 1)];
    streams.push(stream);
    manager.tick();
    expect(decodes).toHaveLength(0);
    expect(manager.find('cams', 'a')).toEqual({ ok: false, status: 404, reason: "no snapshot of 'cams/a' yet" });
    stream.gop = [packet(FlvTagType.Video, true, 2)];
    manager.tick();
    decodes[0]!.gate.resolve();
    await manager.idle();
    expect(manager.find('cams', 'a').ok).toBe(true);
    streams.length = 0;
    manager.tick();
    expect(manager.find('cams', 'a').ok).toBe(false);
    expect(manager.status().streams).toBe(0);
  });

  test('without a decoder nothing is queued and find says why', () => {
    const streams = [fakeStream('cams', 'a')];
    const config: EngineConfig = { ...DEFAULT_ENGINE_CONFIG, apps: [{ name: 'cams', snapshot: { enabled: true, intervalSec: 1, keep: 1 } }] };
    const manager = new SnapshotManager(() => config, () => streams, createLogger({ level: 'error', sink: () => {} }), { decoder: null });
    manager.tick();
    expect(manager.status()).toMatchObject({ decoder: null, running: 0, waiting: 0 });
    expect(manager.find('cams', 'a')).toMatchObject({ ok: false, status: 503 });
  });
});
