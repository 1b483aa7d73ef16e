// AMF0 value encoding and decoding for RTMP command and data messages (Adobe AMF0 spec §2; RTMP 1.0 §7.1.1, §7.1.2).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type Amf0Object = { [key: string]: Amf0Value };
export type Amf0Value = number | boolean | string | null | undefined | Date | Amf0Value[] | Amf0Object;

export const Amf0Marker = {
  Number: 0x00,
  Boolean: 0x01,
  String: 0x02,
  Object: 0x03,
  MovieClip: 0x04,
  Null: 0x05,
  Undefined: 0x06,
  Reference: 0x07,
  EcmaArray: 0x08,
  ObjectEnd: 0x09,
  StrictArray: 0x0a,
  Date: 0x0b,
  LongString: 0x0c,
  Unsupported: 0x0d,
  RecordSet: 0x0e,
  XmlDocument: 0x0f,
  TypedObject: 0x10,
  AvmPlusObject: 0x11,
} as const;
export type Amf0Marker = (typeof Amf0Marker)[keyof typeof Amf0Marker];

const DEFAULT_MAX_DEPTH = 32;
const MAX_ENCODE_DEPTH = 64;
const MAX_SHORT_STRING_BYTES = 0xffff;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------- encoding

class Amf0Writer {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + n) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }
  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
  }
  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value >>> 0);
    this.length += 4;
  }
  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value);
    this.length += 8;
  }
  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

function writeKey(w: Amf0Writer, key: string): void {
  const utf8 = utf8Encoder.encode(key);
  if (utf8.length > MAX_SHORT_STRING_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.TooLarge, 'AMF0 property name longer than 65535 bytes');
  }
  w.u16(utf8.length);
  w.raw(utf8);
}

function writeProperties(w: Amf0Writer, object: Amf0Object, depth: number): void {
  for (const key of Object.keys(object)) {
    writeKey(w, key);
    writeValue(w, object[key], depth + 1);
  }
  w.u16(0);
  w.u8(Amf0Marker.ObjectEnd);
}

function writeValue(w: Amf0Writer, value: Amf0Value, depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) throw new ProtocolError(ProtocolErrorCode.TooDeep, 'AMF0 value nested too deep to encode');
  if (typeof value === 'number') {
    w.u8(Amf0Marker.Number);
    w.f64(value);
  } else if (typeof value === 'boolean') {
    w.u8(Amf0Marker.Boolean);
    w.u8(value ? 1 : 0);
  } else if (typeof value === 'string') {
    const utf8 = utf8Encoder.encode(value);
    if (utf8.length > MAX_SHORT_STRING_BYTES) {
      w.u8(Amf0Marker.LongString);
      w.u32(utf8.length);
    } else {
      w.u8(Amf0Marker.String);
      w.u16(utf8.length);
    }
    w.raw(utf8);
  } else if (value === null) {
    w.u8(Amf0Marker.Null);
  } else if (value === undefined) {
    w.u8(Amf0Marker.Undefined);
  } else if (value instanceof Date) {
    w.u8(Amf0Marker.Date);
    w.f64(value.getTime());
    w.u16(0);
  } else if (Array.isArray(value)) {
    w.u8(Amf0Marker.StrictArray);
    w.u32(value.length);
    for (const item of value) writeValue(w, item, depth + 1);
  } else {
    w.u8(Amf0Marker.Object);
    writeProperties(w, value, depth);
  }
}

/** Encodes values back to back, as in a command or data message body. */
export function encodeAmf0(values: readonly Amf0Value[]): Uint8Array {
  const w = new Amf0Writer();
  for (const value of values) writeValue(w, value, 0);
  return w.finish();
}

/** Encodes an ECMA array (marker 0x08), as onMetaData bodies use. */
export function encodeAmf0EcmaArray(object: Amf0Object): Uint8Array {
  const w = new Amf0Writer();
  w.u8(Amf0Marker.EcmaArray);
  w.u32(Object.keys(object).length);
  writeProperties(w, object, 0);
  return w.finish();
}

// ---------------------------------------------------------------- decoding

class Amf0Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly maxDepth: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.bytes.length - this.pos < n) {
      throw new ProtocolError(ProtocolErrorCode.Truncated, `AMF0 ${what} truncated at byte ${this.pos}`);
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const value = this.view.getUint16(this.pos);
    this.pos += 2;
    return value;
  }
  u32(what: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.pos);
    this.pos += 4;
    return value;
  }
  f64(what: string): number {
    this.need(8, what);
    const value = this.view.getFloat64(this.pos);
    this.pos += 8;
    return value;
  }
  utf8(length: number, what: string): string {
    this.need(length, what);
    const text = utf8Decoder.decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return text;
  }
}

function setProperty(object: Amf0Object, key: string, value: Amf0Value): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

/** Reads name/value pairs up to the empty-name + object-end terminator. */
function readProperties(r: Amf0Reader, depth: number): Amf0Object {
  const object: Amf0Object = {};
  for (;;) {
    const keyLength = r.u16('property name length');
    if (keyLength === 0) {
      r.need(1, 'object end');
      if (r.bytes[r.pos] === Amf0Marker.ObjectEnd) {
        r.pos++;
        return object;
      }
    }
    const key = r.utf8(keyLength, 'property name');
    setProperty(object, key, readValue(r, depth + 1));
  }
}

function readValue(r: Amf0Reader, depth: number): Amf0Value {
  if (depth > r.maxDepth) {
    throw new ProtocolError(ProtocolErrorCode.TooDeep, `AMF0 nesting deeper than ${r.maxDepth}`);
  }
  const marker = r.u8('marker');
  switch (marker) {
    case Amf0Marker.Number:
      return r.f64('number');
    case Amf0Marker.Boolean:
      return r.u8('boolean') !== 0;
    case Amf0Marker.String:
      return r.utf8(r.u16('string length'), 'string');
    case Amf0Marker.LongString:
    case Amf0Marker.XmlDocument:
      return r.utf8(r.u32('long string length'), 'long string');
    case Amf0Marker.Object:
      return readProperties(r, depth);
    case Amf0Marker.TypedObject:
      r.utf8(r.u16('class name length'), 'class name');
      return readProperties(r, depth);
    case Amf0Marker.EcmaArray:
      r.u32('ECMA array count'); // advisory only; encoders get it wrong, the terminator is authoritative
      return readProperties(r, depth);
    case Amf0Marker.StrictArray: {
      const count = r.u32('strict array count');
      // every element takes at least one byte: refuse counts the input cannot hold before looping
      r.need(count, 'strict array');
      const items: Amf0Value[] = [];
      for (let i = 0; i < count; i++) items.push(readValue(r, depth + 1));
      return items;
    }
    case Amf0Marker.Date: {
      const ms = r.f64('date');
      r.u16('date time zone');
      return new Date(ms);
    }
    case Amf0Marker.Null:
      return null;
    case Amf0Marker.Undefined:
    case Amf0Marker.Unsupported:
      return undefined;
    case Amf0Marker.ObjectEnd:
      throw new ProtocolError(ProtocolErrorCode.Malformed, `AMF0 object end outside an object at byte ${r.pos - 1}`);
    case Amf0Marker.Reference:
    case Amf0Marker.MovieClip:
    case Amf0Marker.RecordSet:
    case Amf0Marker.AvmPlusObject:
      throw new ProtocolError(ProtocolErrorCode.Unsupported, `AMF0 marker 0x${marker.toString(16)} not supported`);
    default:
      throw new ProtocolError(ProtocolErrorCode.Malformed, `unknown AMF0 marker 0x${marker.toString(16)}`);
  }
}

/** Decodes every value in `bytes` (a command or data message body). */
export function decodeAmf0(bytes: Uint8Array, options?: { maxDepth?: number }): Amf0Value[] {
  const r = new Amf0Reader(bytes, options?.maxDepth ?? DEFAULT_MAX_DEPTH);
  const values: Amf0Value[] = [];
  while (r.pos < bytes.length) values.push(readValue(r, 0));
  return values;
}

/**
 * Decodes one value starting at `offset`; returns it and the offset just past it.
 * Lets callers look at the first value (a command or data name) without decoding the rest.
 */
export function decodeAmf0Value(
  bytes: Uint8Array,
  offset: number,
  options?: { maxDepth?: number },
): { value: Amf0Value; end: number } {
  const r = new Amf0Reader(bytes, options?.maxDepth ?? DEFAULT_MAX_DEPTH);
  r.pos = offset;
  const value = readValue(r, 0);
  return { value, end: r.pos };
}
