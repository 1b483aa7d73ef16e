// Command-line flags and environment variables of weir-control.
import type { LogLevel } from '../shared/logger.ts';

export type ControlPlaneOptions = {
  dataDir: string;
  configHost: string;
  configPort: number;
  httpHost: string;
  httpPort: number;
  engineApiUrl: string;
  logLevel: LogLevel;
  logJson: boolean;
  help: boolean;
  version: boolean;
};

export const CONTROL_PLANE_HELP = `weir-control: the Weir control plane (config server, REST API, web console)

Usage: weir-control [options]

Options (environment variable in brackets):
  --data-dir DIR        database, engine secret       [WEIR_DATA_DIR]        default ./data
  --config-host ADDR    config server address (engine-facing) [WEIR_CONFIG_HOST] default 127.0.0.1
  --config-port PORT    config server port            [WEIR_CONFIG_PORT]     default 8089
  --http-host ADDR      console and REST API address  [WEIR_CONTROL_HOST]    default 0.0.0.0
  --http-port PORT      console and REST API port     [WEIR_CONTROL_PORT]    default 8088
  --engine-api URL      the engine API                [WEIR_ENGINE_API]      default http://127.0.0.1:8087
  --log-level LEVEL     debug | info | warn | error   [WEIR_LOG_LEVEL]       default info
  --log-json            JSON log lines                [WEIR_LOG_JSON=1]
  --help, --version

The first start creates the admin user: its password comes from WEIR_ADMIN_PASSWORD or is
generated and printed once. The engine secret is created in the data directory (or taken from
WEIR_ENGINE_SECRET); give the engine the same data directory or secret.
`;

export class ControlCliError extends Error {}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ControlCliError(`${flag}: '${value}' is not a port number`);
  return n;
}

export function parseControlPlaneCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ControlPlaneOptions {
  const options: ControlPlaneOptions = {
    dataDir: env.WEIR_DATA_DIR ?? 'data',
    configHost: env.WEIR_CONFIG_HOST ?? '127.0.0.1',
    configPort: env.WEIR_CONFIG_PORT ? port(env.WEIR_CONFIG_PORT, 'WEIR_CONFIG_PORT') : 8089,
    httpHost: env.WEIR_CONTROL_HOST ?? '0.0.0.0',
    httpPort: env.WEIR_CONTROL_PORT ? port(env.WEIR_CONTROL_PORT, 'WEIR_CONTROL_PORT') : 8088,
    engineApiUrl: env.WEIR_ENGINE_API ?? 'http://127.0.0.1:8087',
    logLevel: (env.WEIR_LOG_LEVEL ?? 'info') as LogLevel,
    logJson: env.WEIR_LOG_JSON === '1',
    help: false,
    version: false,
  };
  // the flag loop is alike in shape to engine/engine-cli.ts's: a five-line idiom over different flags, each CLI throwing its own error
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new ControlCliError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--data-dir': options.dataDir = value(); break;
      case '--config-host': options.configHost = value(); break;
      case '--config-port': options.configPort = port(value(), flag); break;
      case '--http-host': options.httpHost = value(); break;
      case '--http-port': options.httpPort = port(value(), flag); break;
      case '--engine-api': options.engineApiUrl = value(); break;
      case '--log-level': options.logLevel = value() as LogLevel; break;
      case '--log-json': options.logJson = true; break;
      case '--help': case '-h': options.help = true; break;
      case '--version': case '-v': options.version = true; break;
      default: throw new ControlCliError(`unknown option '${flag}' (see --help)`);
    }
  }
  if (!['debug', 'info', 'warn', 'error'].includes(options.logLevel)) {
    throw new ControlCliError(`--log-level: '${options.logLevel}' is not one of debug, info, warn, error`);
  }
  return options;
}
