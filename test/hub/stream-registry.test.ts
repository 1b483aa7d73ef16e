import { describe, expect, test } from 'bun:test';
import type { PublisherHandle, StreamReader } from '../../src/hub/live-stream.ts';
import type { MediaPacket } from '../../src/hub/media-packet.ts';
import { StreamRegistry } from '../../src/hub/stream-registry.ts';

const options = { waitForPublisherMs: 200, publisherTakeover: true, gopLimits: { maxPackets: 100, maxBytes: 1 << 20 } };

function publisher(id: string): PublisherHandle & { kicked: string[] } {
  const kicked: string[] = [];
  return { id, kicked, kick: (reason) => kicked.push(reason) };
}

const body = (n: number) => new Uint8Array([n]);

describe('LiveStream', () => {
  test('keeps the latest headers and the GOP from the latest keyframe', () => {
    const reg = new StreamRegistry(options);
    const res = reg.publish('live', 's', publisher('p'));
    if (!res.ok) throw new Error('publish failed');
    const s = res.stream;
    s.ingest({ type: 18, timestampMs: 0, body: body(0), header: true, keyframe: false });
    s.ingest({ type: 9, timestampMs: 0, body: body(1), header: true, keyframe: false });
    s.ingest({ type: 8, timestampMs: 0, body: body(2), header: true, keyframe: false });
    s.ingest({ type: 9, timestampMs: 0, body: body(3), header: false, keyframe: true });
    s.ingest({ type: 8, timestampMs: 10, body: body(4), header: false, keyframe: false });
    s.ingest({ type: 9, timestampMs: 40, body: body(5), header: false, keyframe: false });
    expect(s.gop.map((p) => p.body[0])).toEqual([3, 4, 5]);
    s.ingest({ type: 9, timestampMs: 80, body: body(6), header: false, keyframe: true });
    expect(s.gop.map((p) => p.body[0])).toEqual([6]);
    expect(s.metadata?.body[0]).toBe(0);
    expect(s.videoHeader?.body[0]).toBe(1);
    expect(s.audioHeader?.body[0]).toBe(2);
    expect(s.gop[0]!.randomAccess).toBe(true);
  });

  // Alike in shape to the test above: each ingests its own packet sequence, which is what it tests; kept apart for that.
  test('frames before the first keyframe are not cached: a late joiner starts on a keyframe', () => {
    const reg = new StreamRegistry(options);
    const res = reg.publish('live', 'nk', publisher('p'));
    if (!res.ok) throw new Error('publish failed');
    const s = res.stream;
    s.ingest({ type: 9, timestampMs: 0, body: body(1), header: true, keyframe: false });
    s.ingest({ type: 8, timestampMs: 0, body: body(2), header: true, keyframe: false });
    // the publisher starts mid-GOP: inter frames and audio before any keyframe
    s.ingest({ type: 9, timestampMs: 0, body: body(3), header: false, keyframe: false });
    s.ingest({ type: 8, timestampMs: 10, body: body(4), header: false, keyframe: false });
    s.ingest({ type: 9, timestampMs: 40, body: body(5), header: false, keyframe: false });
    expect(s.gop).toEqual([]);
    s.ingest({ type: 9, timestampMs: 80, body: body(6), header: false, keyframe: true });
    s.ingest({ type: 8, timestampMs: 90, body: body(7), header: false, keyframe: false });
    expect(s.gop.map((p) => p.body[0])).toEqual([6, 7]);
    expect(s.gop[0]!.randomAccess).toBe(true);
  });

  test('a restarted publisher that starts mid-GOP caches nothing until its keyframe', () => {
    const reg = new StreamRegistry(options);
    const first = publisher('a');
    const res = reg.publish('live', 'r', first);
    if (!res.ok) throw new Error('publish failed');
    res.stream.ingest({ type: 9, timestampMs: 0, body: body(1), header: false, keyframe: true });
    reg.unpublish(res.stream, first);
    const again = reg.publish('live', 'r', publisher('b'));
    if (!again.ok) throw new Error('publish failed');
    again.stream.ingest({ type: 9, timestampMs: 0, body: body(2), header: false, keyframe: false });
    expect(again.stream.gop).toEqual([]);
  });

  test('audio-only streams start on any audio frame', () => {
    const reg = new StreamRegistry(options);
    const res = reg.publish('live', 'a', publisher('p'));
    if (!res.ok) throw new Error('publish failed');
    const p = res.stream.ingest({ type: 8, timestampMs: 0, body: body(1), header: false, keyframe: false });
    expect(p.randomAccess).toBe(true);
  });

  test('a GOP over its limits is dropped instead of growing', () => {
    const reg = new StreamRegistry({ ...options, gopLimits: { maxPackets: 3, maxBytes: 1 << 20 } });
    const res = reg.publish('live', 'g', publisher('p'));
    if (!res.ok) throw new Error('publish failed');
    res.stream.ingest({ type: 9, timestampMs: 0, body: body(1), header: false, keyframe: true });
    for (let i = 0; i < 5; i++) res.stream.ingest({ type: 9, timestampMs: i, body: body(2), header: false, keyframe: false });
    expect(res.stream.gop.length).toBe(0);
  });
});

describe('StreamRegistry', () => {
  test('a new publisher takes over from a stale one', () => {
    const reg = new StreamRegistry(options);
    const first = publisher('old');
    reg.publish('live', 's', first);
    const second = reg.publish('live', 's', publisher('new'));
    expect(second.ok).toBe(true);
    expect(first.kicked.length).toBe(1);
  });

  test('without takeover a second publisher is refused', () => {
    const reg = new StreamRegistry({ ...options, publisherTakeover: false });
    reg.publish('live', 's', publisher('old'));
    expect(reg.publish('live', 's', publisher('new'))).toEqual({ ok: false, reason: 'busy' });
  });

  test('a viewer waiting before the publisher starts when media arrives', async () => {
    const reg = new StreamRegistry(options);
    const waiting = reg.waitUntilLive('live', 's');
    const res = reg.publish('live', 's', publisher('p'));
    if (!res.ok) throw new Error('publish failed');
    res.stream.ingest({ type: 9, timestampMs: 0, body: body(1), header: true, keyframe: false });
    res.stream.ingest({ type: 9, timestampMs: 0, body: body(2), header: false, keyframe: true });
    expect(await waiting).toBe(res.stream);
  });

  test('waiting gives up after the configured time and forgets the stream', async () => {
    const reg = new StreamRegistry({ ...options, waitForPublisherMs: 30 });
    expect(await reg.waitUntilLive('live', 'nobody')).toBeNull();
    expect(reg.find('live', 'nobody')).toBeUndefined();
  });

  test('readers get the publisher stop and, after the grace time, the end', async () => {
    const reg = new StreamRegistry({ ...options, waitForPublisherMs: 30 });
    const handle = publisher('p');
    const res = reg.publish('live', 's', handle);
    if (!res.ok) throw new Error('publish failed');
    const events: string[] = [];
    const reader: StreamReader = {
      onPacket: (p: MediaPacket) => events.push(`packet ${p.body[0]}`),
      onPublisherStart: () => events.push('start'),
      onPublisherStop: () => events.push('stop'),
      onStreamEnd: () => events.push('end'),
    };
    res.stream.addReader(reader);
    res.stream.ingest({ type: 9, timestampMs: 0, body: body(7), header: false, keyframe: true });
    reg.unpublish(res.stream, handle);
    expect(events).toEqual(['packet 7', 'stop']);
    await Bun.sleep(60);
    expect(events).toEqual(['packet 7', 'stop', 'end']);
    expect(reg.find('live', 's')).toBeUndefined();
  });

  test('the publisher grace is its own setting: viewers stay that long, not the wait for a publisher', async () => {
    const reg = new StreamRegistry({ ...options, waitForPublisherMs: 60_000, publisherGraceMs: 30 });
    const handle = publisher('p');
    const res = reg.publish('live', 's', handle);
    if (!res.ok) throw new Error('publish failed');
    let ended = false;
    res.stream.addReader({ onPacket: () => {}, onPublisherStart: () => {}, onPublisherStop: () => {}, onStreamEnd: () => (ended = true) });
    reg.unpublish(res.stream, handle);
    expect(ended).toBe(false);
    const deadline = Date.now() + 5000;
    while (!ended && Date.now() < deadline) await Bun.sleep(10);
    expect(ended).toBe(true);
    expect(reg.find('live', 's')).toBeUndefined();
  });
});
