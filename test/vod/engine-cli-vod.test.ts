// The engine's --vod-dir flag: off by default, an absolute folder from the flag or WEIR_VOD_DIR.
import { expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { ENGINE_HELP, parseEngineCli } from '../../src/engine/engine-cli.ts';

test('no VOD unless a folder is given', () => {
  expect(parseEngineCli([], {}).config.vod).toBeUndefined();
});

test('flag and environment (the flag wins); a relative folder is taken from the working directory', () => {
  expect(parseEngineCli(['--vod-dir', '/srv/media'], {}).config.vod).toEqual({ dir: '/srv/media' });
  expect(parseEngineCli([], { WEIR_VOD_DIR: '/env/media' }).config.vod).toEqual({ dir: '/env/media' });
  expect(parseEngineCli(['--vod-dir', 'media'], { WEIR_VOD_DIR: '/env/media' }).config.vod).toEqual({ dir: resolve('media') });
  expect(() => parseEngineCli(['--vod-dir'], {})).toThrow('--vod-dir needs a value');
  expect(ENGINE_HELP).toContain('--vod-dir DIR');
});
