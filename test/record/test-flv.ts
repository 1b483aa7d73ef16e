// A short FLV from ffmpeg's test sources (H.264 at 25 fps, keyframe each second, AAC unless
// audio: false) that the recording tests cut, join and export.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../e2e/harness.ts';

export async function encodeTestFlv(dir: string, seconds: number, options: { audio?: boolean; bFrames?: number } = {}): Promise<Uint8Array> {
  const flv = join(dir, 'in.flv');
  const audio = options.audio ?? true;
  const made = await run([
    'ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25',
    ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'] : []),
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast',
    ...(options.bFrames === undefined ? [] : ['-bf', String(options.bFrames)]),
    '-g', '25', '-pix_fmt', 'yuv420p', ...(audio ? ['-c:a', 'aac'] : []), '-f', 'flv', flv,
  ]);
  if (made.exitCode !== 0) throw new Error(`ffmpeg could not make the test FLV: ${made.stderr}`);
  return new Uint8Array(readFileSync(flv));
}
