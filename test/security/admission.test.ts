// Issue 10, items 2, 5 and 12, reproduced against a real control plane and engine:
//   - one unauthenticated request with a 9 KB query made the config server answer 400, which the
//     engine took for an outage and answered from stale memory: a revoked key published, an
//     expired signed URL played, and valid viewers were refused for a second after each one;
//   - an IP-checking hook was asked once, then its answer served every other address;
//   - revoking a key did not change the config revision, so during an outage the engine admitted
//     the revoked key from its cache.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { join } from 'node:path';
import { killAll, tempDir } from '../e2e/harness.ts';
import { connectRtmp } from '../e2e/rtmp-test-client.ts';
import { Weir } from '../e2e/weir-processes.ts';

let dir: { path: string; remove(): void };
let weir: Weir;
let hook: ReturnType<typeof Bun.serve>;
const hookCalls: Array<{ ip: string; stream: string }> = [];

/** The 9 KB query of the reproduction, on a path any stranger may request. */
const POISON = 'x=' + 'A'.repeat(9 * 1024);

async function publishOutcome(stream: string): Promise<{ admitted: boolean; description: string }> {
  const client = await connectRtmp(weir.ports.rtmp, 'secure', stream, 'publish');
  try {
    const event = await client.next((e) => e.type === 'ready' || e.type === 'rejected', 10_000);
    return { admitted: event.type === 'ready', description: event.type === 'rejected' ? event.description : '' };
  } finally {
    client.close();
  }
}

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(weir.httpUrl(path));
  return { status: res.status, body: await res.text() };
}

/** A GET sent from another loopback address (127.0.0.2), as a second client would. */
function getFrom(localAddress: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: weir.ports.http, localAddress }, () => {
      socket.write(`GET /${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let head = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  dir = tempDir();
  hook = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const body = (await req.json()) as { ip: string; stream: string };
      hookCalls.push({ ip: body.ip, stream: body.stream });
      return new Response(body.ip === '127.0.0.1' ? '0' : '1');
    },
  });
  // admitted players of a stream that is not live get their 404 after --wait-ms: keep it short
  weir = new Weir(join(dir.path, 'data'), ['--wait-ms', '300']);
  await weir.start();
  expect((await weir.api('POST', '/apps', { name: 'secure', publishPolicy: 'stream-key' })).status).toBe(201);
  expect((await weir.api('POST', '/apps', { name: 'paid', playPolicy: 'signed-url' })).status).toBe(201);
  expect((await weir.api('POST', '/apps', { name: 'hooked', playPolicy: 'hook', hookUrl: `http://127.0.0.1:${hook.port}/on_play` })).status).toBe(201);
  expect(await weir.engineCurrent()).toBe(true);
}, 60_000);

afterAll(async () => {
  await killAll();
  await weir?.stop();
  hook?.stop(true);
  dir?.remove();
});

describe('hook admission decides per client', () => {
  test('an IP-checking hook admits 127.0.0.1 and is asked again for 127.0.0.2, which it refuses', async () => {
    hookCalls.length = 0;
    expect(await getFrom('127.0.0.1', 'hooked/cam/index.m3u8')).toBe(404); // admitted, not live
    expect(await getFrom('127.0.0.2', 'hooked/cam/index.m3u8')).toBe(403);
    expect(await getFrom('127.0.0.1', 'hooked/cam/index.m3u8')).toBe(404);
    expect(hookCalls).toEqual([
      { ip: '127.0.0.1', stream: 'cam' },
      { ip: '127.0.0.2', stream: 'cam' },
    ]);
  }, 30_000);
});

describe('revoking a key reaches the engine; its outage fallback is per app', () => {
  test('a revocation bumps the revision; during an outage the revoked key is refused, an admitted one reconnects, a new one waits', async () => {
    expect((await weir.api('POST', '/apps', { name: 'lenient', publishPolicy: 'stream-key', outagePolicy: 'open' })).status).toBe(201);
    const revoked = await weir.api('POST', '/apps/secure/keys', { stream: 'cam2' });
    const admitted = await weir.api('POST', '/apps/secure/keys', { stream: 'cam4' });
    const unseen = await weir.api('POST', '/apps/secure/keys', { stream: 'cam3' });
    expect(await weir.engineCurrent()).toBe(true);
    expect((await publishOutcome(`cam2?key=${revoked.json.key}`)).admitted).toBe(true);
    const before = (await weir.api('GET', '/engine')).json.configRevision as number;
    expect((await weir.api('DELETE', `/apps/secure/keys/${revoked.json.id}`)).status).toBe(204);
    expect((await weir.api('GET', '/engine')).json.configRevision).toBeGreaterThan(before);
    expect(await weir.engineCurrent()).toBe(true);
    expect((await publishOutcome(`cam4?key=${admitted.json.key}`)).admitted).toBe(true);
    const admittedAtMs = Date.now();

    await weir.control!.stop(); // a real outage: connection refused
    await Bun.sleep(Math.max(0, admittedAtMs + 5500 - Date.now())); // past the answer's fresh life (5 s): the fallback decides
    expect(await publishOutcome(`cam2?key=${revoked.json.key}`)).toEqual({ admitted: false, description: 'control plane unreachable' });
    expect(await publishOutcome(`cam4?key=${admitted.json.key}`)).toEqual({ admitted: true, description: '' });
    expect(await publishOutcome(`cam3?key=${unseen.json.key}`)).toEqual({ admitted: false, description: 'control plane unreachable' });
    const lenient = await connectRtmp(weir.ports.rtmp, 'lenient', 'cam?key=anything', 'publish');
    expect((await lenient.next((e) => e.type === 'ready' || e.type === 'rejected', 10_000)).type).toBe('ready');
    lenient.close();
    await weir.startControl(); // back for the tests below
    expect(await weir.engineCurrent()).toBe(true);
  }, 60_000);
});


// Last: each poison makes the old engine decide alone for a second, which would spill into
// the tests above. Every setup step that needs a real answer runs before the first poison.
describe('admission fails closed and cannot be poisoned', () => {
  let revokedKey = '';
  let expiring = { query: '', expires: 0 };

  beforeAll(async () => {
    const key = await weir.api('POST', '/apps/secure/keys', { stream: 'cam', label: 'revoked' });
    expect(key.status).toBe(201);
    revokedKey = key.json.key;
    expect(await weir.engineCurrent()).toBe(true);
    expect(await publishOutcome(`cam?key=${revokedKey}`)).toEqual({ admitted: true, description: '' });
    expect((await weir.api('DELETE', `/apps/secure/keys/${key.json.id}`)).status).toBe(204);
    expect(await weir.engineCurrent()).toBe(true);
    const signed = await weir.api('POST', '/apps/paid/signed-urls', { stream: 'show', action: 'play', expiresInSec: 1 });
    expect(signed.status).toBe(200);
    expiring = signed.json;
    // admitted: the stream is simply not live
    expect((await get(`paid/show/index.m3u8?${expiring.query}`)).status).toBe(404);
  }, 60_000);

  test('the 9 KB query is refused by the engine itself, with its reason, and never reaches the config server', async () => {
    const outages = () => weir.engine!.logs.filter((l) => l.includes('config server unreachable')).length;
    const before = outages();
    const poisoned = await get(`paid/show/index.m3u8?${POISON}`);
    expect(poisoned.status).toBe(403);
    expect(poisoned.body).toContain('query string longer than 4096 characters');
    expect(outages()).toBe(before);
  });

  test('after the poison a revoked key does not publish', async () => {
    await get(`paid/show/index.m3u8?${POISON}`);
    expect(await publishOutcome(`cam?key=${revokedKey}`)).toEqual({ admitted: false, description: 'invalid stream key' });
  }, 30_000);

  test('after the poison an expired signed URL does not play', async () => {
    await Bun.sleep(Math.max(0, expiring.expires * 1000 + 200 - Date.now()));
    await get(`paid/show/index.m3u8?${POISON}`);
    expect(await get(`paid/show/index.m3u8?${expiring.query}`)).toEqual({ status: 403, body: 'signed URL expired\n' });
  }, 30_000);

  test('the poison repeated does not deny valid viewers (5 of 5 admitted)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const signed = await weir.api('POST', '/apps/paid/signed-urls', { stream: 'show', action: 'play', expiresInSec: 60 + i });
      await get(`paid/show/index.m3u8?${POISON}`);
      statuses.push((await get(`paid/show/index.m3u8?${signed.json.query}`)).status);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404]); // admitted, not live
  }, 30_000);
});
