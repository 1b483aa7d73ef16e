// MPEG-TS bytes from a pull (SRT or UDP) into a pull sink: the shared TsIngest (src/flv/ts-ingest.ts)
// turns them into FLV tags; the sink's stream machinery does the rest, as for every pull client.
import { TsIngest, tracksNote } from '../flv/ts-ingest.ts';
import { isProtocolError } from '../shared/protocol-error.ts';
import type { PullLog, PullSink } from './pull-client.ts';

export class TsPullFeed {
  private readonly ingest = new TsIngest();
  private announced = false;
  private noted = false;

  constructor(
    private readonly sink: PullSink,
    private readonly log: PullLog,
  ) {}

  /** Returns an error message when the stream cannot be read (the caller ends the attempt). */
  push(payloads: readonly Uint8Array[]): string | null {
    try {
      for (const payload of payloads) {
        const out = this.ingest.push(payload);
        if (out.tracksChanged) {
          this.log(`MPEG-TS tracks: ${out.tracksChanged.map((t) => `${t.codec}@${t.pid}`).join(',') || 'none'}`);
          const note = tracksNote(out.tracksChanged);
          if (note !== undefined && !this.noted) {
            this.noted = true;
            this.log(note);
          }
          if (!this.announced && out.tracksChanged.length > 0) {
            this.announced = true;
            this.sink.onConnected();
          }
        }
        for (const tag of out.tags) this.sink.onPacket(tag.type, tag.timestampMs, tag.body);
      }
      return null;
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return `unreadable MPEG-TS: ${err.message}`;
    }
  }

  /** The last frames the demuxer holds, when the source ends. */
  flush(): void {
    try {
      for (const tag of this.ingest.flush()) this.sink.onPacket(tag.type, tag.timestampMs, tag.body);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
    }
  }
}
