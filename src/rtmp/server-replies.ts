// Messages the server side sends in answer to NetConnection/NetStream commands: connect result, onStatus sequences, onFC* notices (Adobe RTMP 1.0 §7.2.1.1, §7.2.2; FMS conventions).
import type { Amf0Object } from './amf0.ts';
import { CommandName, StatusCode, StatusLevel, commandMessage, dataMessage, errorMessage, onStatusMessage, resultMessage, statusInfo } from './commands.ts';
import {
  PeerBandwidthLimit,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  streamBeginMessage,
  streamEofMessage,
  windowAckSizeMessage,
  type RtmpMessage,
} from './message-types.ts';

const CONNECT_PROPERTIES: Amf0Object = { fmsVer: 'FMS/3,0,1,123', capabilities: 31, mode: 1 };
/** Names and descriptions echoed back to the peer are cut to this many characters. */
const MAX_ECHO_CHARS = 256;

const clip = (text: string): string => (text.length > MAX_ECHO_CHARS ? text.slice(0, MAX_ECHO_CHARS) : text);
const status = (streamId: number, code: string, description: string, name: string): RtmpMessage =>
  onStatusMessage(streamId, StatusLevel.Status, code, clip(description), { details: clip(name) });

/** Window Ack Size, Set Peer Bandwidth, Set Chunk Size, then _result NetConnection.Connect.Success. */
export function connectAccepted(
  transactionId: number,
  windowAckSizeBytes: number,
  outChunkSize: number,
  objectEncoding: number,
): { control: RtmpMessage[]; result: RtmpMessage } {
  const info = statusInfo(StatusLevel.Status, StatusCode.ConnectSuccess, 'Connection succeeded.', { objectEncoding });
  return {
    control: [
      windowAckSizeMessage(windowAckSizeBytes),
      setPeerBandwidthMessage(windowAckSizeBytes, PeerBandwidthLimit.Dynamic),
      setChunkSizeMessage(outChunkSize),
    ],
    result: resultMessage(transactionId, CONNECT_PROPERTIES, info),
  };
}

export function connectRejected(transactionId: number, description: string): RtmpMessage {
  return errorMessage(transactionId, null, statusInfo(StatusLevel.Error, StatusCode.ConnectRejected, clip(description)));
}

/** _error NetConnection.Call.Failed for a command we do not implement. */
export function callFailed(transactionId: number, command: string): RtmpMessage {
  return errorMessage(transactionId, null, statusInfo(StatusLevel.Error, StatusCode.CallFailed, `Method not found (${clip(command)}).`));
}

export function streamError(streamId: number, code: string, description: string): RtmpMessage {
  return onStatusMessage(streamId, StatusLevel.Error, clip(code), clip(description));
}

/** onFCPublish / onFCUnpublish / onFCSubscribe notices (FMS sends these on stream 0). */
export function fcNotice(command: string, code: string, name: string): RtmpMessage {
  return commandMessage(0, [command, 0, null, { code, description: clip(name) }]);
}

export function publishStarted(streamId: number, name: string): RtmpMessage[] {
  return [streamBeginMessage(streamId), status(streamId, StatusCode.PublishStart, `${name} is now published.`, name)];
}

export function unpublished(streamId: number, name: string): RtmpMessage {
  return status(streamId, StatusCode.UnpublishSuccess, `${name} is now unpublished.`, name);
}

/** StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess. */
export function playStarted(streamId: number, name: string): RtmpMessage[] {
  return [
    streamBeginMessage(streamId),
    status(streamId, StatusCode.PlayReset, `Playing and resetting ${name}.`, name),
    status(streamId, StatusCode.PlayStart, `Started playing ${name}.`, name),
    dataMessage(streamId, [CommandName.SampleAccess, true, true]),
  ];
}

export function playPublisherLeft(streamId: number, name: string): RtmpMessage[] {
  return [streamEofMessage(streamId), status(streamId, StatusCode.PlayUnpublishNotify, `${name} is now unpublished.`, name)];
}

export function playPublisherBack(streamId: number, name: string): RtmpMessage[] {
  return [streamBeginMessage(streamId), status(streamId, StatusCode.PlayPublishNotify, `${name} is now published.`, name)];
}

export function playStopped(streamId: number, name: string): RtmpMessage {
  return status(streamId, StatusCode.PlayStop, `Stopped playing ${name}.`, name);
}
