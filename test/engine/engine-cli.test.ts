import { expect, test } from 'bun:test';
import { CliError, ENGINE_HELP, parseEngineCli } from '../../src/engine/engine-cli.ts';
import { DEFAULT_ENGINE_CONFIG, engineConfigFromSnapshot } from '../../src/shared/engine-config.ts';
import { makeSnapshot } from './fake-config-server.ts';

test('defaults: RTMP :1935, HTTP :8080 on explicit all-interfaces addresses, app live, HLS on', () => {
  const { config } = parseEngineCli([], {});
  expect(config.rtmp).toMatchObject({ host: '0.0.0.0', port: 1935 });
  expect(config.http).toMatchObject({ host: '0.0.0.0', port: 8080 });
  expect(config.apps).toEqual([{ name: 'live' }]);
  expect(config.hls).toEqual(DEFAULT_ENGINE_CONFIG.hls);
});

test('flags override environment, which overrides defaults', () => {
  const { config, logJson } = parseEngineCli(
    ['--rtmp-port', '1936', '--app', 'a', '--app', 'b', '--no-ll-hls', '--hls-target-ms', '4000', '--log-json'],
    { WEIR_RTMP_PORT: '2000', WEIR_HTTP_PORT: '9000', WEIR_HLS_WINDOW: '10' },
  );
  expect(config.rtmp.port).toBe(1936);
  expect(config.http.port).toBe(9000);
  expect(config.apps.map((a) => a.name)).toEqual(['a', 'b']);
  expect(config.hls).toMatchObject({ lowLatencyEnabled: false, targetDurationMs: 4000, windowSegments: 10 });
  expect(logJson).toBe(true);
});

test('bad input is a clear error', () => {
  expect(() => parseEngineCli(['--rtmp-port', '70000'], {})).toThrow(CliError);
  expect(() => parseEngineCli(['--bogus'], {})).toThrow("unknown option '--bogus'");
  expect(() => parseEngineCli(['--http-port'], {})).toThrow('needs a value');
  expect(() => parseEngineCli(['--log-level', 'loud'], {})).toThrow('not one of');
  expect(() => parseEngineCli([], { WEIR_RTMP_PORT: 'x' })).toThrow('not a port number');
});

test('control plane flags: off by default, engine API on 127.0.0.1:8087', () => {
  const options = parseEngineCli([], {});
  expect(options).toMatchObject({ configUrl: null, engineSecretFile: null, dataDir: null, apiHost: '127.0.0.1', apiPort: 8087 });
});

test('control plane flags override their environment variables', () => {
  const env = {
    WEIR_CONFIG_URL: 'http://10.0.0.1:8089',
    WEIR_ENGINE_SECRET_FILE: '/env/secret',
    WEIR_DATA_DIR: '/env/data',
    WEIR_API_HOST: '0.0.0.0',
    WEIR_API_PORT: '9087',
  };
  expect(parseEngineCli([], env)).toMatchObject({
    configUrl: 'http://10.0.0.1:8089',
    engineSecretFile: '/env/secret',
    dataDir: '/env/data',
    apiHost: '0.0.0.0',
    apiPort: 9087,
  });
  const flags = ['--config-url', 'http://127.0.0.1:8089/', '--engine-secret-file', '/run/secret', '--data-dir', '/var/lib/weir', '--api-host', '127.0.0.2', '--api-port', '0'];
  expect(parseEngineCli(flags, env)).toMatchObject({
    configUrl: 'http://127.0.0.1:8089',
    engineSecretFile: '/run/secret',
    dataDir: '/var/lib/weir',
    apiHost: '127.0.0.2',
    apiPort: 0,
  });
});

test('control plane flags are validated and listed in --help', () => {
  expect(() => parseEngineCli(['--config-url', 'ftp://host'], {})).toThrow('not an http(s) URL');
  expect(() => parseEngineCli(['--config-url', 'nonsense'], {})).toThrow('not a URL');
  expect(() => parseEngineCli(['--api-port', '65536'], {})).toThrow('not a port number');
  expect(() => parseEngineCli([], { WEIR_API_PORT: 'x' })).toThrow('not a port number');
  for (const text of ['--config-url', 'WEIR_CONFIG_URL', '--engine-secret-file', 'WEIR_ENGINE_SECRET', '--data-dir', 'WEIR_DATA_DIR', '--api-host', 'WEIR_API_HOST', '--api-port', 'WEIR_API_PORT']) {
    expect(ENGINE_HELP).toContain(text);
  }
});

test('listen flags win over the config server settings; their variables and absent flags do not', () => {
  const none = parseEngineCli(['--config-url', 'http://127.0.0.1:8089'], {});
  expect(none.listenOverrides).toEqual({});
  const some = parseEngineCli(['--config-url', 'http://127.0.0.1:8089', '--rtmp-port', '1936', '--http-host', '127.0.0.1'], { WEIR_HTTP_PORT: '8081' });
  expect(some.listenOverrides).toEqual({ rtmpPort: 1936, httpHost: '127.0.0.1' });
  const snapshot = makeSnapshot({ revision: 3, listen: { rtmpHost: '0.0.0.0', rtmpPort: 1935, httpHost: '0.0.0.0', httpPort: 8080 } });
  const config = engineConfigFromSnapshot(some.config, snapshot, some.listenOverrides);
  expect(config.rtmp).toMatchObject({ host: '0.0.0.0', port: 1936 });
  expect(config.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
  expect(ENGINE_HELP).toContain('win over the served listen settings');
  expect(ENGINE_HELP).toContain('WEIR_DRAIN_TIMEOUT_MS');
});

test('connection limits: defaults, environment, flags, validation and --help', () => {
  const defaults = parseEngineCli([], {}).config;
  expect(defaults.rtmp).toMatchObject({ maxConnections: 10_000, maxConnectionsPerAddress: 100, maxPublishesPerAddress: 20, handshakeTimeoutMs: 10_000 });
  expect(defaults.http).toMatchObject({ maxConnections: 10_000, maxConnectionsPerAddress: 100 });
  const { config } = parseEngineCli(
    ['--rtmp-max-per-address', '4', '--rtmp-max-publishes-per-address', '0', '--http-max-connections', '6', '--rtmp-handshake-timeout-ms', '1500'],
    { WEIR_RTMP_MAX_PER_ADDRESS: '9', WEIR_RTMP_MAX_CONNECTIONS: '12', WEIR_HTTP_MAX_PER_ADDRESS: '3' },
  );
  expect(config.rtmp).toMatchObject({ maxConnections: 12, maxConnectionsPerAddress: 4, maxPublishesPerAddress: 0, handshakeTimeoutMs: 1500 });
  expect(config.http).toMatchObject({ maxConnections: 6, maxConnectionsPerAddress: 3 });
  expect(() => parseEngineCli(['--rtmp-max-connections', '0'], {})).toThrow('at least 1');
  expect(() => parseEngineCli(['--http-max-per-address', '-1'], {})).toThrow('at least 0');
  expect(() => parseEngineCli(['--rtmp-max-per-address', '2.5'], {})).toThrow('whole number');
  for (const flag of ['--rtmp-max-connections', '--rtmp-max-per-address', '--rtmp-max-publishes-per-address', '--rtmp-handshake-timeout-ms', '--http-max-connections', '--http-max-per-address']) {
    expect(ENGINE_HELP).toContain(flag);
  }
});

test('--publisher-grace-ms sets how long viewers stay for a publisher that left; by default it is --wait-ms', () => {
  expect(parseEngineCli([], {}).config.streams.publisherGraceMs ?? null).toBeNull();
  expect(parseEngineCli(['--publisher-grace-ms', '2500'], {}).config.streams.publisherGraceMs).toBe(2500);
  expect(parseEngineCli([], { WEIR_PUBLISHER_GRACE_MS: '0' }).config.streams.publisherGraceMs).toBe(0);
  expect(() => parseEngineCli(['--publisher-grace-ms', '-1'], {})).toThrow(CliError);
  expect(ENGINE_HELP).toContain('--publisher-grace-ms');
});

test('SRT: on at 0.0.0.0:10080 with 120 ms latency and no passphrase by default; port 0 switches it off', () => {
  const { config } = parseEngineCli([], {});
  expect(config.srt).toEqual({ enabled: true, host: '0.0.0.0', port: 10080, passphrase: null, latencyMs: 120, maxConnections: 1000, maxConnectionsPerAddress: 50 });
  expect(parseEngineCli(['--srt-port', '0'], {}).config.srt?.enabled).toBe(false);
  expect(parseEngineCli([], { WEIR_SRT_PORT: '0' }).config.srt?.enabled).toBe(false);
  expect(ENGINE_HELP).toContain('--srt-port PORT');
  expect(ENGINE_HELP).toContain('srt://HOST:10080?streamid=#!::r=live/cam,m=publish');
});

test('SRT flags override their environment variables; a bad passphrase or latency is a clear error', () => {
  const env = { WEIR_SRT_HOST: '127.0.0.2', WEIR_SRT_PORT: '9000', WEIR_SRT_PASSPHRASE: 'from-the-environment', WEIR_SRT_LATENCY_MS: '200', WEIR_SRT_MAX_PER_ADDRESS: '3' };
  expect(parseEngineCli([], env).config.srt).toMatchObject({ enabled: true, host: '127.0.0.2', port: 9000, passphrase: 'from-the-environment', latencyMs: 200, maxConnectionsPerAddress: 3 });
  const flags = ['--srt-host', '::', '--srt-port', '9001', '--srt-passphrase', 'from-the-flags!', '--srt-latency-ms', '500', '--srt-max-connections', '7', '--srt-max-per-address', '0'];
  expect(parseEngineCli(flags, env).config.srt).toMatchObject({ host: '::', port: 9001, passphrase: 'from-the-flags!', latencyMs: 500, maxConnections: 7, maxConnectionsPerAddress: 0 });
  expect(() => parseEngineCli(['--srt-passphrase', 'short'], {})).toThrow('--srt-passphrase: srt: a passphrase has 10 to 79 characters, not 5');
  expect(() => parseEngineCli(['--srt-latency-ms', '-1'], {})).toThrow(CliError);
  expect(() => parseEngineCli(['--srt-latency-ms', '1.5'], {})).toThrow('whole number of milliseconds');
  expect(() => parseEngineCli(['--srt-port', '65536'], {})).toThrow('not a port number');
});

test('RTSP server flags: defaults, environment, flags, validation, --no-rtsp and --help', () => {
  expect(parseEngineCli([], {}).config.rtsp).toEqual({
    host: '0.0.0.0', port: 8554, rtpPortMin: 30000, rtpPortMax: 30999, maxConnections: 10_000, maxConnectionsPerAddress: 100,
    maxPublishesPerAddress: 20, setupTimeoutMs: 10_000, sessionTimeoutMs: 60_000,
  });
  const { config } = parseEngineCli(
    ['--rtsp-port', '9554', '--rtsp-rtp-port-min', '40000', '--rtsp-max-per-address', '3', '--rtsp-setup-timeout-ms', '2500', '--rtsp-session-timeout-ms', '5000'],
    { WEIR_RTSP_HOST: '127.0.0.1', WEIR_RTSP_PORT: '7554', WEIR_RTSP_RTP_PORT_MAX: '40009', WEIR_RTSP_MAX_PUBLISHES_PER_ADDRESS: '2' },
  );
  expect(config.rtsp).toMatchObject({
    host: '127.0.0.1', port: 9554, rtpPortMin: 40000, rtpPortMax: 40009, maxConnectionsPerAddress: 3, maxPublishesPerAddress: 2,
    setupTimeoutMs: 2500, sessionTimeoutMs: 5000,
  });
  expect(parseEngineCli(['--no-rtsp'], {}).config.rtsp).toBeUndefined();
  expect(parseEngineCli([], { WEIR_RTSP: '0' }).config.rtsp).toBeUndefined();
  expect(() => parseEngineCli(['--rtsp-port', '70000'], {})).toThrow(CliError);
  expect(() => parseEngineCli(['--rtsp-rtp-port-min', '5001', '--rtsp-rtp-port-max', '5002'], {})).toThrow('no even/odd port pair');
  expect(() => parseEngineCli(['--rtsp-session-timeout-ms', '10'], {})).toThrow('at least 1000');
  for (const flag of ['--rtsp-host', '--rtsp-port', '--rtsp-rtp-port-min', '--rtsp-rtp-port-max', '--rtsp-max-connections', '--rtsp-max-per-address', '--rtsp-max-publishes-per-address', '--rtsp-setup-timeout-ms', '--rtsp-session-timeout-ms', '--no-rtsp']) {
    expect(ENGINE_HELP).toContain(flag);
  }
});

test('WebRTC flags: default port 8189, 0 switches it off, public IPs repeat and are validated, --help names them', () => {
  expect(parseEngineCli([], {}).config.webrtc).toEqual({
    host: '0.0.0.0', port: 8189, publicIps: [], maxSessions: 1000, maxSessionsPerAddress: 20, iceTimeoutMs: 30_000,
  });
  const { config } = parseEngineCli(
    ['--webrtc-port', '9189', '--webrtc-public-ip', '203.0.113.7', '--webrtc-public-ip', '2001:db8::7', '--webrtc-max-per-address', '0', '--webrtc-ice-timeout-ms', '5000'],
    { WEIR_WEBRTC_HOST: '127.0.0.1', WEIR_WEBRTC_PUBLIC_IP: '198.51.100.1', WEIR_WEBRTC_MAX_SESSIONS: '50' },
  );
  expect(config.webrtc).toEqual({
    host: '127.0.0.1', port: 9189, publicIps: ['203.0.113.7', '2001:db8::7'], maxSessions: 50, maxSessionsPerAddress: 0, iceTimeoutMs: 5000,
  });
  expect(parseEngineCli([], { WEIR_WEBRTC_PUBLIC_IP: '198.51.100.1,198.51.100.2' }).config.webrtc?.publicIps).toEqual(['198.51.100.1', '198.51.100.2']);
  expect(parseEngineCli(['--webrtc-port', '0'], {}).config.webrtc).toBeUndefined();
  expect(parseEngineCli([], { WEIR_WEBRTC_PORT: '0' }).config.webrtc).toBeUndefined();
  expect(() => parseEngineCli(['--webrtc-public-ip', 'example.com'], {})).toThrow('not an IP address');
  expect(() => parseEngineCli(['--webrtc-ice-timeout-ms', '10'], {})).toThrow('at least 1000');
  for (const flag of ['--webrtc-host', '--webrtc-port', '--webrtc-public-ip', '--webrtc-max-sessions', '--webrtc-max-per-address', '--webrtc-ice-timeout-ms']) {
    expect(ENGINE_HELP).toContain(flag);
  }
});
