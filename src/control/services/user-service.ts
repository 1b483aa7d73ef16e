// Users: the first-start admin, password rules, roles (never zero admins), password changes.
import { USER_ROLES, type Store, type UserRecord } from '../store/index.ts';
import { conflict, DomainError, invalid, notFound } from './errors.ts';
import { randomToken } from './secrets.ts';
import type {
  AdminBootstrap,
  NowMs,
  User,
  UserCreateInput,
  UserServiceContract,
  UserUpdateInput,
} from './types.ts';
import { checkOneOf, USERNAME_PATTERN } from './validation.ts';

export const ADMIN_PASSWORD_ENV = 'WEIR_ADMIN_PASSWORD';
export const BOOTSTRAP_ADMIN_USERNAME = 'admin';
export { USER_ROLES };
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 256;
const LANGUAGE_PATTERN = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;

export type PasswordHashCost = Readonly<{ timeCost: number; memoryCost: number }>;

export function toUser(r: UserRecord): User {
  return { id: r.id, username: r.username, role: r.role, language: r.language, createdAtMs: r.createdAtMs };
}

export class UserService implements UserServiceContract {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly store: Store,
    private readonly nowMs: NowMs,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly cost: PasswordHashCost | null,
  ) {}

  async bootstrapAdmin(): Promise<AdminBootstrap> {
    if (this.store.users.count() > 0) return { created: false, username: null, generatedPassword: null };
    const fromEnv = this.env[ADMIN_PASSWORD_ENV];
    const password = fromEnv !== undefined && fromEnv !== '' ? fromEnv : randomToken(18);
    checkPassword(password, ADMIN_PASSWORD_ENV);
    const record: UserRecord = {
      id: crypto.randomUUID(),
      username: BOOTSTRAP_ADMIN_USERNAME,
      passwordHash: await this.hash(password),
      role: 'admin',
      language: 'en',
      createdAtMs: this.nowMs(),
    };
    // insertIfNone: two concurrent first starts cannot both create an admin
    if (!this.store.users.insertIfNone(record)) return { created: false, username: null, generatedPassword: null };
    return { created: true, username: record.username, generatedPassword: fromEnv ? null : password };
  }

  list(): readonly User[] {
    return this.store.users.list().map(toUser);
  }

  get(id: string): User {
    return toUser(this.record(id));
  }

  findByUsername(username: string): User | null {
    const r = this.store.users.findByUsername(username);
    return r ? toUser(r) : null;
  }

  async create(input: UserCreateInput): Promise<User> {
    const username = checkUsername(input.username);
    checkPassword(input.password, 'password');
    const role = input.role === undefined ? 'viewer' : checkOneOf(input.role, USER_ROLES, 'role');
    const language = input.language === undefined ? 'en' : checkLanguage(input.language);
    if (this.store.users.findByUsername(username)) throw conflict(`username '${username}' is taken`);
    const record: UserRecord = {
      id: crypto.randomUUID(),
      username,
      passwordHash: await this.hash(input.password),
      role,
      language,
      createdAtMs: this.nowMs(),
    };
    // checked again after the await: another request may have taken the name meanwhile
    this.store.transaction(() => {
      if (this.store.users.findByUsername(username)) throw conflict(`username '${username}' is taken`);
      this.store.users.insert(record);
    });
    return toUser(record);
  }

  update(id: string, patch: UserUpdateInput): User {
    const current = this.record(id);
    const next: UserRecord = {
      ...current,
      role: patch.role === undefined ? current.role : checkOneOf(patch.role, USER_ROLES, 'role'),
      language: patch.language === undefined ? current.language : checkLanguage(patch.language),
    };
    this.store.transaction(() => {
      if (current.role === 'admin' && next.role !== 'admin' && this.store.users.countAdmins() <= 1) {
        throw new DomainError('forbidden', 'the last admin cannot be demoted');
      }
      this.store.users.update(next);
    });
    return toUser(next);
  }

  delete(id: string): void {
    this.store.transaction(() => {
      const current = this.record(id);
      if (current.role === 'admin' && this.store.users.countAdmins() <= 1) {
        throw new DomainError('forbidden', 'the last admin cannot be deleted');
      }
      this.store.users.delete(id);
    });
  }

  async changePassword(id: string, currentPassword: string | null, newPassword: string): Promise<void> {
    const user = this.record(id);
    if (currentPassword !== null && !(await Bun.password.verify(currentPassword, user.passwordHash))) {
      throw new DomainError('unauthorized', 'the current password is wrong');
    }
    checkPassword(newPassword, 'newPassword');
    const hash = await this.hash(newPassword);
    this.store.transaction(() => {
      this.store.users.setPasswordHash(id, hash);
      // every session of the user ends: whoever knew the old password is logged out
      this.store.sessions.deleteForUser(id);
    });
  }

  async verifyPassword(username: string, password: string): Promise<User | null> {
    const record = typeof username === 'string' ? this.store.users.findByUsername(username) : null;
    if (!record || typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) {
      // spend the same work as a real check so unknown names are not revealed by timing
      await Bun.password.verify('not the password', await this.dummy()).catch(() => false);
      return null;
    }
    return (await Bun.password.verify(password, record.passwordHash)) ? toUser(record) : null;
  }

  private hash(password: string): Promise<string> {
    return this.cost
      ? Bun.password.hash(password, { algorithm: 'argon2id', ...this.cost })
      : Bun.password.hash(password, { algorithm: 'argon2id' });
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hash(randomToken(16));
    return this.dummyHash;
  }

  private record(id: string): UserRecord {
    const r = this.store.users.get(id);
    if (!r) throw notFound(`user '${id}'`);
    return r;
  }
}

function checkUsername(username: unknown): string {
  if (typeof username !== 'string' || !USERNAME_PATTERN.test(username)) {
    throw invalid('username', 'username must be 2 to 40 characters of A-Z, a-z, 0-9, _, . and -');
  }
  return username;
}

function checkPassword(password: unknown, field: string): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw invalid(field, `password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}

function checkLanguage(language: unknown): string {
  if (typeof language !== 'string' || !LANGUAGE_PATTERN.test(language)) {
    throw invalid('language', "language must be a language tag such as 'en' or 'pt-BR'");
  }
  return language;
}
