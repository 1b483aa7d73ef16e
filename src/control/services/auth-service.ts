// Logins (rate-limited per client address and per address+username, with backoff), console
// sessions with CSRF tokens, and API tokens (`weir_…`, shown once, stored hashed, compared in
// constant time, revocable).
import type { ApiTokenRecord, SessionRecord, Store } from '../store/index.ts';
import { DomainError, invalid, notFound } from './errors.ts';
import { addressBucket, type LoginRateLimiter } from './login-rate-limiter.ts';
import { matchHashed, mintSecret, randomToken, sha256Hex } from './secrets.ts';
import type {
  ApiToken,
  AuthContext,
  AuthServiceContract,
  CreatedApiToken,
  NowMs,
  Session,
  User,
} from './types.ts';
import { toUser, type UserService } from './user-service.ts';
import { checkLabel } from './validation.ts';

export const API_TOKEN_PREFIX = 'weir_';
/** characters after `weir_` stored and shown to tell tokens apart */
const TOKEN_DISPLAY_CHARS = 8;
const MAX_SECRET_LENGTH = 256;

type SessionContext = Extract<AuthContext, { via: 'session' }>;
type TokenContext = Extract<AuthContext, { via: 'token' }>;

// Alike in shape to stream-key-service.ts's toStreamKey and its constructor: each drops its own record's hash field.
function toApiToken(r: ApiTokenRecord): ApiToken {
  const { tokenHash: _hash, ...token } = r;
  return token;
}

export class AuthService implements AuthServiceContract {
  constructor(
    private readonly store: Store,
    private readonly users: UserService,
    private readonly limiters: Readonly<{ perPair: LoginRateLimiter; perAddress: LoginRateLimiter }>,
    private readonly nowMs: NowMs,
    private readonly sessionTtlMs: number,
  ) {}

  /**
   * Failures count per (address, username) and per address, never per username alone: a
   * correct password from an address without failures gets in while others hammer `admin`.
   */
  async login(username: string, password: string, clientAddress: string): Promise<{ session: Session; user: User }> {
    const { perPair, perAddress } = this.limiters;
    const addressKey = addressBucket(clientAddress);
    const pairKey = `${clientAddress}\n${String(username).toLowerCase()}`;
    const wait = Math.max(perPair.retryAfterSec(pairKey), perAddress.retryAfterSec(addressKey));
    if (wait > 0) {
      throw new DomainError('rate-limited', `too many failed logins; try again in ${wait} s`, { retryAfterSec: wait });
    }
    const user = await this.users.verifyPassword(username, password);
    if (!user) {
      perPair.fail(pairKey);
      perAddress.fail(addressKey);
      throw new DomainError('unauthorized', 'wrong username or password');
    }
    // the address counter is left to decay: one good account must not reset guessing at others
    perPair.reset(pairKey);
    const now = this.nowMs();
    this.store.sessions.deleteExpired(now);
    const id = randomToken(32);
    const record: SessionRecord = {
      idHash: sha256Hex(id),
      userId: user.id,
      csrfToken: randomToken(24),
      createdAtMs: now,
      expiresAtMs: now + this.sessionTtlMs,
    };
    this.store.sessions.insert(record);
    return { session: { id, userId: user.id, csrfToken: record.csrfToken, expiresAtMs: record.expiresAtMs }, user };
  }

  sessionFromCookie(sessionId: string | null | undefined): SessionContext | null {
    if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > MAX_SECRET_LENGTH) return null;
    const idHash = sha256Hex(sessionId);
    const record = this.store.sessions.get(idHash);
    if (!record) return null;
    if (record.expiresAtMs <= this.nowMs()) {
      this.store.sessions.delete(idHash);
      return null;
    }
    const user = this.store.users.get(record.userId);
    if (!user) return null;
    return {
      via: 'session',
      user: toUser(user),
      session: { id: sessionId, userId: record.userId, csrfToken: record.csrfToken, expiresAtMs: record.expiresAtMs },
    };
  }

  logout(sessionId: string): void {
    if (typeof sessionId === 'string' && sessionId.length > 0) this.store.sessions.delete(sha256Hex(sessionId));
  }

  createToken(userId: string, name: string): CreatedApiToken {
    const label = checkLabel(name, 'name').trim();
    if (label.length === 0) throw invalid('name', 'name must not be empty');
    if (!this.store.users.get(userId)) throw notFound(`user '${userId}'`);
    const token = mintSecret(API_TOKEN_PREFIX, TOKEN_DISPLAY_CHARS);
    const record: ApiTokenRecord = {
      id: crypto.randomUUID(),
      userId,
      name: label,
      tokenHash: token.hash,
      prefix: token.displayPrefix,
      createdAtMs: this.nowMs(),
      lastUsedAtMs: null,
      revokedAtMs: null,
    };
    this.store.apiTokens.insert(record);
    return { apiToken: toApiToken(record), token: token.secret };
  }

  listTokens(userId?: string): readonly ApiToken[] {
    return this.store.apiTokens.list(userId).map(toApiToken);
  }

  getToken(id: string): ApiToken {
    const r = this.store.apiTokens.get(id);
    if (!r) throw notFound(`API token '${id}'`);
    return toApiToken(r);
  }

  revokeToken(id: string): ApiToken {
    this.getToken(id);
    this.store.apiTokens.revoke(id, this.nowMs());
    return this.getToken(id);
  }

  verifyToken(token: string | null | undefined): TokenContext | null {
    if (typeof token !== 'string' || !token.startsWith(API_TOKEN_PREFIX) || token.length > MAX_SECRET_LENGTH) {
      return null;
    }
    const candidates = this.store.apiTokens.activeByPrefix(token.slice(0, API_TOKEN_PREFIX.length + TOKEN_DISPLAY_CHARS));
    const found = matchHashed(token, candidates, (c) => c.tokenHash);
    if (!found) return null;
    const user = this.store.users.get(found.userId);
    if (!user) return null;
    const now = this.nowMs();
    this.store.apiTokens.touch(found.id, now);
    return { via: 'token', user: toUser(user), apiToken: toApiToken({ ...found, lastUsedAtMs: now }) };
  }
}
