// Command-line flags and environment variables of weir-engine, over the built-in defaults.
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from './shared/engine-config.ts';
import type { LogLevel } from './shared/logger.ts';

export type EngineCliOptions = {
  config: EngineConfig;
  logLevel: LogLevel;
  logJson: boolean;
  help: boolean;
  version: boolean;
};

export const ENGINE_HELP = `weir-engine: the Weir streaming engine (RTMP in; RTMP, HTTP-FLV, WebSocket-FLV out)

Usage: weir-engine [options]

Options (environment variable in brackets):
  --rtmp-host ADDR     RTMP listen address            [WEIR_RTMP_HOST]  default 0.0.0.0
  --rtmp-port PORT     RTMP listen port (0 = any)     [WEIR_RTMP_PORT]  default 1935
  --http-host ADDR     HTTP-FLV/WS-FLV listen address [WEIR_HTTP_HOST]  default 0.0.0.0
  --http-port PORT     HTTP listen port (0 = any)     [WEIR_HTTP_PORT]  default 8080
  --app NAME           an app open to publishers (repeatable) [WEIR_APPS, comma-separated] default live
  --wait-ms MS         how long a viewer waits for a publisher [WEIR_WAIT_MS] default 10000
  --log-level LEVEL    debug | info | warn | error    [WEIR_LOG_LEVEL]  default info
  --log-json           JSON log lines                 [WEIR_LOG_JSON=1]
  --help               show this help
  --version            print the version
`;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export class CliError extends Error {}

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`${flag}: '${value}' is not a port number`);
  return port;
}

function parseNonNegative(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag}: '${value}' is not a non-negative number`);
  return n;
}

export function parseEngineCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): EngineCliOptions {
  const base = DEFAULT_ENGINE_CONFIG;
  let rtmpHost = env.WEIR_RTMP_HOST ?? base.rtmp.host;
  let rtmpPort = env.WEIR_RTMP_PORT ? parsePort(env.WEIR_RTMP_PORT, 'WEIR_RTMP_PORT') : base.rtmp.port;
  let httpHost = env.WEIR_HTTP_HOST ?? base.http.host;
  let httpPort = env.WEIR_HTTP_PORT ? parsePort(env.WEIR_HTTP_PORT, 'WEIR_HTTP_PORT') : base.http.port;
  let waitMs = env.WEIR_WAIT_MS ? parseNonNegative(env.WEIR_WAIT_MS, 'WEIR_WAIT_MS') : base.streams.waitForPublisherMs;
  let apps: string[] = env.WEIR_APPS ? env.WEIR_APPS.split(',').filter(Boolean) : [];
  let logLevel = (env.WEIR_LOG_LEVEL ?? 'info') as LogLevel;
  let logJson = env.WEIR_LOG_JSON === '1';
  let help = false;
  let version = false;

  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new CliError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--rtmp-host': rtmpHost = value(); break;
      case '--rtmp-port': rtmpPort = parsePort(value(), flag); break;
      case '--http-host': httpHost = value(); break;
      case '--http-port': httpPort = parsePort(value(), flag); break;
      case '--app': apps.push(value()); break;
      case '--wait-ms': waitMs = parseNonNegative(value(), flag); break;
      case '--log-level': logLevel = value() as LogLevel; break;
      case '--log-json': logJson = true; break;
      case '--help': case '-h': help = true; break;
      case '--version': case '-v': version = true; break;
      default: throw new CliError(`unknown option '${flag}' (see --help)`);
    }
  }
  if (!LOG_LEVELS.includes(logLevel)) throw new CliError(`--log-level: '${logLevel}' is not one of ${LOG_LEVELS.join(', ')}`);
  if (apps.length === 0) apps = base.apps.map((a) => a.name);

  const config: EngineConfig = {
    ...base,
    rtmp: { ...base.rtmp, host: rtmpHost, port: rtmpPort },
    http: { ...base.http, host: httpHost, port: httpPort },
    streams: { ...base.streams, waitForPublisherMs: waitMs },
    apps: apps.map((name) => ({ name })),
  };
  return { config, logLevel, logJson, help, version };
}
