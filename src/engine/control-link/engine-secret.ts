// Where the shared engine secret comes from: a file named by flag, the environment, or the
// `engine-secret` file the control plane creates in the data directory. A file is read
// lazily and again after the config server refused the secret, so an engine that starts
// before the control plane has created it picks it up once it exists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_SECRET_FILE } from '../../shared/config-protocol.ts';

export interface SecretSource {
  /** the secret, or null while it is not available (file not there yet) */
  get(): string | null;
  /** forget a cached value: the next get() reads the file again */
  refresh(): void;
  /** where it comes from, for logs (never the secret itself) */
  readonly origin: string;
}

export function secretFromValue(value: string, origin = 'value'): SecretSource {
  const secret = value.trim();
  return { get: () => (secret.length > 0 ? secret : null), refresh: () => {}, origin };
}

export function secretFromFile(path: string): SecretSource {
  let cached: string | null = null;
  return {
    get: () => {
      if (cached !== null) return cached;
      try {
        const text = readFileSync(path, 'utf8').trim();
        cached = text.length > 0 ? text : null;
      } catch {
        cached = null;
      }
      return cached;
    },
    refresh: () => {
      cached = null;
    },
    origin: `file ${path}`,
  };
}

export type SecretLocations = Readonly<{
  secretFile: string | null;
  envSecret: string | undefined;
  dataDir: string | null;
}>;

/** --engine-secret-file, then WEIR_ENGINE_SECRET, then {data dir}/engine-secret; null if none is given. */
export function resolveSecretSource(where: SecretLocations): SecretSource | null {
  if (where.secretFile) return secretFromFile(where.secretFile);
  if (where.envSecret && where.envSecret.trim().length > 0) return secretFromValue(where.envSecret, 'WEIR_ENGINE_SECRET');
  if (where.dataDir) return secretFromFile(join(where.dataDir, ENGINE_SECRET_FILE));
  return null;
}
