#!/usr/bin/env node
// Pack spa-client as one small npm package: `npm i -g ./spa-client-<version>.tgz` works on
// any machine with Node 20.19+, with no registry and nothing native. Its code is the one-file
// bundle (scripts/bundle.mjs: spa-client, @spa/shared, commander, smol-toml and @noble/*
// in one ES module), so the package has no dependencies at all: bin/, dist/spa-client.mjs,
// package.json, README.md. (The library entry points of @spa/client are for the monorepo only.)
//
//   node packages/client/scripts/pack.mjs [OUT_DIR]     (build and bundle first)
//
// Prints the tarball's path on stdout, and its size and file count on stderr.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? clientDir);
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

const bundle = join(clientDir, 'dist/spa-client.mjs');
if (!existsSync(bundle)) {
  throw new Error('pack: dist/spa-client.mjs is missing; build and bundle first (node scripts/setup.mjs)');
}

const pkg = readJson(join(clientDir, 'package.json'));
const stage = mkdtempSync(join(tmpdir(), 'spa-client-pack-'));
try {
  mkdirSync(join(stage, 'bin'));
  // The bin without the fallback to dist/src: the bundle is all there is.
  writeFileSync(
    join(stage, 'bin/spa-client.js'),
    "#!/usr/bin/env node\nconst cli = await import('../dist/spa-client.mjs');\nprocess.exitCode = await cli.main(process.argv);\n",
    { mode: 0o755 },
  );
  mkdirSync(join(stage, 'dist'));
  cpSync(bundle, join(stage, 'dist/spa-client.mjs'));
  cpSync(join(clientDir, 'README.md'), join(stage, 'README.md'));
  const staged = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    type: 'module',
    license: pkg.license,
    engines: { node: '>=20.19' },
    bin: pkg.bin,
    files: ['bin', 'dist/spa-client.mjs', 'README.md'],
  };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
  mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
    cwd: stage,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = JSON.parse(out)[0];
  process.stderr.write(
    `spa-client package: ${info.filename}, ${(info.size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024).toFixed(0)} kB unpacked, ${info.entryCount} files, no dependencies\n`,
  );
  process.stdout.write(`${join(outDir, info.filename)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
