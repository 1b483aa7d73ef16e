// RTSP credentials on real Weir processes: RTSP clients send user:password from the URL only when challenged, so a
// publish or play that a stream key or signature would admit gets 401 with a challenge, and ffmpeg then comes back
// with the key as password (rtsp://any:KEY@host/app/stream, Basic), or a signed URL's expires:sign (Digest MD5, which
// ffmpeg prefers; SHA-256 shown with Weir's own Digest client). A wrong key stays refused; an unknown app is still 403.
import { expect, test } from 'bun:test';
import { authorizationHeader, pickChallenge } from '../../src/rtsp/rtsp-auth.ts';
import { freePort, probe, run, spawnBackground, testPatternArgs } from './harness.ts';
import { rawRtspRequests } from './rtsp-test-client.ts';
import { useWeir } from './weir-processes.ts';

const rtspPort = freePort();
const running = useWeir({
  engineArgs: ['--rtsp-host', '127.0.0.1', '--rtsp-port', String(rtspPort)],
  timeoutMs: 60_000,
  setup: async (weir) => {
    expect((await weir.api('POST', '/apps', { name: 'keyed', publishPolicy: 'stream-key', playPolicy: 'signed-url' })).status).toBe(201);
    expect(await weir.engineCurrent()).toBe(true);
  },
});

/** one raw RTSP request to the engine; the answer's head */
async function rawRequest(lines: string[]): Promise<string> {
  return (await rawRtspRequests(rtspPort, [lines]))[0]!;
}

const isLive = async (path: string) => (await running.weir.api('GET', `/streams/${path}`)).status === 200;
async function waitLive(path: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await isLive(path)) return true;
    await Bun.sleep(100);
  }
  return false;
}

test('no key or signature: 401, Basic for a key (ANNOUNCE), Digest SHA-256, MD5 and Basic for a signature (DESCRIBE); an unknown app: 403', async () => {
  const describe = await rawRequest([`DESCRIBE rtsp://127.0.0.1:${rtspPort}/keyed/cam RTSP/1.0`, 'CSeq: 1']);
  expect(describe).toStartWith('RTSP/1.0 401');
  expect(describe.split('\r\n').filter((l) => l.startsWith('WWW-Authenticate:')).map((l) => l.replace(/nonce="[^"]+"/, 'nonce=N'))).toEqual([
    'WWW-Authenticate: Digest realm="weir", nonce=N, algorithm=SHA-256, qop="auth"',
    'WWW-Authenticate: Digest realm="weir", nonce=N, algorithm=MD5, qop="auth"',
    'WWW-Authenticate: Basic realm="weir"',
  ]);
  const sdp = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=control:trackID=0\r\n';
  const announce = await rawRequest([
    `ANNOUNCE rtsp://127.0.0.1:${rtspPort}/keyed/cam RTSP/1.0`, 'CSeq: 1', 'Content-Type: application/sdp', `Content-Length: ${sdp.length}`, '', sdp.slice(0, -2),
  ]);
  expect(announce).toStartWith('RTSP/1.0 401');
  expect(announce.split('\r\n').filter((l) => l.startsWith('WWW-Authenticate:'))).toEqual(['WWW-Authenticate: Basic realm="weir"']);
  const unknown = await rawRequest([`DESCRIBE rtsp://127.0.0.1:${rtspPort}/nope/cam RTSP/1.0`, 'CSeq: 1']);
  expect(unknown).toStartWith('RTSP/1.0 403');
  expect(unknown).not.toContain('WWW-Authenticate');
});

test('ffmpeg publishes with the stream key as password, plays with expires:sign; a wrong key is refused', async () => {
  const created = await running.weir.api('POST', '/apps/keyed/keys', { stream: 'cam' });
  const key: string = created.json.key;
  const wrong = await run(['ffmpeg', ...testPatternArgs({ seconds: 3, bFrames: 0 }), '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://obs:wsk_wrong@127.0.0.1:${rtspPort}/keyed/cam`], 30_000);
  expect(wrong.exitCode).not.toBe(0);
  expect(wrong.stderr).toContain('401');
  expect(await isLive('keyed/cam')).toBe(false);

  const publisher = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 40, bFrames: 0 }), '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://obs:${key}@127.0.0.1:${rtspPort}/keyed/cam`]);
  expect(await waitLive('keyed/cam')).toBe(true);

  const signed = await running.weir.api('POST', '/apps/keyed/signed-urls', { stream: 'cam', expiresInSec: 600 });
  const { expires, sign } = signed.json as { expires: number; sign: string };
  const played = await probe(`rtsp://${expires}:${sign}@127.0.0.1:${rtspPort}/keyed/cam`, { seconds: 2 });
  expect(played.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  // ffmpeg answered with Digest MD5 (it prefers Digest over Basic and computes MD5 only)
  const verbose = await run(['ffprobe', '-v', 'trace', '-rtsp_transport', 'tcp', '-read_intervals', '%+1', '-show_streams', `rtsp://${expires}:${sign}@127.0.0.1:${rtspPort}/keyed/cam`], 30_000);
  expect(verbose.stderr).toMatch(/Authorization: Digest username="\d+", realm="weir", nonce="[^"]+", uri="[^"]+", response="[0-9a-f]{32}", algorithm="?MD5/);
  const unsigned = await probe(`rtsp://127.0.0.1:${rtspPort}/keyed/cam`, { seconds: 2 });
  expect(unsigned.streams).toEqual([]);
  const wrongSign = await probe(`rtsp://${expires}:${'0'.repeat(64)}@127.0.0.1:${rtspPort}/keyed/cam`, { seconds: 2 });
  expect(wrongSign.streams).toEqual([]);

  // Digest SHA-256 (Weir's own client code answers the challenge); a second answer with the wrong password is refused
  const uri = `rtsp://127.0.0.1:${rtspPort}/keyed/cam`;
  const answerWith = (password: string, algorithm: string) => (challenge: string) => {
    const values = challenge.split('\r\n').filter((l) => l.startsWith('WWW-Authenticate:')).map((l) => l.slice('WWW-Authenticate:'.length).trim());
    const picked = pickChallenge(values.filter((v) => v.includes(`algorithm=${algorithm}`)))!;
    const auth = authorizationHeader(picked, { username: String(expires), password }, { method: 'DESCRIBE', uri, cnonce: 'ab12', nc: 1 });
    return [`DESCRIBE ${uri} RTSP/1.0`, 'CSeq: 2', `Authorization: ${auth}`];
  };
  for (const algorithm of ['SHA-256', 'MD5']) {
    const [challenge, right] = await rawRtspRequests(rtspPort, [[`DESCRIBE ${uri} RTSP/1.0`, 'CSeq: 1'], answerWith(sign, algorithm)]);
    expect(challenge).toStartWith('RTSP/1.0 401');
    expect(right).toStartWith('RTSP/1.0 200');
    expect(right).toContain('Content-Type: application/sdp');
    const [, wrongAnswer] = await rawRtspRequests(rtspPort, [[`DESCRIBE ${uri} RTSP/1.0`, 'CSeq: 1'], answerWith('f'.repeat(64), algorithm)]);
    expect(wrongAnswer).toStartWith('RTSP/1.0 401');
  }
  await publisher.stop();
}, 120_000);
