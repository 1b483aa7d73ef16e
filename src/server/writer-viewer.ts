// The one way a ConnectionWriter serves an output: headers never dropped, media and batches
// through its lag policy. What a publisher's start, stop and the stream's end mean is each
// protocol's own, so the caller gives those.
import type { MediaBatch, MediaEntry } from '../outputs/media-batch.ts';
import type { BatchTransport } from '../outputs/direct-table.ts';
import type { OutputViewer } from '../outputs/serialized-output.ts';
import type { ConnectionWriter } from './connection-writer.ts';

export type ViewerEvents = Pick<OutputViewer, 'onPublisherStart' | 'onPublisherStop' | 'onStreamEnd'>;

/** A class, not closures: the output calls sendBatch once per viewer per window, and one object per viewer is one less pointer to chase. */
class WriterViewer implements OutputViewer {
  readonly direct?: { transport: BatchTransport; member: ConnectionWriter };

  constructor(
    private readonly writer: ConnectionWriter,
    private readonly events: ViewerEvents,
    transport: BatchTransport | undefined,
  ) {
    if (transport) this.direct = { transport, member: writer };
  }

  sendControl(bytes: Uint8Array): void {
    this.writer.writeControl(bytes);
  }

  sendMedia(bytes: Uint8Array, randomAccess: boolean, entry: MediaEntry): void {
    this.writer.writeMedia(bytes, randomAccess, entry);
  }

  sendBatch(batch: MediaBatch): void {
    this.writer.writeBatch(batch);
  }

  onPublisherStart(): void {
    this.events.onPublisherStart();
  }

  onPublisherStop(): void {
    this.events.onPublisherStop();
  }

  onStreamEnd(): void {
    this.events.onStreamEnd();
  }
}

/**
 * `transport`: the one the writer's sink writes to, for an output to write caught-up batches to
 * directly. Give it only when the writer counts its bytes toward the engine and the played
 * stream, as the output then does for those batches.
 */
export function writerViewer(writer: ConnectionWriter, events: ViewerEvents, transport?: BatchTransport): OutputViewer {
  return new WriterViewer(writer, events, transport);
}
