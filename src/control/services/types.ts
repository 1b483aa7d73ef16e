// The control-plane service contracts the REST API, the console and the config server call.
// Resources are plain readonly values; every failure is a DomainError (./errors.ts). A contract is
// named `…Contract`; the class that implements it has the plain name (`AppService`, in app-service.ts).
import type {
  AdmissionAnswer,
  AdmissionQuery,
  AppSettings,
  ConfigSnapshot,
  EngineEvent,
  ForwardTarget,
  ListenSettings,
  OutagePolicy,
  PublishPolicy,
  PullSource,
  RecordingSettings,
  SnapshotSettings,
  SourceType,
} from '../../shared/config-protocol.ts';
import type { UserRole } from '../store/index.ts';

export type PlayPolicy = AppSettings['playPolicy'];
export type { OutagePolicy, PublishPolicy, PullSource, ForwardTarget, ListenSettings, SourceType, UserRole };

/** milliseconds since the epoch; injected so tests control time */
export type NowMs = () => number;

// ---- apps -------------------------------------------------------------------------------

/** An app's recording settings; path null until one is set (recording cannot be on without it). */
export type AppRecording = Readonly<Omit<RecordingSettings, 'path'> & { path: string | null }>;
/** The fields of a create or patch; only those sent change. */
export type AppRecordingInput = Readonly<Partial<AppRecording>>;

/** The fields of a snapshot settings create or patch; only those sent change. */
export type AppSnapshotInput = Readonly<Partial<SnapshotSettings>>;

export type App = Omit<AppSettings, 'recording' | 'snapshot'> &
  Readonly<{ outagePolicy: OutagePolicy; recording: AppRecording; snapshot: SnapshotSettings; createdAtMs: number }>;

export type AppCreateInput = Readonly<{
  name: string;
  sourceType?: SourceType; // default 'push'
  hls?: boolean; // default true
  llHls?: boolean; // default true
  publishPolicy?: PublishPolicy; // default 'open'
  playPolicy?: PlayPolicy; // default 'open'
  hookUrl?: string | null; // required (http/https) when either policy is 'hook'
  /** edge mode: origin URL template ({app}, {stream}); rtmp, rtmps, http or https; null: none */
  originUrl?: string | null;
  /** a UDP port where the engine listens for this app's SRT callers only (1-65535, unique, not the main SRT port); null: none */
  srtPort?: number | null;
  /** what the engine decides alone while it cannot ask the control plane; default 'admitted' */
  outagePolicy?: OutagePolicy;
  /** recording (default off); a patch changes only the fields it sends */
  recording?: AppRecordingInput;
  /** JPEG snapshots of the live streams (default off); a patch changes only the fields it sends */
  snapshot?: AppSnapshotInput;
}>;
export type AppUpdateInput = Readonly<Omit<AppCreateInput, 'name'>>;

export interface AppServiceContract {
  list(): readonly App[];
  /** throws not-found */
  get(name: string): App;
  /** throws invalid (name 2-40 of [A-Za-z0-9_-], hook url), conflict (name taken, case-insensitive) */
  create(input: AppCreateInput): App;
  update(name: string, patch: AppUpdateInput): App;
  /** cascades the app's stream keys, pull sources and forward targets */
  delete(name: string): void;
  /** the HMAC key of the app's signed URLs (hex); generated when the app is created */
  signingSecret(name: string): string;
  /** replaces the signing secret: every URL signed before stops working */
  rotateSigningSecret(name: string): string;
}

// ---- stream keys ------------------------------------------------------------------------

export type StreamKey = Readonly<{
  id: string;
  app: string;
  /** null: the key admits any stream name in the app */
  stream: string | null;
  /** first characters of the key, for display ("wsk_AbCd…") */
  prefix: string;
  label: string;
  createdAtMs: number;
  revokedAtMs: number | null;
}>;
export type StreamKeyCreateInput = Readonly<{ app: string; stream?: string | null; label?: string }>;
/** `key` is the plain key: returned by create only, never stored */
export type CreatedStreamKey = Readonly<{ streamKey: StreamKey; key: string }>;

export interface StreamKeyServiceContract {
  list(app?: string): readonly StreamKey[];
  get(id: string): StreamKey;
  create(input: StreamKeyCreateInput): CreatedStreamKey;
  /** idempotent; a revoked key is refused from then on */
  revoke(id: string): StreamKey;
  delete(id: string): void;
  /** constant-time: does `key` admit publishing `app`/`stream`? */
  verify(app: string, stream: string, key: string): boolean;
}

// ---- signed URLs ------------------------------------------------------------------------

export type SignedUrlAction = AdmissionQuery['action'];
export type SignedUrl = Readonly<{
  app: string;
  stream: string;
  action: SignedUrlAction;
  /** unix seconds */
  expires: number;
  /** hex HMAC-SHA256 */
  sign: string;
  /** `expires=..&sign=..`, to append after '?' */
  query: string;
  /** `${app}/${stream}?${query}` */
  path: string;
}>;
export type SignatureCheck = Readonly<{ ok: true; expiresAtMs: number } | { ok: false; reason: string }>;

export interface SignedUrlServiceContract {
  /**
   * HMAC-SHA256 with the app's signing secret over `${app}/${stream}?expires=${unix}` for play,
   * and over `${app}/${stream}?expires=${unix}&action=publish` for publish (so a play URL
   * handed to viewers cannot be used to publish). throws not-found, invalid (expiresInSec).
   */
  build(app: string, stream: string, expiresInSec: number, action?: SignedUrlAction): SignedUrl;
  /** `query` is the raw query string (no '?'); checks `expires` and `sign` in constant time */
  /** rtspDigest: take digest.* parameters in place of sign (only the engine's RTSP server, which checked its nonce, sends them) */
  verify(app: string, stream: string, query: string, action: SignedUrlAction, options?: Readonly<{ rtspDigest?: boolean }>): SignatureCheck;
}

// ---- relays -----------------------------------------------------------------------------

export type PullSourceCreateInput = Readonly<{ app: string; stream: string; url: string; enabled?: boolean }>;
export type PullSourceUpdateInput = Readonly<{ stream?: string; url?: string; enabled?: boolean }>;

export interface PullSourceServiceContract {
  list(app?: string): readonly PullSource[];
  get(id: string): PullSource;
  /** url: rtmp://, rtmps://, http://, https://, rtsp://, rtsps://; conflict when app/stream already has one */
  create(input: PullSourceCreateInput): PullSource;
  update(id: string, patch: PullSourceUpdateInput): PullSource;
  delete(id: string): void;
}

export type ForwardTargetCreateInput = Readonly<{ app: string; stream?: string | null; url: string; enabled?: boolean }>;
export type ForwardTargetUpdateInput = Readonly<{ stream?: string | null; url?: string; enabled?: boolean }>;

export interface ForwardTargetServiceContract {
  list(app?: string): readonly ForwardTarget[];
  get(id: string): ForwardTarget;
  /** url: rtmp:// or rtmps://; stream null = every stream of the app */
  create(input: ForwardTargetCreateInput): ForwardTarget;
  update(id: string, patch: ForwardTargetUpdateInput): ForwardTarget;
  delete(id: string): void;
  /** enabled targets of app that apply to stream */
  urlsFor(app: string, stream: string): readonly string[];
}

// ---- settings ---------------------------------------------------------------------------

export type HlsSettings = ConfigSnapshot['hls'];
export type Settings = Readonly<{ listen: ListenSettings; hls: HlsSettings }>;
export type SettingsUpdateInput = Readonly<{ listen?: Partial<ListenSettings>; hls?: Partial<HlsSettings> }>;

export interface SettingsServiceContract {
  get(): Settings;
  /** validates the merged result (ports 1-65535, distinct; partTargetMs <= targetDurationMs/3) */
  update(patch: SettingsUpdateInput): Settings;
}

// ---- users and auth ---------------------------------------------------------------------

export type User = Readonly<{ id: string; username: string; role: UserRole; language: string; createdAtMs: number }>;
export type UserCreateInput = Readonly<{ username: string; password: string; role?: UserRole; language?: string }>;
export type UserUpdateInput = Readonly<{ role?: UserRole; language?: string }>;
export type AdminBootstrap = Readonly<{
  created: boolean;
  username: string | null;
  /** set only when the admin was created with a generated password: print it once */
  generatedPassword: string | null;
}>;

export interface UserServiceContract {
  /** if no user exists, creates 'admin' (WEIR_ADMIN_PASSWORD or a generated password) */
  bootstrapAdmin(): Promise<AdminBootstrap>;
  list(): readonly User[];
  get(id: string): User;
  findByUsername(username: string): User | null;
  /** username 2-40 of [A-Za-z0-9_.-], password 8-256 chars; conflict when taken */
  create(input: UserCreateInput): Promise<User>;
  /** forbidden: demoting the last admin */
  update(id: string, patch: UserUpdateInput): User;
  /** forbidden: deleting the last admin; deletes the user's sessions and tokens */
  delete(id: string): void;
  /** currentPassword null = an admin resetting someone else's password (caller checks) */
  changePassword(id: string, currentPassword: string | null, newPassword: string): Promise<void>;
  /** null on unknown user or wrong password (takes similar time either way) */
  verifyPassword(username: string, password: string): Promise<User | null>;
}

// (alike in shape to server/http/lookback-http.ts's request type, an unrelated record)
export type Session = Readonly<{
  /** the plain session id: goes in the cookie only; the store keeps its hash */
  id: string;
  userId: string;
  csrfToken: string;
  expiresAtMs: number;
}>;
export type ApiToken = Readonly<{
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}>;
export type CreatedApiToken = Readonly<{ apiToken: ApiToken; token: string }>;
export type AuthContext = Readonly<
  | { via: 'session'; user: User; session: Session }
  | { via: 'token'; user: User; apiToken: ApiToken }
>;

export interface AuthServiceContract {
  /**
   * clientKey: who is trying (e.g. the client IP). unauthorized on a wrong username or
   * password; rate-limited (with retryAfterSec) after too many failures per client key or
   * per username in the window, even with the right password.
   */
  /** clientAddress: the caller's IP address (failed logins are limited per address and per address+username) */
  login(username: string, password: string, clientAddress: string): Promise<Readonly<{ session: Session; user: User }>>;
  /** the session for a cookie value, or null when unknown or expired */
  sessionFromCookie(sessionId: string | null | undefined): Extract<AuthContext, { via: 'session' }> | null;
  logout(sessionId: string): void;
  /** plain token (prefix `weir_`) returned once; stored hashed */
  createToken(userId: string, name: string): CreatedApiToken;
  listTokens(userId?: string): readonly ApiToken[];
  getToken(id: string): ApiToken;
  revokeToken(id: string): ApiToken;
  /** from an `Authorization: Bearer` value; records lastUsedAtMs; null when unknown or revoked */
  verifyToken(token: string | null | undefined): Extract<AuthContext, { via: 'token' }> | null;
}

// ---- engine-facing ----------------------------------------------------------------------

export interface AdmissionServiceContract {
  decide(query: AdmissionQuery): Promise<AdmissionAnswer>;
}

export interface ConfigSnapshotServiceContract {
  snapshot(): ConfigSnapshot;
  revision(): number;
  /** called after every configuration change, with the new revision; returns unsubscribe */
  subscribe(listener: (revision: number) => void): () => void;
}

export type RecordedEvent = EngineEvent & Readonly<{ seq: number; receivedAtMs: number }>;

export interface EventsServiceContract {
  record(events: readonly EngineEvent[]): void;
  /** newest last; at most `limit` (default all kept) */
  recent(limit?: number): readonly RecordedEvent[];
  subscribe(listener: (event: RecordedEvent) => void): () => void;
}

// ---- composition ------------------------------------------------------------------------

export type ServicesOptions = Readonly<{
  nowMs?: NowMs;
  /** WEIR_ADMIN_PASSWORD is read from here (default process.env) */
  env?: Readonly<Record<string, string | undefined>>;
  /** used for admission hooks (default globalThis.fetch) */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  hookTimeoutMs?: number; // default 2000
  sessionTtlMs?: number; // default 24 h
  /** failed logins per (client address, username) before the backoff starts (default 5) */
  loginMaxFailures?: number;
  /** failed logins per client address, whatever the usernames, before the backoff starts (default 20) */
  loginMaxFailuresPerAddress?: number;
  /** the first wait after those; each further failure doubles it (default 30 000) */
  loginBaseDelayMs?: number;
  loginMaxDelayMs?: number; // default 900 000 (15 min)
  /** failures are forgotten after this long without one (default 3 600 000) */
  loginForgetAfterMs?: number;
  eventsCapacity?: number; // default 1000
  allowCacheTtlMs?: number; // default 5000
  denyCacheTtlMs?: number; // default 1000
  /** cost of Bun.password argon2id hashes (memoryCost in KiB); tests lower it (default Bun's) */
  passwordHashCost?: Readonly<{ timeCost: number; memoryCost: number }>;
}>;

export type BootstrapResult = Readonly<{ admin: AdminBootstrap; createdDefaultApp: boolean }>;

export interface Services {
  readonly apps: AppServiceContract;
  readonly streamKeys: StreamKeyServiceContract;
  readonly signedUrls: SignedUrlServiceContract;
  readonly pulls: PullSourceServiceContract;
  readonly forwards: ForwardTargetServiceContract;
  readonly settings: SettingsServiceContract;
  readonly users: UserServiceContract;
  readonly auth: AuthServiceContract;
  readonly admission: AdmissionServiceContract;
  readonly config: ConfigSnapshotServiceContract;
  readonly events: EventsServiceContract;
  /** first start: default settings, app `live` (once ever), admin user (when there is none) */
  bootstrap(): Promise<BootstrapResult>;
}

/** What the settings and the services that change configuration tell: a new revision for the engine. */
export type ConfigChangeNotifier = Readonly<{ changed(): void }>;

/** What the config snapshot needs of the settings. */
export type SettingsReader = Readonly<{ get(): Settings }>;
