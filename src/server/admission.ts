// The seam where the engine asks whether a publish or play may happen. Without a config
// server the engine admits by its own app list (known app allowed, unknown refused); with one,
// RemoteAdmission (remote-admission.ts) asks it.
import type { EngineConfig } from '../shared/engine-config.ts';

export type MediaProtocol = 'rtmp' | 'http-flv' | 'ws-flv' | 'hls' | 'll-hls';

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
  | Readonly<{ allow: false; reason: string }>;

export interface Admission {
  decide(request: AdmissionRequest): Promise<AdmissionDecision>;
}

/** Valid stream and app names: what a URL path segment can carry without surprises. */
const NAME_PATTERN = /^[A-Za-z0-9_\-.]{1,128}$/;

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && name !== '.' && name !== '..';
}

export class AppListAdmission implements Admission {
  constructor(private readonly getConfig: () => EngineConfig) {}

  async decide(request: AdmissionRequest): Promise<AdmissionDecision> {
    if (!isValidName(request.stream)) return { allow: false, reason: 'invalid stream name' };
    const known = this.getConfig().apps.some((app) => app.name === request.app);
    return known ? { allow: true } : { allow: false, reason: `unknown app '${request.app}'` };
  }
}
