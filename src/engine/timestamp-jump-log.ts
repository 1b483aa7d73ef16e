// One log line when a publisher's clock jumps and the stream's timeline is rebased; a publisher
// that jumps on every frame gets one line per interval with the running count, not a flood.
import { FlvTagType } from '../flv/flv-tag-type.ts';
import type { LiveStream } from '../hub/live-stream.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import type { Logger } from '../shared/logger.ts';

const REPEAT_INTERVAL_MS = 10_000;

export function timestampJumpLogger(logger: Logger, now: () => number = Date.now): (stream: LiveStream, packet: MediaPacket) => void {
  const lastLogged = new WeakMap<LiveStream, number>();
  return (stream, packet) => {
    const at = now();
    const previous = lastLogged.get(stream);
    if (previous !== undefined && at - previous < REPEAT_INTERVAL_MS) return;
    lastLogged.set(stream, at);
    logger.warn('publisher timestamps jumped: timeline rebased, HLS discontinuity', {
      stream: stream.path,
      type: packet.type === FlvTagType.Video ? 'video' : packet.type === FlvTagType.Audio ? 'audio' : 'data',
      atMs: packet.timestampMs,
      jumps: stream.counters.timestampJumps,
    });
  };
}
