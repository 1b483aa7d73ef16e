// Issue 10, item 10 (the engine's public HTTP server): a request no URL can be made of is the
// client's error (400), and an unexpected error answers a bare RFC 9457 problem with status
// 500 that says nothing of the engine's files, paths, source or stack.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { startEngine, type RunningEngine } from '../../src/engine/engine-runtime.ts';
import type { Admission } from '../../src/server/admission.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../src/shared/engine-config.ts';
import { createLogger } from '../../src/shared/logger.ts';

const SECRET_DETAIL = '/srv/weir/src/server/secret-internals.ts:42 token=s3cr3t';
let engine: RunningEngine;
const logs: string[] = [];

beforeAll(() => {
  // An admission with a bug: every decision throws. The engine must not pass what it says on.
  const broken: Admission = { decide: () => Promise.reject(new Error(SECRET_DETAIL)) };
  engine = startEngine(
    {
      ...DEFAULT_ENGINE_CONFIG,
      rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
      http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
    },
    { admission: broken, logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }) },
  );
});
afterAll(() => engine.stop());

/** Sends raw request bytes and returns everything the server answered before closing. */
function rawRequest(text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: engine.httpPort });
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', () => resolve(answer));
    socket.write(text);
  });
}

test('an unexpected error is a 500 problem+json without internals', async () => {
  for (const path of ['/live/cam.flv', '/live/cam/index.m3u8']) {
    const response = await fetch(`http://127.0.0.1:${engine.httpPort}${path}`);
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500 });
    expect(text).not.toContain('secret');
    expect(text).not.toContain('.ts');
  }
  // the reason goes to the log, where the operator can see it
  expect(logs.some((l) => l.includes('internal error answering a request') && l.includes('secret-internals'))).toBe(true);
});

test('a Host header no URL can be made of is a 400, not an error page', async () => {
  for (const host of ['[', 'x:99999', '%', 'a b']) {
    const answer = await rawRequest(`GET /live/cam.flv HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(answer).not.toContain('.ts');
  }
});
