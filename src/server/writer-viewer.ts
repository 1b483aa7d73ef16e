// The one way a ConnectionWriter serves an output: headers never dropped, media and batches
// through its lag policy. What a publisher's start, stop and the stream's end mean is each
// protocol's own, so the caller gives those.
import type { OutputViewer } from '../outputs/serialized-output.ts';
import type { ConnectionWriter } from './connection-writer.ts';

export type ViewerEvents = Pick<OutputViewer, 'onPublisherStart' | 'onPublisherStop' | 'onStreamEnd'>;

export function writerViewer(writer: ConnectionWriter, events: ViewerEvents): OutputViewer {
  return {
    sendControl: (bytes) => writer.writeControl(bytes),
    sendMedia: (bytes, randomAccess, entry) => {
      writer.writeMedia(bytes, randomAccess, entry);
    },
    sendBatch: (batch) => writer.writeBatch(batch),
    onPublisherStart: () => events.onPublisherStart(),
    onPublisherStop: () => events.onPublisherStop(),
    onStreamEnd: () => events.onStreamEnd(),
  };
}
