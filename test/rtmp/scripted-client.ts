// A scripted RTMP client for session tests: ClientHandshake + encodeChunks + encodeAmf0 out, ChunkReader + decodeAmf0 in.
import { decodeAmf0, encodeAmf0, type Amf0Value } from '../../src/rtmp/amf0.ts';
import { ChunkReader } from '../../src/rtmp/chunk-reader.ts';
import { encodeChunks } from '../../src/rtmp/chunk-writer.ts';
import { ClientHandshake } from '../../src/rtmp/handshake.ts';
import { ChunkStreamId, RtmpMessageType, setChunkSizeMessage, type RtmpMessage } from '../../src/rtmp/message-types.ts';
import { ServerSession, type ServerSessionEvent } from '../../src/rtmp/server-session.ts';
import { concat, seededBytes } from './helpers.ts';

export class ScriptedClient {
  readonly session: ServerSession;
  readonly reader = new ChunkReader();
  readonly events: ServerSessionEvent[] = [];
  private chunkSize = 128;

  constructor(options?: Partial<ConstructorParameters<typeof ServerSession>[0]>) {
    this.session = new ServerSession({ randomBytes: seededBytes(11), epochMs: 5000, ...options });
  }

  /** Completes the handshake (digest by default); returns bytes the server sent after S0S1S2 (none). */
  handshake(digest = true): void {
    const client = new ClientHandshake({ randomBytes: seededBytes(12), epochMs: 0, digest });
    this.session.push(client.start());
    const s012 = concat(...this.session.takeOutgoing());
    const { output, done } = client.push(s012);
    if (!done) throw new Error('handshake did not finish');
    this.pushBytes(concat(...output));
  }

  pushBytes(bytes: Uint8Array): ServerSessionEvent[] {
    const events = this.session.push(bytes);
    this.events.push(...events);
    return events;
  }

  send(...messages: RtmpMessage[]): ServerSessionEvent[] {
    const bytes: Uint8Array[] = [];
    for (const m of messages) {
      bytes.push(encodeChunks(m, this.chunkSize));
      if (m.typeId === RtmpMessageType.SetChunkSize) {
        this.chunkSize = new DataView(m.payload.buffer, m.payload.byteOffset).getUint32(0);
      }
    }
    return this.pushBytes(concat(...bytes));
  }

  setChunkSize(size: number): ServerSessionEvent[] {
    return this.send(setChunkSizeMessage(size));
  }

  command(messageStreamId: number, ...values: Amf0Value[]): ServerSessionEvent[] {
    return this.send(command(messageStreamId, values));
  }

  /** Everything the server wrote since the last call, parsed. */
  received(): RtmpMessage[] {
    return this.reader.push(concat(...this.session.takeOutgoing()));
  }
}

export function command(messageStreamId: number, values: Amf0Value[]): RtmpMessage {
  return { chunkStreamId: ChunkStreamId.Command, typeId: RtmpMessageType.CommandAmf0, timestamp: 0, messageStreamId, payload: encodeAmf0(values) };
}

export function media(typeId: number, messageStreamId: number, timestamp: number, payload: Uint8Array): RtmpMessage {
  const chunkStreamId = typeId === 8 ? ChunkStreamId.Audio : typeId === 9 ? ChunkStreamId.Video : ChunkStreamId.Data;
  return { chunkStreamId, typeId, timestamp, messageStreamId, payload };
}

/** A readable summary of a server message: commands decoded, control messages as type + payload hex. */
export function describe(m: RtmpMessage): { csid: number; type: number; msid: number; body: unknown } {
  const decoded =
    m.typeId === RtmpMessageType.CommandAmf0 || m.typeId === RtmpMessageType.DataAmf0
      ? decodeAmf0(m.payload)
      : Buffer.from(m.payload).toString('hex');
  return { csid: m.chunkStreamId, type: m.typeId, msid: m.messageStreamId, body: decoded };
}

/** The info object of an AMF0 command such as onStatus (its fourth value), for assertions. */
export function commandInfo(m: RtmpMessage): { level?: unknown; code?: unknown; description?: unknown } {
  const values = decodeAmf0(m.payload);
  const info = values[3];
  if (typeof info !== 'object' || info === null || Array.isArray(info) || info instanceof Date) {
    throw new Error(`message type ${m.typeId} carries no info object`);
  }
  return info;
}
