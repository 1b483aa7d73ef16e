// weir-control entry: open the store, bootstrap a first start, serve the engine-facing config
// server and the REST API (console later), and stop cleanly on SIGINT/SIGTERM. Wiring only.
import { join, resolve } from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import { startConfigServer } from './config-server.ts';
import { ControlCliError, CONTROL_PLANE_HELP, parseControlPlaneCli } from './control/control-plane-cli.ts';
import { createEngineClient } from './control/engine-client.ts';
import { logSighup, stopControlPlane } from './control/graceful-stop.ts';
import { ControlMetrics } from './control/metrics.ts';
import { EngineSecretService } from './control/services/engine-secret-service.ts';
import { createServices } from './control/services/index.ts';
import { openStore } from './control/store/index.ts';
import { createRestApp } from './rest-server.ts';
import { guardFetch, productionServe } from './shared/http-errors.ts';
import { bindOrExplain } from './shared/listen-error.ts';
import { createLogger, type LogContext } from './shared/logger.ts';

// Alike in shape to engine.ts's main(): each entry parses its own CLI and names its own process on a usage error.
async function main(): Promise<void> {
  let options;
  try {
    options = parseControlPlaneCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ControlCliError) {
      process.stderr.write(`weir-control: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (options.help) return void process.stdout.write(CONTROL_PLANE_HELP);
  if (options.version) return void process.stdout.write(`weir-control ${pkg.version}\n`);

  const logger = createLogger({ level: options.logLevel, json: options.logJson });
  const dataDir = resolve(options.dataDir);
  const store = openStore(join(dataDir, 'weir.db'));
  const services = createServices(store);
  const boot = await services.bootstrap();
  if (boot.admin.created) {
    if (boot.admin.generatedPassword) {
      // Printed once, on the terminal only: it is stored hashed and never shown again.
      process.stdout.write(
        `\n  Weir admin account created: user '${boot.admin.username}', password '${boot.admin.generatedPassword}'\n` +
          `  (set WEIR_ADMIN_PASSWORD before the first start to choose it)\n\n`,
      );
    } else logger.info('admin account created from WEIR_ADMIN_PASSWORD', { user: boot.admin.username ?? 'admin' });
  }
  const secret = EngineSecretService.load({ dataDir, env: process.env });
  const configServer = bindOrExplain('config server', options.configHost, options.configPort, () =>
    startConfigServer(services, secret.secret, { hostname: options.configHost, port: options.configPort }, logger),
  );
  logger.info('config server listening', { host: options.configHost, port: configServer.port });

  const engine = createEngineClient({ baseUrl: options.engineApiUrl, secret: secret.secret });
  let http: ReturnType<typeof Bun.serve> | null = null;
  const app = createRestApp({ services, engine, logger, clientAddress: (req) => http?.requestIP(req)?.address ?? null });
  const metrics = new ControlMetrics({ version: pkg.version, services, routes: () => app.routes, storeReady: () => store.db.query('SELECT 1').get() !== null });
  const logError = (message: string, fields: LogContext) => logger.error(message, fields);
  const handle = guardFetch(metrics.wrap((req) => app.handle(req)), logError);
  http = bindOrExplain('console and REST API', options.httpHost, options.httpPort, () =>
    Bun.serve({ hostname: options.httpHost, port: options.httpPort, maxRequestBodySize: 1024 * 1024, ...productionServe(logError), fetch: handle }),
  );
  logger.info('console and REST API listening', { host: options.httpHost, port: http.port, version: pkg.version });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(0); // a second signal: do not wait
    stopping = true;
    logger.info('shutting down', { signal });
    const servers = http ? [http, configServer] : [configServer];
    void stopControlPlane({ servers, closeStore: () => store.close(), beforeStop: () => metrics.markStopping(), logger }).finally(() => process.exit(0));
  };
  process.on('SIGHUP', () => logSighup(logger));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

// A start that fails (a busy port, an unreadable data directory) is one line, not a stack trace
// over the bundled source.
await main().catch((err: unknown) => {
  process.stderr.write(`weir-control: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
