// npm 11 skips the install scripts of dependencies that package.json's allowScripts does not
// name; bun's postinstall is what puts the Bun binary in node_modules/.bin, so a stricter npm
// would leave `npm test` and `npm start` without Bun. Every locked package that has an install
// script must be decided (true or false) in allowScripts.
import { expect, test } from 'bun:test';

type Lock = { packages: Record<string, { hasInstallScript?: boolean }> };
type Manifest = { allowScripts?: Record<string, boolean> };

test('every dependency with an install script is approved or denied in package.json allowScripts', async () => {
  const lock = (await Bun.file(`${import.meta.dir}/../package-lock.json`).json()) as Lock;
  const manifest = (await Bun.file(`${import.meta.dir}/../package.json`).json()) as Manifest;
  const withScripts = Object.entries(lock.packages)
    .filter(([, entry]) => entry.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  expect(withScripts).toContain('bun');
  const decided = manifest.allowScripts ?? {};
  expect(withScripts.filter((name) => !(name in decided))).toEqual([]);
  expect(decided.bun).toBe(true);
});
