// Audio, video and data messages as a publisher sends them: AMF3 data unwrapped, '@setDataFrame' stripped, aggregates split (Adobe RTMP 1.0 §7.1.2, §7.1.4, §7.1.5, §7.1.6).
import { splitAggregate } from './aggregate.ts';
import { amf0Body, stripSetDataFrame } from './commands.ts';
import { RtmpMessageType, type RtmpMessage } from './message-types.ts';

export type MediaMessageType = typeof RtmpMessageType.Audio | typeof RtmpMessageType.Video | typeof RtmpMessageType.DataAmf0;
export type MediaMessage = { messageType: MediaMessageType; timestamp: number; payload: Uint8Array };

/** True for the message types `mediaMessages` turns into media. */
export function isMediaMessage(typeId: number): boolean {
  return (
    typeId === RtmpMessageType.Audio ||
    typeId === RtmpMessageType.Video ||
    typeId === RtmpMessageType.DataAmf0 ||
    typeId === RtmpMessageType.DataAmf3 ||
    typeId === RtmpMessageType.Aggregate
  );
}

/** The media a message carries: one entry, several for an aggregate, none for other types. */
export function mediaMessages(message: RtmpMessage): MediaMessage[] {
  const { typeId, timestamp, payload } = message;
  switch (typeId) {
    case RtmpMessageType.Audio:
    case RtmpMessageType.Video:
      return [{ messageType: typeId, timestamp, payload }];
    case RtmpMessageType.DataAmf0:
    case RtmpMessageType.DataAmf3:
      return [{ messageType: RtmpMessageType.DataAmf0, timestamp, payload: stripSetDataFrame(amf0Body(message)) }];
    case RtmpMessageType.Aggregate: {
      const out: MediaMessage[] = [];
      for (const sub of splitAggregate(message)) {
        if (sub.typeId === RtmpMessageType.Audio || sub.typeId === RtmpMessageType.Video || sub.typeId === RtmpMessageType.DataAmf0) {
          out.push(...mediaMessages(sub));
        }
      }
      return out;
    }
    default:
      return [];
  }
}
