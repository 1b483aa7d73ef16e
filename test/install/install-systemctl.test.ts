// install.sh on its real path: --root /, systemd as the supervisor. It runs in a private mount
// namespace where /etc and /opt are bind-mounted copies in a temporary directory (so useradd,
// the units and the releases land there, not on this host), with a fake `systemctl` first on
// PATH that records every call. The services are not run: this test's own HTTP servers answer
// the health checks, ready or not depending on which release `current` points at, the way the
// restarted units would. What is checked is what install.sh asks of systemd, and when.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, tempDir } from '../e2e/harness.ts';

const script = resolve(import.meta.dir, '../../install.sh');
const isRoot = process.getuid?.() === 0;
// a private mount namespace needs root (CAP_SYS_ADMIN); CI runs the suite as root
const canIsolate = isRoot && Bun.spawnSync(['unshare', '--mount', '--propagation', 'private', 'true']).exitCode === 0;

let dir: { path: string; remove(): void };
let etc = '';
let opt = '';
let data = '';
let calls = '';
const ports = { control: 0, api: 0, config: 0 };
let servers: Array<ReturnType<typeof Bun.serve>> = [];

/** a fake release: binaries that only answer --version (systemd is fake, nothing runs them) */
function release(name: string, version: string): string {
  const from = join(dir.path, name);
  mkdirSync(from, { recursive: true });
  for (const bin of ['weir-engine', 'weir-control']) {
    writeFileSync(join(from, bin), `#!/usr/bin/env bash\n[ "\${1:-}" = --version ] && echo "${bin} ${version}"\nexit 0\n`, { mode: 0o755 });
  }
  return from;
}

/** install.sh with --root / in the private namespace; the fake systemctl logs to `calls` */
async function sh(args: string[]): Promise<{ code: number | null; out: string }> {
  const isolate = 'mount --bind "$1" /etc && mount --bind "$2" /opt && shift 2 && exec bash "$@"';
  const proc = Bun.spawn(['unshare', '--mount', '--propagation', 'private', 'bash', '-c', isolate, 'isolate', etc, opt, script, ...args], {
    env: {
      ...process.env,
      PATH: `${join(dir.path, 'bin')}:${process.env.PATH}`,
      WEIR_INSTALL_SYSTEMD_RUNDIR: join(dir.path, 'run-systemd'),
      FAKE_SYSTEMCTL_LOG: calls,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  return { code: proc.exitCode, out: stdout + stderr };
}

/** the systemctl calls since the last look */
let seen = 0;
function newCalls(): string[] {
  const all = existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter((l) => l.length > 0) : [];
  const fresh = all.slice(seen);
  seen = all.length;
  return fresh;
}

const current = (): string => readlinkSync(join(opt, 'weir/current'));

const envArgs = (): string[] => [
  '--data-dir', data,
  '--health-timeout', '5',
  '--env', 'WEIR_CONTROL_HOST=127.0.0.1',
  '--env', `WEIR_CONTROL_PORT=${ports.control}`,
  '--env', `WEIR_API_PORT=${ports.api}`,
  '--env', `WEIR_CONFIG_PORT=${ports.config}`,
];

beforeAll(() => {
  if (!canIsolate) return;
  dir = tempDir();
  etc = join(dir.path, 'etc');
  opt = join(dir.path, 'opt');
  data = join(dir.path, 'data');
  calls = join(dir.path, 'systemctl-calls.log');
  cpSync('/etc', etc, { recursive: true, verbatimSymlinks: true });
  mkdirSync(opt);
  mkdirSync(join(dir.path, 'run-systemd'));
  mkdirSync(join(dir.path, 'bin'));
  writeFileSync(
    join(dir.path, 'bin/systemctl'),
    [
      '#!/usr/bin/env bash',
      'printf "%s\\n" "$*" >>"$FAKE_SYSTEMCTL_LOG"',
      'case "${1:-}" in is-active) echo active ;; is-enabled) echo enabled ;; esac',
      'exit 0',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = freePort();
  // What the units would serve: healthy unless `current` is the broken release.
  const healthy = (): boolean => {
    try {
      return !current().includes('9.9.9-broken');
    } catch {
      return false;
    }
  };
  servers = [
    Bun.serve({ hostname: '127.0.0.1', port: ports.control, fetch: () => (healthy() ? Response.json({ status: 'ok' }) : new Response('down', { status: 503 })) }),
    Bun.serve({ hostname: '127.0.0.1', port: ports.api, fetch: () => Response.json({ ready: healthy() }) }),
  ];
});

afterAll(() => {
  for (const s of servers) s.stop(true);
  dir?.remove();
});

describe.skipIf(!canIsolate)('install.sh with systemd (fake systemctl, private mount namespace)', () => {
  test('install: user, data directory, units, then daemon-reload, enable and restart of both units', async () => {
    const r = await sh(['install', '--from', release('a', '1.0.0'), ...envArgs()]);
    expect(r.out).toContain('healthy');
    expect(r.code).toBe(0);
    expect(newCalls()).toEqual([
      'daemon-reload',
      'enable --quiet weir-control.service weir-engine.service',
      'restart weir-control.service',
      'restart weir-engine.service',
    ]);
    expect(current()).toMatch(/^releases\/1\.0\.0-/);
    // the real path, unlike --root staging: a system user owning the data directory, units in /etc
    const passwd = readFileSync(join(etc, 'passwd'), 'utf8');
    const weir = passwd.split('\n').find((l) => l.startsWith('weir:'));
    expect(weir).toBeDefined();
    expect(weir).toContain('/usr/sbin/nologin');
    expect(statSync(data).uid).toBe(Number(weir!.split(':')[2]));
    expect((statSync(data).mode & 0o777).toString(8)).toBe('750');
    const unit = readFileSync(join(etc, 'systemd/system/weir-engine.service'), 'utf8');
    expect(unit).toContain('User=weir');
    expect(unit).toContain('ExecStart=/opt/weir/current/weir-engine');
    // and nothing of it on this host
    expect(existsSync('/etc/weir/weir.env')).toBe(false);
    expect(existsSync(join(etc, 'weir/weir.env'))).toBe(true);
  }, 60_000);

  test('reinstalling the same binaries only makes sure the units are enabled and started', async () => {
    const r = await sh(['install', '--from', join(dir.path, 'a'), ...envArgs()]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('already has these binaries');
    expect(newCalls()).toEqual(['enable --quiet weir-control.service weir-engine.service', 'start weir-control.service weir-engine.service']);
  }, 60_000);

  test('status asks systemd whether each unit is active and enabled', async () => {
    const r = await sh(['status']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('weir-engine: active, enabled');
    expect(newCalls()).toEqual([
      'is-active weir-control.service',
      'is-enabled weir-control.service',
      'is-active weir-engine.service',
      'is-enabled weir-engine.service',
    ]);
  }, 60_000);

  test('upgrade restarts both units on the new release', async () => {
    const before = current();
    const r = await sh(['upgrade', '--from', release('b', '1.1.0'), ...envArgs()]);
    expect(r.code).toBe(0);
    expect(current()).toMatch(/^releases\/1\.1\.0-/);
    expect(current()).not.toBe(before);
    expect(newCalls()).toEqual(['restart weir-control.service', 'restart weir-engine.service']);
  }, 60_000);

  test('an upgrade that never gets healthy is rolled back and restarted again', async () => {
    const good = current();
    const r = await sh(['upgrade', '--from', release('broken', '9.9.9-broken'), ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('rolled back');
    expect(current()).toBe(good);
    expect(newCalls()).toEqual([
      'restart weir-control.service',
      'restart weir-engine.service',
      'restart weir-control.service',
      'restart weir-engine.service',
    ]);
  }, 60_000);

  test('uninstall --purge disables and stops the units, reloads systemd and removes the user', async () => {
    const r = await sh(['uninstall', '--purge', '--data-dir', data]);
    expect(r.code).toBe(0);
    expect(newCalls()).toEqual(['disable --now weir-engine.service weir-control.service', 'daemon-reload']);
    expect(existsSync(join(etc, 'systemd/system/weir-engine.service'))).toBe(false);
    expect(existsSync(join(opt, 'weir'))).toBe(false);
    expect(existsSync(data)).toBe(false);
    expect(readFileSync(join(etc, 'passwd'), 'utf8')).not.toMatch(/^weir:/m);
  }, 60_000);
});
