// RTSP credentials on real Weir processes: RTSP clients send user:password from the URL only when challenged, so a
// publish or play that a stream key or signature would admit gets 401 with a Basic challenge, and ffmpeg then comes
// back with the key as password (rtsp://any:KEY@host/app/stream), or a signed URL's expires:sign. A wrong key stays
// refused; an unknown app is still 403 (no credentials would help).
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { freePort, killAll, probe, run, spawnBackground, tempDir, testPatternArgs } from './harness.ts';
import { Weir } from './weir-processes.ts';

const dir = tempDir();
const rtspPort = freePort();
let weir: Weir;

beforeAll(async () => {
  weir = new Weir(dir.path, ['--rtsp-host', '127.0.0.1', '--rtsp-port', String(rtspPort)]);
  await weir.start();
  expect((await weir.api('POST', '/apps', { name: 'keyed', publishPolicy: 'stream-key', playPolicy: 'signed-url' })).status).toBe(201);
  expect(await weir.engineCurrent()).toBe(true);
}, 60_000);

afterAll(async () => {
  await killAll();
  await weir?.stop();
  dir.remove();
});

/** one raw RTSP request; the answer's head */
async function rawRequest(lines: string[]): Promise<string> {
  let text = '';
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('no answer within 10 s')), 10_000);
    void Bun.connect({
      hostname: '127.0.0.1',
      port: rtspPort,
      socket: {
        open(s) {
          s.write(`${lines.join('\r\n')}\r\n\r\n`);
        },
        data(s, d) {
          text += new TextDecoder().decode(d);
          if (text.includes('\r\n\r\n')) {
            clearTimeout(timer);
            s.end();
            done();
          }
        },
        error(_s, err) {
          clearTimeout(timer);
          fail(err);
        },
      },
    }).catch(fail);
  });
  return text.slice(0, text.indexOf('\r\n\r\n'));
}

const isLive = async (path: string) => (await weir.api('GET', `/streams/${path}`)).status === 200;
async function waitLive(path: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await isLive(path)) return true;
    await Bun.sleep(100);
  }
  return false;
}

test('no key or signature: 401 with a Basic challenge, to publish (ANNOUNCE) and play (DESCRIBE); an unknown app: 403', async () => {
  const describe = await rawRequest([`DESCRIBE rtsp://127.0.0.1:${rtspPort}/keyed/cam RTSP/1.0`, 'CSeq: 1']);
  expect(describe).toStartWith('RTSP/1.0 401');
  expect(describe).toContain('WWW-Authenticate: Basic realm="weir"');
  const sdp = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:trackID=0\r\n';
  const announce = await rawRequest([
    `ANNOUNCE rtsp://127.0.0.1:${rtspPort}/keyed/cam RTSP/1.0`, 'CSeq: 1', 'Content-Type: application/sdp', `Content-Length: ${sdp.length}`, '', sdp.slice(0, -2),
  ]);
  expect(announce).toStartWith('RTSP/1.0 401');
  expect(announce).toContain('WWW-Authenticate: Basic realm="weir"');
  const unknown = await rawRequest([`DESCRIBE rtsp://127.0.0.1:${rtspPort}/nope/cam RTSP/1.0`, 'CSeq: 1']);
  expect(unknown).toStartWith('RTSP/1.0 403');
  expect(unknown).not.toContain('WWW-Authenticate');
});

test('ffmpeg publishes with the stream key as password, plays with expires:sign; a wrong key is refused', async () => {
  const created = await weir.api('POST', '/apps/keyed/keys', { stream: 'cam' });
  const key: string = created.json.key;
  const wrong = await run(['ffmpeg', ...testPatternArgs({ seconds: 3, bFrames: 0 }), '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://obs:wsk_wrong@127.0.0.1:${rtspPort}/keyed/cam`], 30_000);
  expect(wrong.exitCode).not.toBe(0);
  expect(wrong.stderr).toContain('401');
  expect(await isLive('keyed/cam')).toBe(false);

  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 40, bFrames: 0 }), '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://obs:${key}@127.0.0.1:${rtspPort}/keyed/cam`]);
  expect(await waitLive('keyed/cam')).toBe(true);

  const signed = await weir.api('POST', '/apps/keyed/signed-urls', { stream: 'cam', expiresInSec: 600 });
  const { expires, sign } = signed.json as { expires: number; sign: string };
  const played = await probe(`rtsp://${expires}:${sign}@127.0.0.1:${rtspPort}/keyed/cam`, { seconds: 2 });
  expect(played.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  const unsigned = await probe(`rtsp://127.0.0.1:${rtspPort}/keyed/cam`, { seconds: 2 });
  expect(unsigned.streams).toEqual([]);
  await publisher.stop();
}, 120_000);
