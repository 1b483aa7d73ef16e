// What one app has recorded under one storage path: the index of `{path}/{app}/*/`, rebuilt from
// the file names (record/recording-index.ts) at first use, then kept up to date by the recorders
// and the retention sweep. Temporary files of a process that died mid-write are removed here.
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { compareSegments, rebuildIndex, type RecordedFile, type RecordedSegment } from '../record/recording-index.ts';
import { tempNameOwner } from '../record/segment-name.ts';

export class RecordingCatalog {
  private segments: RecordedSegment[] = [];
  private loading: Promise<void> | null = null;
  private loaded = false;
  /** segments recorded before the scan finished; merged into its result */
  private pending: RecordedSegment[] = [];

  constructor(
    readonly path: string,
    readonly app: string,
    /** this process's temporary-name token: its own in-flight files are left alone */
    private readonly owner: string,
  ) {}

  get appDir(): string {
    return join(this.path, this.app);
  }

  load(): Promise<void> {
    this.loading ??= this.scan();
    return this.loading;
  }

  list(): readonly RecordedSegment[] {
    return this.segments;
  }

  totalBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.sizeBytes;
    return total;
  }

  add(segment: RecordedSegment): void {
    if (!this.loaded) {
      this.pending.push(segment);
      return;
    }
    this.segments.push(segment);
    if (this.segments.length > 1 && compareSegments(this.segments.at(-2)!, segment) > 0) this.segments.sort(compareSegments);
  }

  /** Deletes these segments' files (missing ones count as deleted); returns how many went. */
  async remove(segments: readonly RecordedSegment[]): Promise<number> {
    const gone = new Set<RecordedSegment>();
    for (const s of segments) {
      try {
        await unlink(join(this.appDir, s.stream, s.fileName));
        gone.add(s);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') gone.add(s);
      }
    }
    this.segments = this.segments.filter((s) => !gone.has(s));
    return gone.size;
  }

  private async scan(): Promise<void> {
    const files: RecordedFile[] = [];
    let streams: string[] = [];
    try {
      streams = await readdir(this.appDir);
    } catch {
      // nothing recorded yet
    }
    for (const stream of streams) {
      const dir = join(this.appDir, stream);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue; // a stray file, not a stream directory
      }
      for (const fileName of names) {
        const owner = tempNameOwner(fileName);
        if (owner !== null) {
          if (owner !== this.owner) await rm(join(dir, fileName), { force: true });
          continue;
        }
        try {
          files.push({ stream, fileName, sizeBytes: (await stat(join(dir, fileName))).size });
        } catch {
          // deleted meanwhile
        }
      }
    }
    const scanned = rebuildIndex(files);
    const known = new Set(scanned.map((s) => `${s.stream}/${s.fileName}`));
    this.segments = [...scanned, ...this.pending.filter((s) => !known.has(`${s.stream}/${s.fileName}`))].sort(compareSegments);
    this.pending = [];
    this.loaded = true;
  }
}
