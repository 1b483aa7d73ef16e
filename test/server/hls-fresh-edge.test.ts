// A player's first LL-HLS playlist is answered as the next part comes out, so the edge it
// reads is the live point (hls.js starts PART-HOLD-BACK before it and keeps that latency).
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyTag } from '../../src/flv/classify-tag.ts';
import { FlvReader } from '../../src/flv/flv-reader.ts';
import { LiveStream } from '../../src/hub/live-stream.ts';
import { HlsOutput } from '../../src/outputs/hls/hls-output.ts';
import { serveHls, type HlsResponder } from '../../src/server/http/hls-http.ts';
import { createLogger } from '../../src/shared/logger.ts';

const tags = new FlvReader().push(new Uint8Array(readFileSync(join(import.meta.dir, '../fixtures/flv/h264-aac.flv'))));
const video = tags.filter((t) => t.tagType === 9);
const sequenceHeader = video.find((t) => classifyTag(9, t.body).header)!.body;
const keyframe = video.find((t) => { const c = classifyTag(9, t.body); return !c.header && c.keyframe; })!.body;
const inter = video.find((t) => { const c = classifyTag(9, t.body); return !c.header && !c.keyframe && c.video?.kind === 'frame'; })!.body;

const respond: HlsResponder = (status, body, headers) => new Response(body, { status, headers });
const session = new URLSearchParams('weir_sid=abcdefghijklmnop');

function live() {
  const stream = new LiveStream('live', 'edge', { maxPackets: 10_000, maxBytes: 64 << 20 });
  const output = new HlsOutput(
    stream,
    { classic: true, lowLatency: true, targetDurationMs: 2000, partTargetMs: 200, windowSegments: 6, maxSegmentMs: 30_000, maxSegmentBytes: 16 << 20, maxPartBytes: 4 << 20, maxWindowBytes: 64 << 20 },
    createLogger({ level: 'error', sink: () => {} }),
  );
  stream.addReader(output);
  stream.attachPublisher({ id: 'p', kick() {} }, 0);
  stream.ingest({ type: 9, timestampMs: 0, body: sequenceHeader, ...classifyTag(9, sequenceHeader) });
  let frame = 0;
  /** sends `count` more frames of a 25 fps stream with a 1 s GOP */
  const send = (count: number) => {
    for (const end = frame + count; frame < end; frame++) {
      const body = frame % 25 === 0 ? keyframe : inter;
      stream.ingest({ type: 9, timestampMs: frame * 40, body, ...classifyTag(9, body) });
    }
  };
  return { output, send };
}

async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), Bun.sleep(ms).then(() => false)]);
}

describe('the first LL-HLS playlist of a player', () => {
  test('is answered when the next part is out, and lists it', async () => {
    const { output, send } = live();
    send(25 * 5 + 2); // two full segments and a bit: the open segment's newest part is closed
    const partsBefore = output.ll!.open!.parts.length;
    const answer = serveHls(output, { file: 'll.m3u8', search: session }, respond);
    expect(await settledWithin(answer, 100)).toBe(false);
    send(5); // the next part closes
    expect(await settledWithin(answer, 1000)).toBe(true);
    const playlist = await (await answer).text();
    const newest = output.ll!.partUri(output.ll!.open!.msn, partsBefore);
    expect(playlist).toContain(`URI="${newest}"`);
  });

  test('is answered anyway after a part target and a half when no part comes', async () => {
    const { output, send } = live();
    send(25 * 5 + 2);
    const started = performance.now();
    const res = await serveHls(output, { file: 'll.m3u8', search: session }, respond);
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  test('classic HLS and blocking reloads are not held for it', async () => {
    const { output, send } = live();
    send(25 * 5 + 2);
    expect(await settledWithin(serveHls(output, { file: 'index.m3u8', search: session }, respond), 100)).toBe(true);
    const { msn } = output.ll!.open!;
    const parts = output.ll!.open!.parts.length;
    const blocking = new URLSearchParams(`weir_sid=abcdefghijklmnop&_HLS_msn=${msn}&_HLS_part=${parts - 1}`);
    expect(await settledWithin(serveHls(output, { file: 'll.m3u8', search: blocking }, respond), 100)).toBe(true);
  });
});
