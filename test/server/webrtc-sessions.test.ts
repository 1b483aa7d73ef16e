// The WebRTC session table with an injected clock: a session never heard from, or silent since its last check,
// is closed by the sweep after the ICE timeout; anything heard keeps it; removal forgets its ufrag and 5-tuples.
import { describe, expect, test } from 'bun:test';
import { WebRtcSessionTable, type WebRtcSessionEntry } from '../../src/server/webrtc/webrtc-sessions.ts';

function entry(id: string, closed: string[]): WebRtcSessionEntry {
  return { id, localUfrag: `u-${id}`, clientAddress: '127.0.0.1', close: (reason) => closed.push(`${id}: ${reason}`) };
}

describe('WebRtcSessionTable', () => {
  test('a client that disappears without DELETE is closed after the ICE timeout, one that keeps talking is not', () => {
    let now = 1000;
    const closed: string[] = [];
    const table = new WebRtcSessionTable(() => now, () => 30_000);
    const gone = entry('gone', closed);
    const alive = entry('alive', closed);
    table.add(gone);
    table.add(alive);
    table.bindTuple(gone, '127.0.0.1', 5000);
    for (let t = 0; t < 40; t++) {
      now += 1000;
      table.heard(alive); // consent checks, RTCP
      table.sweep();
    }
    expect(closed).toEqual(['gone: ICE timeout: nothing heard from the client']);
    expect(table.byResourceId('gone')).toBeUndefined();
    expect(table.byLocalUfrag('u-gone')).toBeUndefined();
    expect(table.byAddress('127.0.0.1', 5000)).toBeUndefined();
    expect(table.byResourceId('alive')).toBe(alive);
    expect(table.size).toBe(1);
  });

  test('not before the timeout: 29 s of silence is kept', () => {
    let now = 0;
    const closed: string[] = [];
    const table = new WebRtcSessionTable(() => now, () => 30_000);
    table.add(entry('a', closed));
    now = 29_000;
    expect(table.sweep()).toBe(0);
    now = 30_001;
    expect(table.sweep()).toBe(1);
    expect(closed).toHaveLength(1);
  });

  test('a 5-tuple belongs to the latest session that passed a check from it; remove closes once', () => {
    const closed: string[] = [];
    const table = new WebRtcSessionTable(() => 0, () => 30_000);
    const a = entry('a', closed);
    const b = entry('b', closed);
    table.add(a);
    table.add(b);
    table.bindTuple(a, '10.0.0.1', 1);
    table.bindTuple(b, '10.0.0.1', 1);
    expect(table.byAddress('10.0.0.1', 1)).toBe(b);
    expect(table.remove(a, 'x')).toBe(true);
    expect(table.byAddress('10.0.0.1', 1)).toBe(b);
    expect(table.remove(a, 'again')).toBe(false);
    table.closeAll('stop');
    expect(closed).toEqual(['a: x', 'b: stop']);
    expect(table.countFrom('127.0.0.1')).toBe(0);
  });
});
