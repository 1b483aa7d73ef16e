// weir-engine entry: parse flags, start the engine, stop cleanly on SIGINT/SIGTERM.
import pkg from '../package.json' with { type: 'json' };
import { CliError, ENGINE_HELP, parseEngineCli } from './engine-cli.ts';
import { startEngine } from './engine-runtime.ts';
import { createLogger } from './shared/logger.ts';

function main(): void {
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
  logger.info('weir-engine starting', { version: pkg.version, apps: options.config.apps.map((a) => a.name).join(',') });
  const engine = startEngine(options.config, { logger });
  const shutdown = (signal: string): void => {
    logger.info('shutting down', { signal });
    engine.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main();
