import { describe, expect, test } from 'bun:test';
import { h264ReorderDepth, h265ReorderDepth } from '../../src/media/reorder-depth.ts';
import { DtsFromPts } from '../../src/rtsp/dts-from-pts.ts';
import { H264_SPS, H265_SPS } from './media-fixtures.ts';

const F = 3000;

describe('DtsFromPts', () => {
  test('no reordering (depth 0): dts = pts', () => {
    const d = new DtsFromPts(0);
    expect([0, 1, 2, 3].map((i) => d.next(i * F))).toEqual([0, F, 2 * F, 3 * F]);
  });

  test('B-pyramid (depth 2): decode times increase and never pass presentation times', () => {
    // decode order I0 P4 B2 b1 b3 P8 B6 b5 b7 (presentation index)
    const order = [0, 4, 2, 1, 3, 8, 6, 5, 7];
    const d = new DtsFromPts(2);
    const dts = order.map((i) => d.next(i * F));
    expect(dts).toEqual([-2 * F, -1 * F, 0, F, 2 * F, 3 * F, 4 * F, 5 * F, 6 * F]);
    for (let i = 0; i < order.length; i++) expect(dts[i]!).toBeLessThanOrEqual(order[i]! * F);
    for (let i = 1; i < dts.length; i++) expect(dts[i]!).toBeGreaterThan(dts[i - 1]!);
  });

  test('a too-small depth keeps dts increasing; restart keeps it increasing across GOPs', () => {
    const d = new DtsFromPts(0);
    const dts = [0, 3, 1, 2].map((i) => d.next(i * F));
    for (let i = 1; i < dts.length; i++) expect(dts[i]!).toBeGreaterThan(dts[i - 1]!);
    d.restart(2);
    const after = d.next(10 * F);
    expect(after).toBeGreaterThan(dts[3]!);
  });

  test('reorder depth from real SPSs: x265 fixture says 2; a camera SPS without bitstream_restriction says nothing', () => {
    expect(h265ReorderDepth(H265_SPS)).toBe(2);
    expect(h264ReorderDepth(H264_SPS)).toBeUndefined();
    // Baseline cannot reorder
    expect(h264ReorderDepth(Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8))).toBe(0);
  });
});
