// install.sh into a temporary --root, with the services run directly from `current`
// (WEIR_INSTALL_TEST_SUPERVISOR=direct) in place of systemd: install, idempotent reinstall,
// upgrade, an unhealthy upgrade rolled back, uninstall with and without --purge, the units
// checked by systemd-analyze verify, and the refusals on a non-root user and a non-systemd host.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { createServices } from '../../src/control/services/index.ts';
import { openStore } from '../../src/control/store/index.ts';
import { acceptsConnections, killAll, run, tempDir, freePort } from '../e2e/harness.ts';

const repo = resolve(import.meta.dir, '../..');
const script = join(repo, 'install.sh');
const isRoot = process.getuid?.() === 0;

let dir: { path: string; remove(): void };
let root: string;
let relA: string; // real binaries
let relB: string; // real binaries, built differently (other bytes, same version)
let relBroken: string; // an engine that runs but never becomes healthy
const ports = { control: 0, config: 0, api: 0, rtmp: 0, http: 0 };


async function build(entry: string, out: string, minify: boolean): Promise<void> {
  const flags = minify ? ['--minify', '--bytecode'] : [];
  const result = await run([process.execPath, 'build', join(repo, entry), '--compile', ...flags, '--format=esm', '--outfile', out], 120_000);
  if (result.exitCode !== 0) throw new Error(`bun build ${entry}: ${result.stderr}`);
}

/** install.sh as is, without the test supervisor */
const installSh = (args: string[]) => run(['bash', script, ...args], 60_000);


/** install.sh with the test supervisor and the temporary root */
async function sh(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn(['bash', script, ...args, '--root', root], {
    env: { ...process.env, WEIR_INSTALL_TEST_SUPERVISOR: 'direct', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  return { exitCode: proc.exitCode, stdout, stderr, out: stdout + stderr };
}

const current = (): string => readlinkSync(join(root, 'opt/weir/current'));
const releases = (): string[] => readdirSync(join(root, 'opt/weir/releases')).filter((n) => !n.startsWith('.')).sort();
const pid = (svc: string): number => Number(readFileSync(join(root, 'run/weir', `${svc}.pid`), 'utf8').trim());

async function health(): Promise<{ control: boolean; engine: boolean }> {
  const get = async (url: string) => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return res.ok ? ((await res.json()) as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  const control = await get(`http://127.0.0.1:${ports.control}/healthz`);
  const engine = await get(`http://127.0.0.1:${ports.api}/healthz`);
  return { control: control !== null, engine: engine?.ready === true };
}

beforeAll(async () => {
  dir = tempDir();
  root = join(dir.path, 'root');
  relA = join(dir.path, 'a');
  relB = join(dir.path, 'b');
  relBroken = join(dir.path, 'broken');
  for (const d of [root, relA, relB, relBroken]) mkdirSync(d, { recursive: true });
  await Promise.all([
    build('src/engine.ts', join(relA, 'weir-engine'), true),
    build('src/control-plane.ts', join(relA, 'weir-control'), true),
    build('src/engine.ts', join(relB, 'weir-engine'), false),
    build('src/control-plane.ts', join(relB, 'weir-control'), false),
  ]);
  copyFileSync(join(relA, 'weir-control'), join(relBroken, 'weir-control'));
  chmodSync(join(relBroken, 'weir-control'), 0o755);
  // answers --version, then runs without ever serving /healthz
  writeFileSync(
    join(relBroken, 'weir-engine'),
    '#!/usr/bin/env bash\nif [ "${1:-}" = --version ]; then echo "weir-engine 9.9.9-broken"; exit 0; fi\nwhile :; do sleep 1; done\n',
    { mode: 0o755 },
  );
  for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
  // the engine's RTMP/HTTP ports live in the control plane's settings: seed a data directory
  const data = join(root, 'var/lib/weir');
  mkdirSync(data, { recursive: true });
  const store = openStore(join(data, 'weir.db'));
  const services = createServices(store, { env: { WEIR_ADMIN_PASSWORD: 'install-test-password' } });
  await services.bootstrap();
  services.settings.update({ listen: { rtmpHost: '127.0.0.1', rtmpPort: ports.rtmp, httpHost: '127.0.0.1', httpPort: ports.http } });
  store.close();
}, 120_000);

afterAll(async () => {
  await sh(['uninstall', '--purge']);
  await killAll();
  dir.remove();
});

const envArgs = (): string[] => [
  '--env', 'WEIR_CONTROL_HOST=127.0.0.1',
  '--env', `WEIR_CONTROL_PORT=${ports.control}`,
  '--env', `WEIR_CONFIG_PORT=${ports.config}`,
  '--env', `WEIR_API_PORT=${ports.api}`,
  '--env', `WEIR_RTMP_PORT=${ports.rtmp}`,
  '--env', `WEIR_HTTP_PORT=${ports.http}`,
];

describe('refusals and help', () => {
  test('--help', async () => {
    const r = await installSh(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('install.sh install');
    expect(r.stdout).toContain('--purge');
  });

  test('refuses to run as non-root without --root', async () => {
    // as root, drop to nobody to see the refusal; as another user, that user already is non-root
    const asNonRoot = isRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const r = await run([...asNonRoot, 'bash', script, 'install'], 20_000);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('must run as root');
  });

  test.skipIf(!isRoot)('refuses on a host without systemd', async () => {
    const proc = Bun.spawn(['bash', script, 'install', '--from', relA], {
      env: { ...process.env, WEIR_INSTALL_SYSTEMD_RUNDIR: join(dir.path, 'no-such-dir') },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const stderr = await new Response(proc.stderr).text();
    await proc.exited;
    expect(proc.exitCode).toBe(1);
    expect(stderr).toContain('does not run systemd');
  });

  test('refuses the direct supervisor without --root, and unknown arguments', async () => {
    const proc = Bun.spawn(['bash', script, 'install'], { env: { ...process.env, WEIR_INSTALL_TEST_SUPERVISOR: 'direct' }, stderr: 'pipe' });
    expect(await new Response(proc.stderr).text()).toContain('needs --root');
    await proc.exited;
    expect(proc.exitCode).toBe(1);
    const bad = await installSh(['install', '--frobnicate']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("unknown argument '--frobnicate'");
  });
});

describe('install, upgrade, rollback, uninstall', () => {
  let firstRelease = '';
  let secondRelease = '';

  test('install puts a release behind `current`, writes config and units, starts healthy services', async () => {
    const r = await sh(['install', '--from', relA, '--health-timeout', '30', ...envArgs()]);
    expect(r.out).toContain('healthy');
    expect(r.exitCode).toBe(0);
    firstRelease = current();
    expect(firstRelease).toMatch(new RegExp(`^releases/${pkg.version.replace(/\./g, '\\.')}-\\d{8}T\\d{6}Z$`));
    expect(existsSync(join(root, 'opt/weir', firstRelease, 'weir-engine'))).toBe(true);
    expect(existsSync(join(root, 'opt/weir', firstRelease, 'weir-control'))).toBe(true);
    const env = readFileSync(join(root, 'etc/weir/weir.env'), 'utf8');
    expect(env).toContain('WEIR_DATA_DIR=/var/lib/weir');
    expect(env).toContain(`WEIR_CONTROL_PORT=${ports.control}`);
    expect(env).toContain(`WEIR_API_PORT=${ports.api}`);
    expect(await health()).toEqual({ control: true, engine: true });
    // the engine listens where the control plane's settings say
    expect(await acceptsConnections(ports.http)).toBe(true);
    expect(await acceptsConnections(ports.rtmp)).toBe(true);
    const status = await sh(['status']);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(firstRelease.slice('releases/'.length));
    expect(status.stdout).toContain('engine:    ready');
  }, 60_000);

  test('the units are hardened and pass systemd-analyze verify', async () => {
    const units = join(dir.path, 'units');
    mkdirSync(units, { recursive: true });
    const engineUnit = readFileSync(join(root, 'etc/systemd/system/weir-engine.service'), 'utf8');
    const controlUnit = readFileSync(join(root, 'etc/systemd/system/weir-control.service'), 'utf8');
    for (const unit of [engineUnit, controlUnit]) {
      for (const line of [
        'User=weir', 'StateDirectory=weir', 'EnvironmentFile=/etc/weir/weir.env', 'Restart=on-failure', 'TimeoutStopSec=30',
        'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'ReadWritePaths=/var/lib/weir',
        'LimitNOFILE=1048576', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX', 'SystemCallArchitectures=native',
        'CapabilityBoundingSet=\n', 'WantedBy=multi-user.target',
      ]) expect(unit).toContain(line);
      expect(unit).not.toContain('CAP_NET_BIND_SERVICE');
    }
    expect(engineUnit).toContain('ExecStart=/opt/weir/current/weir-engine --data-dir ${WEIR_DATA_DIR} --config-url http://127.0.0.1:${WEIR_CONFIG_PORT}');
    expect(engineUnit).toMatch(/^After=.*weir-control\.service/m);
    expect(controlUnit).toContain('ExecStart=/opt/weir/current/weir-control --data-dir ${WEIR_DATA_DIR}');

    // a staged install with a port below 1024: only the engine unit gets the bind capability
    const low = join(dir.path, 'low-root');
    mkdirSync(low);
    const staged = await run(['bash', script, 'install', '--root', low, '--from', relA, '--env', 'WEIR_HTTP_PORT=80'], 30_000);
    expect(staged.stdout).toContain('not started');
    expect(staged.exitCode).toBe(0);
    const lowEngine = readFileSync(join(low, 'etc/systemd/system/weir-engine.service'), 'utf8');
    expect(lowEngine).toContain('CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n');
    expect(readFileSync(join(low, 'etc/systemd/system/weir-control.service'), 'utf8')).not.toContain('CAP_NET_BIND_SERVICE');

    // verify needs the ExecStart binaries and the environment file to exist: point them into the roots
    const files: string[] = [];
    for (const [r, tag] of [[root, ''], [low, 'low-']] as const) {
      for (const name of ['weir-control', 'weir-engine']) {
        const text = readFileSync(join(r, 'etc/systemd/system', `${name}.service`), 'utf8')
          .replace('ExecStart=/opt/weir/', `ExecStart=${r}/opt/weir/`)
          .replace('EnvironmentFile=/etc/weir/', `EnvironmentFile=${r}/etc/weir/`);
        const file = join(units, `${tag}${name}.service`);
        writeFileSync(file, text);
        files.push(file);
      }
    }
    const strict = await run(['env', 'SYSTEMD_LOG_LEVEL=err', 'systemd-analyze', 'verify', ...files], 30_000);
    expect(strict.stderr + strict.stdout).toBe('');
    expect(strict.exitCode).toBe(0);
    // at the default level, nothing is said about our units either (unknown keys, bad values)
    const chatty = await run(['systemd-analyze', 'verify', ...files], 30_000);
    expect((chatty.stderr + chatty.stdout).split('\n').filter((l) => l.includes('weir-'))).toEqual([]);
  }, 60_000);

  test('installing again is a no-op that keeps the release and the config', async () => {
    const envBefore = readFileSync(join(root, 'etc/weir/weir.env'), 'utf8');
    const enginePid = pid('weir-engine');
    const r = await sh(['install', '--from', relA, '--health-timeout', '30', ...envArgs()]);
    expect(r.exitCode).toBe(0);
    expect(r.out).toContain('already has these binaries');
    expect(current()).toBe(firstRelease);
    expect(releases()).toHaveLength(1);
    expect(readFileSync(join(root, 'etc/weir/weir.env'), 'utf8')).toBe(envBefore);
    expect(pid('weir-engine')).toBe(enginePid); // nothing changed: not restarted
    expect(await health()).toEqual({ control: true, engine: true });
  }, 60_000);

  test('upgrade switches `current` to the new release and restarts healthy', async () => {
    const enginePid = pid('weir-engine');
    const r = await sh(['upgrade', '--from', relB, '--health-timeout', '30']);
    expect(r.out).toContain('upgraded');
    expect(r.exitCode).toBe(0);
    secondRelease = current();
    expect(secondRelease).not.toBe(firstRelease);
    expect(releases()).toHaveLength(2);
    expect(pid('weir-engine')).not.toBe(enginePid);
    expect(readlinkSync(`/proc/${pid('weir-engine')}/exe`)).toBe(join(root, 'opt/weir', secondRelease, 'weir-engine'));
    expect(await health()).toEqual({ control: true, engine: true });
  }, 60_000);

  test('an upgrade whose engine never becomes healthy is rolled back', async () => {
    const r = await sh(['upgrade', '--from', relBroken, '--health-timeout', '4']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('engine not ready');
    expect(r.stderr).toContain('rolling back');
    expect(r.stderr).toContain(`rolled back to ${secondRelease.slice('releases/'.length)}`);
    expect(current()).toBe(secondRelease);
    expect(releases().some((n) => n.startsWith('9.9.9-broken'))).toBe(false);
    expect(readlinkSync(`/proc/${pid('weir-engine')}/exe`)).toBe(join(root, 'opt/weir', secondRelease, 'weir-engine'));
    expect(await health()).toEqual({ control: true, engine: true });
  }, 60_000);

  test('uninstall stops the services and removes binaries and units but keeps data and config', async () => {
    const enginePid = pid('weir-engine');
    const r = await sh(['uninstall']);
    expect(r.exitCode).toBe(0);
    expect(existsSync(`/proc/${enginePid}`)).toBe(false);
    expect(await health()).toEqual({ control: false, engine: false });
    expect(existsSync(join(root, 'opt/weir'))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/weir-engine.service'))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/weir-control.service'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/weir/weir.db'))).toBe(true);
    expect(existsSync(join(root, 'var/lib/weir/engine-secret'))).toBe(true);
    expect(existsSync(join(root, 'etc/weir/weir.env'))).toBe(true);
    const status = await sh(['status']);
    expect(status.exitCode).toBe(3);
    expect(status.stdout).toContain('not installed');
  }, 30_000);

  test('uninstall --purge removes the data and the config', async () => {
    const again = await sh(['install', '--from', relA, '--no-start']);
    expect(again.exitCode).toBe(0);
    const r = await sh(['uninstall', '--purge']);
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(root, 'var/lib/weir'))).toBe(false);
    expect(existsSync(join(root, 'etc/weir'))).toBe(false);
    expect(existsSync(join(root, 'opt/weir'))).toBe(false);
  }, 30_000);
});
