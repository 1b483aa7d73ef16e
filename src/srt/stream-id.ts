// Stream ID routing (draft-sharabayko-srt-01 §3.2.1.3 SID extension; SRT Access Control
// guidelines for the "#!::key=value,..." form): r=resource, m=mode, u=user, plus any keys.
// Also the plain "{app}/{stream}[?query]" form and MediaMTX's "publish:"/"read:" prefixes.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type StreamIdMode = 'publish' | 'request';

export type ParsedStreamId = {
  app: string;
  stream: string;
  mode: StreamIdMode;
  /** False when the stream id did not say (plain form): the server picks a policy. */
  modeExplicit: boolean;
  /** Admission parameters as a URL query string (keys, signed-URL parameters, u=...). */
  query: string;
  user?: string;
};

const MAX_STREAM_ID_LENGTH = 512;
const ACCESS_CONTROL_PREFIX = '#!::';

/**
 * `impliedApp`: the caller reached a listener that serves one app (an app's own SRT port), so a resource
 * without a slash is a stream of that app; a resource with one still names its app (the caller decides).
 */
export function parseStreamId(raw: string, impliedApp?: string): ParsedStreamId {
  if (raw.length > MAX_STREAM_ID_LENGTH) throw new ProtocolError(ProtocolErrorCode.TooLarge, `srt: stream id of ${raw.length} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: stream id has control characters');
  if (raw.startsWith(ACCESS_CONTROL_PREFIX)) return parseAccessControl(raw.slice(ACCESS_CONTROL_PREFIX.length), impliedApp);
  let mode: StreamIdMode = 'request';
  let modeExplicit = false;
  let rest = raw;
  const prefixed = /^(publish|read|request):/.exec(raw);
  if (prefixed) {
    mode = prefixed[1] === 'publish' ? 'publish' : 'request';
    modeExplicit = true;
    rest = raw.slice(prefixed[0].length);
  }
  const { app, stream, query } = splitResource(rest, impliedApp);
  return { app, stream, mode, modeExplicit, query };
}

function parseAccessControl(body: string, impliedApp: string | undefined): ParsedStreamId {
  const params = new URLSearchParams();
  let resource: string | undefined;
  let mode: StreamIdMode = 'request';
  let modeExplicit = false;
  let user: string | undefined;
  for (const item of body.split(',')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: stream id item "${item}" is not key=value`);
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (key === 'r') resource = value;
    else if (key === 'm') {
      if (value === 'publish') mode = 'publish';
      else if (value === 'request') mode = 'request';
      else throw new ProtocolError(ProtocolErrorCode.Unsupported, `srt: stream id mode "${value}" (publish or request)`);
      modeExplicit = true;
    } else {
      if (key === 'u') user = value;
      params.append(key, value);
    }
  }
  if (resource === undefined) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: stream id has no r= resource');
  const { app, stream, query } = splitResource(resource, impliedApp);
  for (const [k, v] of new URLSearchParams(query)) params.append(k, v);
  const out: ParsedStreamId = { app, stream, mode, modeExplicit, query: params.toString() };
  if (user !== undefined) out.user = user;
  return out;
}

function splitResource(resource: string, impliedApp: string | undefined): { app: string; stream: string; query: string } {
  const q = resource.indexOf('?');
  const path = q >= 0 ? resource.slice(0, q) : resource;
  const query = q >= 0 ? resource.slice(q + 1) : '';
  const slash = path.indexOf('/');
  if (slash < 0 && impliedApp !== undefined && path !== '') return { app: impliedApp, stream: path, query };
  const app = slash > 0 ? path.slice(0, slash) : '';
  const stream = slash > 0 ? path.slice(slash + 1) : '';
  if (app === '' || stream === '') throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: stream id resource "${path}" is not app/stream`);
  return { app, stream, query };
}

/** The OBS-ready stream id a console shows for a stream. */
export function formatStreamId(app: string, stream: string, mode: StreamIdMode, query = ''): string {
  return `#!::r=${app}/${stream},m=${mode}${query ? `,${query.replaceAll('&', ',')}` : ''}`;
}
