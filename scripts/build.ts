// Compiles each entry point into one self-contained executable under dist/.
// --bytecode needs --format=esm, or top-level await breaks; --minify keeps start-up fast.
import { $ } from 'bun';

const targets = [
  { entry: 'src/engine.ts', out: 'dist/weir-engine' },
  { entry: 'src/control-plane.ts', out: 'dist/weir-control' },
] as const;

for (const { entry, out } of targets) {
  await $`${process.execPath} build ${entry} --compile --minify --bytecode --format=esm --outfile ${out}`;
  console.log(`built ${out}`);
}
