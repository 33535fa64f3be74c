#!/usr/bin/env node
// Pack spa-client into one self-contained tarball: `npm i -g ./spa-client-<version>.tgz` then
// works on any machine with Node, with no registry. `@spa/shared` is a workspace package that
// is not published, so it is vendored with every other runtime dependency (`commander`,
// `smol-toml`, `@noble/*`) as bundleDependencies under the tarball's node_modules/.
//
//   node packages/client/scripts/pack.mjs [OUT_DIR]     (build first: pnpm exec tsc -b)
//
// Prints the tarball's path on stdout.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? clientDir);
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

/** The installed directory of package `name` as Node would find it from `fromDir`. */
function packageDir(name, fromDir) {
  for (let d = fromDir; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name);
    if (existsSync(join(p, 'package.json'))) return realpathSync(p);
    if (dirname(d) === d) throw new Error(`pack: cannot find ${name} from ${fromDir}`);
  }
}

for (const f of ['dist/src/cli.js', 'bin/spa-client.js']) {
  if (!existsSync(join(clientDir, f))) {
    throw new Error(`pack: ${f} is missing; build first (pnpm exec tsc -b packages/client)`);
  }
}

const pkg = readJson(join(clientDir, 'package.json'));
const stage = mkdtempSync(join(tmpdir(), 'spa-client-pack-'));
try {
  // Runtime dependencies, one level of @spa/shared's own: all end up hoisted side by side.
  const sharedDir = packageDir('@spa/shared', clientDir);
  const shared = readJson(join(sharedDir, 'package.json'));
  if (!existsSync(join(sharedDir, 'dist/src/index.js'))) throw new Error('pack: build @spa/shared first');
  const vendored = {
    '@spa/shared': { dir: sharedDir, version: shared.version, files: ['package.json', 'dist/src'] },
  };
  for (const [name, from] of [
    ...Object.keys(pkg.dependencies)
      .filter((n) => n !== '@spa/shared')
      .map((n) => [n, clientDir]),
    ...Object.keys(shared.dependencies ?? {}).map((n) => [n, sharedDir]),
  ]) {
    const dir = packageDir(name, from);
    vendored[name] = { dir, version: readJson(join(dir, 'package.json')).version };
  }

  cpSync(join(clientDir, 'bin'), join(stage, 'bin'), { recursive: true });
  cpSync(join(clientDir, 'dist/src'), join(stage, 'dist/src'), {
    recursive: true,
    filter: (src) => !src.endsWith('.tsbuildinfo'),
  });
  // The one-file bundle (scripts/bundle.mjs) is what bin/ loads first, for start-up time.
  const bundle = join(clientDir, 'dist/spa-client.mjs');
  if (existsSync(bundle)) cpSync(bundle, join(stage, 'dist/spa-client.mjs'));
  cpSync(join(clientDir, 'README.md'), join(stage, 'README.md'));
  for (const [name, v] of Object.entries(vendored)) {
    const to = join(stage, 'node_modules', name);
    mkdirSync(to, { recursive: true });
    for (const f of v.files ?? ['.']) {
      cpSync(join(v.dir, f), join(to, f), {
        recursive: true,
        dereference: true,
        filter: (src) => !src.slice(v.dir.length).includes('/node_modules'),
      });
    }
  }
  const dependencies = Object.fromEntries(Object.entries(vendored).map(([n, v]) => [n, v.version]));
  const staged = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    type: 'module',
    license: pkg.license,
    engines: { node: '>=20' },
    bin: pkg.bin,
    exports: pkg.exports,
    files: ['bin', 'dist/src', 'dist/spa-client.mjs', 'README.md'],
    dependencies,
    bundleDependencies: Object.keys(dependencies),
  };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
  mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
    cwd: stage,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(`${join(outDir, JSON.parse(out)[0].filename)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
