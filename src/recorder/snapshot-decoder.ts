// Decodes one keyframe to a JPEG with ffmpeg (the engine's other use of ffmpeg is opus-transcoder.ts): the keyframe as a
// tiny FLV on stdin, one MJPEG frame on stdout. Bounded: a deadline kills the process, output over a
// cap is refused. `findSnapshotDecoder` says which ffmpeg the engine's PATH has (null: none).
import { concatBytes } from '../media/bytes.ts';

export const MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;

export function findSnapshotDecoder(path: string | undefined = process.env.PATH): string | null {
  return Bun.which('ffmpeg', { PATH: path ?? '' });
}

export class SnapshotDecodeError extends Error {
  override readonly name = 'SnapshotDecodeError';
}

/** The JPEG of the one keyframe in `flv`; throws SnapshotDecodeError with ffmpeg's reason. */
export async function decodeKeyframeJpeg(ffmpeg: string, flv: Uint8Array, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Uint8Array> {
  const proc = Bun.spawn(
    [ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'flv', '-i', 'pipe:0', '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1'],
    { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' },
  );
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  try {
    // ffmpeg may exit before it has read everything (a bad header): a failed write is its answer
    Promise.resolve(proc.stdin.write(flv)).catch(() => {});
    Promise.resolve(proc.stdin.end()).catch(() => {});
    const [stdout, stderr] = await Promise.all([readCapped(proc.stdout, MAX_SNAPSHOT_BYTES, () => proc.kill('SIGKILL')), new Response(proc.stderr).text()]);
    const code = await proc.exited;
    if (code !== 0) throw new SnapshotDecodeError(`ffmpeg exited with ${code}${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`);
    if (stdout === null) throw new SnapshotDecodeError(`the JPEG is over ${MAX_SNAPSHOT_BYTES} bytes`);
    if (stdout.length < 4 || stdout[0] !== 0xff || stdout[1] !== 0xd8) throw new SnapshotDecodeError('ffmpeg gave no JPEG');
    return stdout;
  } finally {
    clearTimeout(timer);
  }
}

/** All of a stream, or null once it passes `cap` bytes (after calling `onOver`). */
async function readCapped(stream: ReadableStream<Uint8Array>, cap: number, onOver: () => void): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > cap) {
      onOver();
      return null;
    }
    chunks.push(chunk);
  }
  return concatBytes(chunks);
}
