// Both processes with live/cam recorded: recording on through REST (1 s fMP4 into
// {dir}/recordings), then ffmpeg publishes ~8 s and leaves, and the segments are waited for.
// What the export and the console's recordings page tests start from.
import { expect } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSegmentName } from '../../src/record/segment-name.ts';
import { spawnBackground, testPatternArgs, waitFor } from './harness.ts';
import { useWeir, type Weir } from './weir-processes.ts';

export function useRecordedWeir(bFrames: number): { readonly weir: Weir; readonly dir: string; files(): string[] } {
  const running = useWeir({
    engineArgs: ['--record-min-free-mb', '0'],
    timeoutMs: 90_000,
    setup: async (weir, dir) => {
      const store = join(dir, 'recordings');
      const patched = await weir.api('PATCH', '/apps/live', { recording: { enabled: true, format: 'fmp4', segmentDurationSec: 1, path: store } });
      expect(patched.status).toBe(200);
      expect(await weir.engineCurrent()).toBe(true);
      const pub = spawnBackground(['ffmpeg', ...testPatternArgs({ seconds: 8, bFrames, gop: 25 }), '-f', 'flv', `rtmp://127.0.0.1:${weir.ports.rtmp}/live/cam`]);
      await pub.proc.exited;
      // the publisher left: the last open segment is written too
      expect(await waitFor(() => files().length >= 7, 20_000, 100)).toBe(true);
    },
  });
  /** live/cam's segment files, sorted */
  const files = (): string[] => {
    try {
      return readdirSync(join(running.dir, 'recordings', 'live', 'cam')).filter((n) => parseSegmentName(n) !== null).sort();
    } catch {
      return [];
    }
  };
  return {
    get weir() {
      return running.weir;
    },
    get dir() {
      return running.dir;
    },
    files,
  };
}
