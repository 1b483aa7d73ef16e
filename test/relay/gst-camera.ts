// The GStreamer RTSP camera (gst-rtsp-camera.py: gst-rtsp-server with Digest auth) as a child process of a test,
// ended by its PID.
import { resolve } from 'node:path';
import { freePort } from '../e2e/harness.ts';

export const GST_CAMERA_USER = 'admin';
export const GST_CAMERA_PASSWORD = 'gst-cam-s3cret';
const SCRIPT = resolve(import.meta.dir, 'gst-rtsp-camera.py');
const START_TIMEOUT_MS = 20_000;

export type GstCamera = Readonly<{ port: number; url(password?: string, query?: string): string; stop(): Promise<void> }>;

/** Starts the camera on a free loopback port; resolves once it prints that it listens. */
export async function startGstCamera(): Promise<GstCamera> {
  const port = freePort();
  // Debian's python3-gi belongs to the system interpreter, not to one a version manager may put first on PATH
  const child = Bun.spawn(['/usr/bin/python3', SCRIPT, String(port), GST_CAMERA_USER, GST_CAMERA_PASSWORD], { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
  const stop = async () => {
    child.kill();
    await child.exited;
  };
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  let text = '';
  const ready = (async () => {
    while (!text.includes('ready')) {
      const { value, done } = await reader.read();
      if (done) return false;
      text += new TextDecoder().decode(value);
    }
    return true;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), START_TIMEOUT_MS)));
  const up = await Promise.race([ready, timeout]);
  clearTimeout(timer);
  reader.releaseLock();
  if (!up) {
    await stop();
    throw new Error(`GStreamer camera did not start: ${text}${await new Response(child.stderr as ReadableStream).text()}`);
  }
  return {
    port,
    url: (password = GST_CAMERA_PASSWORD, query = '') => `rtsp://${GST_CAMERA_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/cam${query}`,
    stop,
  };
}
