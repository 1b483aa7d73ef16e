import { expect, test } from 'bun:test';
import { CliError, parseEngineCli } from '../src/engine-cli.ts';
import { DEFAULT_ENGINE_CONFIG } from '../src/shared/engine-config.ts';

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
