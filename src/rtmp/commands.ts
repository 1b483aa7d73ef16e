// NetConnection/NetStream command messages: decoding a command, building _result/_error/onStatus replies, status codes (Adobe RTMP 1.0 §7.1.1, §7.2).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { decodeAmf0, encodeAmf0, type Amf0Object, type Amf0Value } from './amf0.ts';
import { ChunkStreamId, RtmpMessageType, type RtmpMessage } from './message-types.ts';

export const CommandName = {
  Connect: 'connect',
  Call: 'call',
  Close: 'close',
  CreateStream: 'createStream',
  DeleteStream: 'deleteStream',
  CloseStream: 'closeStream',
  ReleaseStream: 'releaseStream',
  FCPublish: 'FCPublish',
  FCUnpublish: 'FCUnpublish',
  OnFCPublish: 'onFCPublish',
  OnFCUnpublish: 'onFCUnpublish',
  FCSubscribe: 'FCSubscribe',
  OnFCSubscribe: 'onFCSubscribe',
  Publish: 'publish',
  Play: 'play',
  Play2: 'play2',
  Pause: 'pause',
  Seek: 'seek',
  ReceiveAudio: 'receiveAudio',
  ReceiveVideo: 'receiveVideo',
  GetStreamLength: 'getStreamLength',
  Result: '_result',
  Error: '_error',
  OnStatus: 'onStatus',
  SetDataFrame: '@setDataFrame',
  ClearDataFrame: '@clearDataFrame',
  OnMetaData: 'onMetaData',
  SampleAccess: '|RtmpSampleAccess',
} as const;

export const StatusCode = {
  ConnectSuccess: 'NetConnection.Connect.Success',
  ConnectRejected: 'NetConnection.Connect.Rejected',
  CallFailed: 'NetConnection.Call.Failed',
  PublishStart: 'NetStream.Publish.Start',
  PublishBadName: 'NetStream.Publish.BadName',
  UnpublishSuccess: 'NetStream.Unpublish.Success',
  PlayReset: 'NetStream.Play.Reset',
  PlayStart: 'NetStream.Play.Start',
  PlayStop: 'NetStream.Play.Stop',
  PlayFailed: 'NetStream.Play.Failed',
  PlayStreamNotFound: 'NetStream.Play.StreamNotFound',
  PlayPublishNotify: 'NetStream.Play.PublishNotify',
  PlayUnpublishNotify: 'NetStream.Play.UnpublishNotify',
} as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export const StatusLevel = { Status: 'status', Error: 'error', Warning: 'warning' } as const;
export type StatusLevel = (typeof StatusLevel)[keyof typeof StatusLevel];

export type Command = {
  name: string;
  transactionId: number;
  /** third value: the command object (connect) or null */
  commandObject: Amf0Value;
  /** values after the command object */
  args: Amf0Value[];
  messageStreamId: number;
};

/** AMF3 command/data messages (types 17, 15) carry a 0x00 format byte before AMF0 values. */
export function amf0Body(message: RtmpMessage): Uint8Array {
  const amf3 = message.typeId === RtmpMessageType.CommandAmf3 || message.typeId === RtmpMessageType.DataAmf3;
  return amf3 && message.payload[0] === 0 ? message.payload.subarray(1) : message.payload;
}

/** Decodes a command message (type 20 or 17). */
export function decodeCommand(message: RtmpMessage): Command {
  const values = decodeAmf0(amf0Body(message));
  const name = values[0];
  if (typeof name !== 'string') {
    throw new ProtocolError(ProtocolErrorCode.Malformed, 'command message does not start with a name string');
  }
  const transactionId = values[1];
  return {
    name,
    transactionId: typeof transactionId === 'number' && Number.isFinite(transactionId) ? transactionId : 0,
    commandObject: values[2] ?? null,
    args: values.slice(3),
    messageStreamId: message.messageStreamId,
  };
}

/** An AMF0 command message on the command chunk stream. */
export function commandMessage(messageStreamId: number, values: readonly Amf0Value[]): RtmpMessage {
  return {
    chunkStreamId: ChunkStreamId.Command,
    typeId: RtmpMessageType.CommandAmf0,
    timestamp: 0,
    messageStreamId,
    payload: encodeAmf0(values),
  };
}

/** An AMF0 data message (e.g. |RtmpSampleAccess) on the command chunk stream. */
export function dataMessage(messageStreamId: number, values: readonly Amf0Value[]): RtmpMessage {
  return { ...commandMessage(messageStreamId, values), typeId: RtmpMessageType.DataAmf0 };
}

export function resultMessage(transactionId: number, commandObject: Amf0Value, ...info: Amf0Value[]): RtmpMessage {
  return commandMessage(0, [CommandName.Result, transactionId, commandObject, ...info]);
}

export function errorMessage(transactionId: number, commandObject: Amf0Value, ...info: Amf0Value[]): RtmpMessage {
  return commandMessage(0, [CommandName.Error, transactionId, commandObject, ...info]);
}

export function statusInfo(level: StatusLevel, code: string, description: string, extra?: Amf0Object): Amf0Object {
  return { level, code, description, ...extra };
}

/** onStatus on a NetStream (§7.2.2). */
export function onStatusMessage(
  messageStreamId: number,
  level: StatusLevel,
  code: string,
  description: string,
  extra?: Amf0Object,
): RtmpMessage {
  return commandMessage(messageStreamId, [CommandName.OnStatus, 0, null, statusInfo(level, code, description, extra)]);
}

/** Splits 'name?query' into its parts; query is '' when there is none. */
export function splitQuery(text: string): { path: string; query: string } {
  const q = text.indexOf('?');
  return q < 0 ? { path: text, query: '' } : { path: text.slice(0, q), query: text.slice(q + 1) };
}

/** If a data message body starts with AMF0 '@setDataFrame', returns the rest (starting at 'onMetaData'); else the body. */
export function stripSetDataFrame(body: Uint8Array): Uint8Array {
  const name = CommandName.SetDataFrame;
  if (body.length < 3 + name.length || body[0] !== 0x02 || body[1] !== 0 || body[2] !== name.length) return body;
  for (let i = 0; i < name.length; i++) if (body[3 + i] !== name.charCodeAt(i)) return body;
  return body.subarray(3 + name.length);
}
