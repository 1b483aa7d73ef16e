// The seam where the engine asks whether a publish or play may happen. Without a config
// server the engine admits by its own app list (known app allowed, unknown refused); with one,
// RemoteAdmission (remote-admission.ts) asks it.
import { ADMISSION_QUERY_MAX_CHARS, type AdmissionCredentials } from '../shared/config-protocol.ts';
import type { EngineConfig } from '../shared/engine-config.ts';

export type MediaProtocol = 'rtmp' | 'rtsp' | 'http-flv' | 'ws-flv' | 'hls' | 'll-hls' | 'srt' | 'webrtc';

export type AdmissionRequest = Readonly<{
  action: 'publish' | 'play';
  protocol: MediaProtocol;
  app: string;
  stream: string;
  query: string;
  clientAddress: string;
  /** the connection id the engine API lists the client under (absent for HLS requests) */
  clientId?: string;
}>;

export type AdmissionDecision =
  | Readonly<{ allow: true; forwardTargets?: readonly string[] }>
  | Readonly<{ allow: false; reason: string; /** a valid key or signature would be admitted (AdmissionAnswer.credentials) */ credentials?: AdmissionCredentials }>;

export interface Admission {
  decide(request: AdmissionRequest): Promise<AdmissionDecision>;
}

/** Valid stream and app names: what a URL path segment can carry without surprises. */
const NAME_PATTERN = /^[A-Za-z0-9_\-.]{1,128}$/;

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && name !== '.' && name !== '..';
}

// C0 controls and DEL: no key, token or expiry needs them, and JSON would escape each to six bytes
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Why a request is refused before anyone is asked, or null when it may be asked about: a client's
 * malformed input is that client's refusal, never a question the config server must answer 4xx.
 */
export function refuseMalformed(request: Pick<AdmissionRequest, 'stream' | 'query'>): string | null {
  if (!isValidName(request.stream)) return 'invalid stream name';
  if (request.query.length > ADMISSION_QUERY_MAX_CHARS) return `query string longer than ${ADMISSION_QUERY_MAX_CHARS} characters`;
  if (CONTROL_CHARACTERS.test(request.query)) return 'query string has control characters';
  // a lone surrogate cannot be UTF-8: JSON would escape it to six bytes as well
  if (!request.query.isWellFormed()) return 'query string is not valid text';
  return null;
}

export class AppListAdmission implements Admission {
  constructor(private readonly getConfig: () => EngineConfig) {}

  async decide(request: AdmissionRequest): Promise<AdmissionDecision> {
    const malformed = refuseMalformed(request);
    if (malformed !== null) return { allow: false, reason: malformed };
    const known = this.getConfig().apps.some((app) => app.name === request.app);
    return known ? { allow: true } : { allow: false, reason: `unknown app '${request.app}'` };
  }
}
