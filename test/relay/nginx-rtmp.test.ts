// nginx with Debian's libnginx-mod-rtmp as the third-party peer: one engine forwards a publish
// into nginx-rtmp, ffmpeg decodes what nginx serves, and a second engine pulls it back out.
import { describe, expect, test } from 'bun:test';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, probe, publishPattern, spawnBackground, waitFor, waitForListening } from '../e2e/harness.ts';
import { freePort, relayTestScope, startRelayEngine } from './relay-harness.ts';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const { engines, dir } = relayTestScope();

function startNginx(port: number) {
  const conf = `load_module ${RTMP_MODULE};
worker_processes 1;
error_log ${dir.path}/error.log info;
pid ${dir.path}/nginx.pid;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    chunk_size 4096;
    application live { live on; }
  }
}
`;
  writeFileSync(join(dir.path, 'nginx.conf'), conf);
  return spawnBackground([NGINX!, '-p', dir.path, '-c', join(dir.path, 'nginx.conf'), '-g', 'daemon off; master_process off;']);
}

describe('relay with nginx-rtmp as the peer', () => {
  // scripts/test-deps.sh installs nginx and its RTMP module: a missing one is a failure, not a skip
  test('forward into nginx-rtmp, decode it from nginx, pull it back into another engine', async () => {
    expect(NGINX).toBeDefined();
    expect(existsSync(RTMP_MODULE)).toBe(true);
    const port = freePort();
    const nginx = startNginx(port);
    expect(await waitForListening(port)).toBe(true);
    const source = startRelayEngine({ forwardTargets: () => [`rtmp://127.0.0.1:${port}/live/n`] });
    engines.push(source);
    const publisher = await publishPattern(source.rtmpUrl('live/src'), { seconds: 20, bFrames: 2 });
    expect(await waitFor(() => source.relays.status().some((r) => r.state === 'live'), 8000)).toBe(true);
    await Bun.sleep(1500);

    const fromNginx = await probe(`rtmp://127.0.0.1:${port}/live/n`, { packets: true, seconds: 2 });
    expect(fromNginx.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const decoded = await decode(`rtmp://127.0.0.1:${port}/live/n`, 2);
    expect(decoded.exitCode).toBe(0);

    const puller = startRelayEngine({ pulls: [{ id: 'ng', app: 'live', stream: 'fromnginx', url: `rtmp://127.0.0.1:${port}/live/n`, enabled: true }] });
    engines.push(puller);
    expect(await waitFor(() => puller.context.streams.find('live', 'fromnginx')?.started === true, 8000)).toBe(true);
    const pulled = await probe(puller.httpUrl('live/fromnginx.flv'), { packets: true, seconds: 1 });
    expect(pulled.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(puller.relay('ng')?.state).toBe('live');
    await publisher.stop();
    await nginx.stop();
  }, 60_000);
});
