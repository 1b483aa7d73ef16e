// weir-engine entry: parse flags, start the engine (under a control plane when given a config
// URL), stop cleanly on SIGINT/SIGTERM.
import pkg from '../package.json' with { type: 'json' };
import { CliError, ENGINE_HELP, parseEngineCli } from './engine/engine-cli.ts';
import { startManagedEngine, type ManagedEngine } from './engine/engine-managed.ts';
import { resolveSecretSource } from './engine/control-link/engine-secret.ts';
import { createLogger } from './shared/logger.ts';
import { DEFAULT_COLLECTOR_POLICY, startBufferCollector } from './engine/buffer-collector.ts';
import { gracefulExit, reloadOnSignal } from './engine/engine-signals.ts';

// Alike in shape to control-plane.ts's main (parse flags, exit 2 on a CLI error, help, version): two processes, two CLIs.
async function main(): Promise<void> {
  let options;
  try {
    options = parseEngineCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`weir-engine: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(ENGINE_HELP);
    return;
  }
  if (options.version) {
    process.stdout.write(`weir-engine ${pkg.version}\n`);
    return;
  }
  const logger = createLogger({ level: options.logLevel, json: options.logJson });
  const secret = resolveSecretSource({
    secretFile: options.engineSecretFile,
    envSecret: process.env.WEIR_ENGINE_SECRET,
    dataDir: options.dataDir,
  });
  if (options.configUrl && !secret) {
    process.stderr.write('weir-engine: --config-url needs the engine secret: --engine-secret-file, WEIR_ENGINE_SECRET or --data-dir\n');
    process.exit(2);
  }
  logger.info('weir-engine starting', {
    version: pkg.version,
    configUrl: options.configUrl ?? undefined,
    apps: options.configUrl ? undefined : options.config.apps.map((a) => a.name).join(','),
    secret: secret?.origin,
  });
  if (!secret) logger.info('no engine secret: the engine API serves /healthz and /metrics only (--engine-secret-file, WEIR_ENGINE_SECRET or --data-dir for /v1)');
  let managed: ManagedEngine;
  try {
    managed = startManagedEngine({
      baseConfig: options.config,
      configUrl: options.configUrl,
      listenOverrides: options.listenOverrides,
      secret,
      dataDir: options.dataDir,
      api: { host: options.apiHost, port: options.apiPort },
      version: pkg.version,
      logger,
    });
  } catch (err) {
    logger.error('could not start', { reason: (err as Error).message });
    process.exit(1);
  }
  startBufferCollector({ ...DEFAULT_COLLECTOR_POLICY, everyMs: options.gcEveryMs }, logger.child({ component: 'gc' }));
  let shuttingDown = false;
  const shutdown = (signal: string): void => {
    if (shuttingDown) {
      // a second signal: do not wait for the drain
      logger.warn('second signal: stopping now', { signal });
      managed.stop();
      process.exit(0);
    }
    shuttingDown = true;
    logger.info('shutting down', { signal });
    void gracefulExit(managed, logger);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => reloadOnSignal(managed, logger));
  try {
    await managed.ready;
  } catch (err) {
    logger.error('could not start', { reason: (err as Error).message });
    managed.stop();
    process.exit(1);
  }
}

void main();
