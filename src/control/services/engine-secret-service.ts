// The shared secret between engine and control plane: WEIR_ENGINE_SECRET, else the data dir
// file `engine-secret` (created at first start, mode 0600), compared in constant time.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_SECRET_FILE } from '../../shared/config-protocol.ts';
import { constantTimeEqual, randomHex } from './secrets.ts';

export const ENGINE_SECRET_ENV = 'WEIR_ENGINE_SECRET';
const MIN_SECRET_LENGTH = 16;

export type EngineSecretOptions = Readonly<{
  /** where `engine-secret` lives; null = env only (tests) */
  dataDir: string | null;
  env?: Readonly<Record<string, string | undefined>>;
}>;

export type EngineSecretSource = 'env' | 'file' | 'created';

export class EngineSecretService {
  private constructor(
    readonly secret: string,
    readonly source: EngineSecretSource,
  ) {}

  /** reads (or creates) the secret; throws when it is too short or no source is possible */
  static load(options: EngineSecretOptions): EngineSecretService {
    const env = options.env ?? process.env;
    const fromEnv = env[ENGINE_SECRET_ENV]?.trim();
    if (fromEnv) return new EngineSecretService(checkSecret(fromEnv, ENGINE_SECRET_ENV), 'env');
    if (options.dataDir === null) throw new Error(`${ENGINE_SECRET_ENV} is not set and there is no data directory`);
    const path = join(options.dataDir, ENGINE_SECRET_FILE);
    try {
      return new EngineSecretService(checkSecret(readFileSync(path, 'utf8').trim(), path), 'file');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const secret = randomHex(32);
    try {
      // 'wx': if another process created it first, read theirs instead
      writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
      return new EngineSecretService(secret, 'created');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return new EngineSecretService(checkSecret(readFileSync(path, 'utf8').trim(), path), 'file');
    }
  }

  static fromValue(secret: string): EngineSecretService {
    return new EngineSecretService(checkSecret(secret, 'engine secret'), 'env');
  }

  /** constant-time check of a presented secret */
  matches(presented: string | null | undefined): boolean {
    return typeof presented === 'string' && secretsEqual(presented, this.secret);
  }

  /** constant-time check of an `Authorization: Bearer <secret>` header value */
  matchesAuthorization(header: string | null | undefined): boolean {
    const m = typeof header === 'string' ? /^Bearer[ \t]+(\S+)\s*$/i.exec(header) : null;
    return this.matches(m?.[1] ?? '');
  }
}

export function secretsEqual(a: string, b: string): boolean {
  return constantTimeEqual(a, b);
}

function checkSecret(secret: string, from: string): string {
  if (secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
    throw new Error(`engine secret from ${from} must be at least ${MIN_SECRET_LENGTH} characters without spaces`);
  }
  return secret;
}
